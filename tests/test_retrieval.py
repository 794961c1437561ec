import numpy as np
import pytest
import torch
from torch import nn

from posereid.retrieval.two_stage import (all_pairs_ranking, two_stage_ranking,
                                       verification_log_odds)
from posereid.evaluation import compute_distance_matrix


class DotProductVerifier(nn.Module):
    """Test double of a pair model: 'same' log-odds = <a, b> of hidden identity codes, so the
    verification order differs from the embedding order."""

    def __init__(self):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(1))  # gives the model a device
        self.calls = 0

    def verify(self, feats_a, feats_b):
        self.calls += 1
        same = (feats_a['code'] * feats_b['code']).sum(1)
        return torch.stack([torch.zeros_like(same), same], dim=1)


def problem(num_query=6, num_gallery=30, seed=0):
    g = torch.Generator().manual_seed(seed)
    q_emb, g_emb = torch.randn(num_query, 4, generator=g), torch.randn(num_gallery, 4, generator=g)
    q_code = torch.randn(num_query, 3, generator=g)
    g_code = torch.randn(num_gallery, 3, generator=g)
    return q_emb, g_emb, {'code': q_code}, {'code': g_code}


def test_log_odds_are_batched_and_follow_the_pair_index():
    model = DotProductVerifier()
    _, _, q_feats, g_feats = problem()
    q_index, g_index = torch.tensor([0, 1, 5, 5, 2]), torch.tensor([3, 0, 29, 7, 7])
    scores = verification_log_odds(model, q_feats, g_feats, q_index, g_index, batch_size=2)
    expected = (q_feats['code'][q_index] * g_feats['code'][g_index]).sum(1)
    torch.testing.assert_close(scores, expected)
    assert model.calls == 3


def test_two_stage_puts_the_rescored_shortlist_first_and_keeps_embedding_order_behind():
    model = DotProductVerifier()
    q_emb, g_emb, q_feats, g_feats = problem()
    k = 7
    ranking = two_stage_ranking(model, q_emb, g_emb, q_feats, g_feats, top_k=k, batch_size=5)
    assert ranking.num_pair_passes == 6 * k
    embedding_dist = compute_distance_matrix(q_emb, g_emb)
    for q in range(6):
        shortlist = set(embedding_dist[q].argsort()[:k].tolist())
        order = ranking.distmat[q].argsort().tolist()
        assert set(order[:k]) == shortlist
        scores = (q_feats['code'][q] * g_feats['code'][order[:k]]).sum(1)
        assert torch.all(scores[:-1] >= scores[1:])                 # by verification
        rest = embedding_dist[q, order[k:]]
        assert torch.all(rest[:-1] <= rest[1:])                     # by embedding distance
        assert ranking.distmat[q, order[k - 1]] < ranking.distmat[q, order[k]]


def test_two_stage_with_the_whole_gallery_shortlisted_equals_all_pairs():
    model = DotProductVerifier()
    q_emb, g_emb, q_feats, g_feats = problem()
    two_stage = two_stage_ranking(model, q_emb, g_emb, q_feats, g_feats, top_k=100)
    all_pairs = all_pairs_ranking(model, q_feats, g_feats, batch_size=64)
    assert two_stage.num_pair_passes == all_pairs.num_pair_passes == 6 * 30
    np.testing.assert_array_equal(two_stage.distmat.argsort(1).numpy(),
                                  all_pairs.distmat.argsort(1).numpy())


def test_top_k_must_be_positive():
    q_emb, g_emb, q_feats, g_feats = problem()
    with pytest.raises(ValueError, match='top_k'):
        two_stage_ranking(DotProductVerifier(), q_emb, g_emb, q_feats, g_feats, top_k=0)


@pytest.mark.parametrize('protocol', ['market', 'single_gallery_shot'])
def test_streamed_metrics_equal_the_whole_matrix_ones_in_any_block_size(protocol, monkeypatch):
    from posereid.retrieval import two_stage as retrieval
    from posereid.engine.features import ExtractedFeatures
    from posereid.evaluation import rank_summary

    model = DotProductVerifier()
    q_emb, g_emb, q_feats, g_feats = problem(num_query=9, num_gallery=30, seed=3)
    rng = np.random.default_rng(0)
    q_pids, g_pids = rng.integers(0, 5, 9), rng.integers(0, 5, 30)
    q_cams, g_cams = rng.integers(0, 2, 9), rng.integers(0, 3, 30)

    def features(emb, feats, pids, cams):
        return ExtractedFeatures(emb, pids, cams, ['x'] * len(pids), [''] * len(pids), feats)

    query, gallery = features(q_emb, q_feats, q_pids, q_cams), features(g_emb, g_feats,
                                                                        g_pids, g_cams)
    whole = two_stage_ranking(model, q_emb, g_emb, q_feats, g_feats, top_k=5)
    expected = {'embedding': rank_summary(compute_distance_matrix(q_emb, g_emb), q_pids, g_pids,
                                          q_cams, g_cams, protocol),
                'two_stage': rank_summary(whole.distmat, q_pids, g_pids, q_cams, g_cams,
                                          protocol)}
    for block_entries in (30, 4 * 30, 1 << 24):                 # 1, 4 or all queries a block
        monkeypatch.setattr(retrieval, 'BLOCK_ENTRIES', block_entries)
        streamed = retrieval.streamed_rank_metrics(model, query, gallery, protocol, top_k=5)
        assert streamed['num_pair_passes'] == whole.num_pair_passes == 9 * 5
        for name in ('embedding', 'two_stage'):
            assert streamed[name] == pytest.approx(expected[name])


def test_extraction_runs_the_network_once_per_image():
    from posereid.engine.features import extract_features
    from posereid.models import SiameseND

    model = SiameseND(input_size=(32, 24), neck=True,
                      branch=dict(channels=(4, 5), summary_channels=5, fc_dim=8)).eval()
    passes = []
    original = model.extract_pair_features
    model.extract_pair_features = lambda imgs, heatmaps=None: passes.append(len(imgs)) or \
        original(imgs, heatmaps)
    batches = [dict(imgs=torch.randn(3, 3, 32, 24), heatmaps=None, pids=torch.arange(3),
                    camids=torch.zeros(3, dtype=torch.long), splits=['query'] * 3,
                    img_paths=['a', 'b', 'c']) for _ in range(2)]
    features = extract_features(model, batches, pair_features=True)
    assert passes == [3, 3]                                     # one pass per image
    torch.testing.assert_close(features.embeddings,
                               model.extract_embedding(torch.cat([b['imgs'] for b in batches])))
    assert features.pair_features['tied'].shape[0] == 6
