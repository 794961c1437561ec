import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope

from posereid.evaluation import (PairMetric, ReIDMetric, compute_distance_matrix,
                                 compute_paired_distance, confusion_matrix, evaluate_rank)


def reid_samples(seed=0, num_ids=5, noise=0.3, width=8):
    """Two images per identity, query from camera 0 and gallery from camera 1, plus
    distractors in the gallery."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(num_ids + 3, width))
    samples = []
    for pid in range(num_ids):
        for split, camid in (('query', 0), ('gallery', 1)):
            embedding = centres[pid] + noise * rng.normal(size=width)
            samples.append(dict(embedding=torch.tensor(embedding, dtype=torch.float32),
                                pid=pid, camid=camid, split=split))
    for pid in range(num_ids, num_ids + 3):
        samples.append(dict(embedding=torch.tensor(centres[pid], dtype=torch.float32),
                            pid=pid, camid=1, split='gallery'))
    return samples


def run_evaluator(metric_cfg, samples, batch_size=3):
    with DefaultScope.overwrite_default_scope('posereid'):
        evaluator = Evaluator(metric_cfg)
    for start in range(0, len(samples), batch_size):
        evaluator.process(samples[start:start + batch_size])
    return evaluator.evaluate(len(samples))


def test_reid_metric_built_from_config_reports_the_evaluate_rank_figures():
    samples = reid_samples(noise=1.0)
    metrics = run_evaluator(dict(type='ReIDMetric', ranks=(1, 2), max_rank=5), samples)
    query = [s for s in samples if s['split'] == 'query']
    gallery = [s for s in samples if s['split'] == 'gallery']
    expected = evaluate_rank(
        compute_distance_matrix(torch.stack([s['embedding'] for s in query]),
                                torch.stack([s['embedding'] for s in gallery])),
        np.array([s['pid'] for s in query]), np.array([s['pid'] for s in gallery]),
        np.array([s['camid'] for s in query]), np.array([s['camid'] for s in gallery]),
        max_rank=5)
    assert set(metrics) == {'reid/rank1', 'reid/rank2', 'reid/mAP', 'reid/mINP'}
    assert metrics['reid/rank1'] == pytest.approx(expected['cmc'][0])
    assert metrics['reid/rank2'] == pytest.approx(expected['cmc'][1])
    assert metrics['reid/mAP'] == pytest.approx(expected['mAP'])
    assert metrics['reid/mINP'] == pytest.approx(expected['mINP'])


@pytest.mark.parametrize('cfg', [dict(distance='euclidean'), dict(distance='cosine'),
                                 dict(rerank=True, rerank_k1=3, rerank_k2=2)])
def test_well_separated_identities_are_all_retrieved_first(cfg):
    metrics = run_evaluator(dict(type='ReIDMetric', **cfg), reid_samples(noise=0.01))
    assert metrics['reid/rank1'] == 1.0
    assert metrics['reid/mAP'] == pytest.approx(1.0)
    assert metrics['reid/mINP'] == pytest.approx(1.0)


@pytest.mark.parametrize('sample, message', [
    (dict(embedding=torch.zeros(4), pid=1, camid=0), 'split'),
    (dict(embedding=torch.zeros(4), pid=1, camid=0, split='train'), "'query' or 'gallery'"),
    (dict(embedding=torch.zeros(2, 2), pid=1, camid=0, split='query'), '1-D'),
])
def test_reid_metric_rejects_malformed_samples(sample, message):
    with pytest.raises(ValueError, match=message):
        ReIDMetric().process(None, [sample])


def test_reid_metric_needs_both_splits():
    metric = ReIDMetric()
    metric.process(None, [s for s in reid_samples() if s['split'] == 'query'])
    with pytest.raises(ValueError, match='query and gallery'):
        metric.compute_metrics(metric.results)


@pytest.mark.parametrize('kwargs, message', [
    (dict(protocol='viper'), 'protocol'), (dict(distance='manhattan'), 'distance'),
    (dict(ranks=(1, 60)), 'ranks'),
])
def test_reid_metric_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ReIDMetric(**kwargs)


def test_pair_metric_reports_accuracy_auc_and_the_confusion_matrix():
    scores = [0.9, 0.8, 0.3, 0.6, 0.2, 0.1]
    labels = [1, 1, 1, 0, 0, 0]
    samples = [dict(pair_score=s, pair_label=l) for s, l in zip(scores, labels)]
    metrics = run_evaluator(dict(type='PairMetric'), samples, batch_size=4)
    predictions = (np.array(scores) > 0.5).astype(int)
    np.testing.assert_array_equal(metrics['pair/confusion_matrix'],
                                  confusion_matrix(labels, predictions))
    assert metrics['pair/accuracy'] == pytest.approx(np.mean(predictions == labels))
    # One positive (0.3) is outscored by one negative (0.6): 8 of 9 pairs are ordered.
    assert metrics['pair/auc'] == pytest.approx(8 / 9)


def test_pair_metric_rejects_samples_without_score():
    with pytest.raises(ValueError, match='pair_score'):
        PairMetric().process(None, [dict(pair_label=1)])


@pytest.mark.parametrize('metric', ['euclidean', 'sqeuclidean', 'cosine'])
def test_distance_matrix_matches_brute_force_in_any_chunking(metric):
    rng = np.random.default_rng(0)
    query, gallery = rng.normal(size=(7, 4)), rng.normal(size=(9, 4))
    diff = query[:, None] - gallery[None]
    unit_q = query / np.linalg.norm(query, axis=1, keepdims=True)
    unit_g = gallery / np.linalg.norm(gallery, axis=1, keepdims=True)
    expected = {'euclidean': np.sqrt((diff ** 2).sum(-1)), 'sqeuclidean': (diff ** 2).sum(-1),
                'cosine': 1 - unit_q @ unit_g.T}[metric]
    for chunk_size in (1, 3, 4096):
        result = compute_distance_matrix(torch.from_numpy(query), torch.from_numpy(gallery),
                                         metric, chunk_size=chunk_size)
        np.testing.assert_allclose(result.numpy(), expected, atol=1e-10)
    paired = compute_paired_distance(query[:7], gallery[:7], metric)
    np.testing.assert_allclose(paired.numpy(), np.diag(expected[:, :7]), atol=1e-10)


@pytest.mark.parametrize('query, gallery, metric, message', [
    (torch.zeros(3, 4), torch.zeros(5, 3), 'euclidean', 'width'),
    (torch.zeros(3), torch.zeros(5, 3), 'euclidean', '2-D'),
    (torch.zeros(3, 4), torch.zeros(5, 4), 'hamming', 'metric'),
])
def test_distance_matrix_rejects_bad_input(query, gallery, metric, message):
    with pytest.raises(ValueError, match=message):
        compute_distance_matrix(query, gallery, metric)


def test_the_protocol_is_the_datasets():
    # one identity with two gallery images at distances 1 and 2 from the query, both from
    # another camera: single-gallery-shot draws one of them, the Market protocol ranks both
    samples = [dict(embedding=torch.zeros(2), pid=1, camid=0, split='query'),
               dict(embedding=torch.tensor([3., 0.]), pid=2, camid=1, split='gallery'),
               dict(embedding=torch.tensor([1., 0.]), pid=1, camid=1, split='gallery'),
               dict(embedding=torch.tensor([4., 0.]), pid=1, camid=1, split='gallery')]
    results = {}
    for protocol in ('market', 'single_gallery_shot', 'cuhk03'):
        metric = ReIDMetric(ranks=(1,), max_rank=3)
        metric.dataset_meta = {'protocol': protocol}
        metric.process(None, samples)
        results[protocol] = metric.compute_metrics(metric.results)
    assert results['market']['mAP'] == pytest.approx((1 + 2 / 3) / 2)
    assert results['single_gallery_shot'] == results['cuhk03'] != results['market']
    disagreeing = ReIDMetric(protocol='market')
    disagreeing.dataset_meta = {'protocol': 'single_gallery_shot'}
    disagreeing.process(None, samples)
    with pytest.raises(ValueError, match='leave it out'):
        disagreeing.compute_metrics(disagreeing.results)
