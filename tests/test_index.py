"""EmbeddingIndex: torch and faiss agree, the inverted file finds clustered neighbours,
bad arguments are named."""
import numpy as np
import pytest
import torch

from posereid.retrieval.index import EmbeddingIndex


def _clusters(num_ids=40, per_id=6, dim=32, seed=0):
    """Unit-length gallery of ``num_ids`` tight identity clusters and one query per identity
    (posereid's embeddings are L2-normalised)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(num_ids, dim)).astype(np.float32)
    gallery = np.repeat(centres, per_id, axis=0) + 0.05 * rng.normal(
        size=(num_ids * per_id, dim)).astype(np.float32)
    queries = centres + 0.05 * rng.normal(size=centres.shape).astype(np.float32)
    unit = [x / np.linalg.norm(x, axis=1, keepdims=True) for x in (gallery, queries)]
    return *unit, np.repeat(np.arange(num_ids), per_id)


@pytest.mark.parametrize('metric', ['euclidean', 'inner_product'])
@pytest.mark.parametrize('seed', [0, 1])
def test_exact_faiss_matches_torch(metric, seed):
    gallery, queries, _ = _clusters(seed=seed)
    torch_values, torch_indices = EmbeddingIndex(gallery, metric, kind='torch').search(queries, 10)
    faiss_values, faiss_indices = EmbeddingIndex(gallery, metric, kind='flat').search(queries, 10)
    assert faiss_indices.dtype == torch_indices.dtype == np.int64
    np.testing.assert_array_equal(faiss_indices, torch_indices)
    if metric == 'euclidean':
        # the same squared distances; the square root magnifies float32 rounding near 0
        torch_values, faiss_values = torch_values ** 2, faiss_values ** 2
    np.testing.assert_allclose(faiss_values, torch_values, rtol=0, atol=1e-6)
    # nearest first: distances ascend, similarities descend
    steps = np.diff(torch_values, axis=1)
    assert (steps >= 0).all() if metric == 'euclidean' else (steps <= 0).all()


def test_torch_search_matches_brute_force_across_blocks(monkeypatch):
    """Queries searched a block at a time give the full distance matrix's neighbours."""
    gallery, queries, _ = _clusters()
    monkeypatch.setattr('posereid.retrieval.index.TORCH_BLOCK_ENTRIES', 3 * len(gallery))
    values, indices = EmbeddingIndex(gallery).search(queries, 5)
    full = torch.cdist(torch.from_numpy(queries), torch.from_numpy(gallery))
    top = full.topk(5, dim=1, largest=False)
    np.testing.assert_array_equal(indices, top.indices.numpy())
    np.testing.assert_allclose(values, top.values.numpy(), rtol=1e-4, atol=1e-4)


def test_ivf_finds_each_querys_identity():
    gallery, queries, labels = _clusters()
    index = EmbeddingIndex(gallery, kind='ivf', nlist=8, nprobe=2)
    _, indices = index.search(queries, 6)
    # every one of the 6 neighbours is one of the query's own identity's 6 images
    assert (labels[indices] == np.arange(len(queries))[:, None]).mean() == 1.0


def test_k_is_clipped_to_the_gallery_and_auto_picks_torch_when_small():
    gallery, queries, _ = _clusters(num_ids=3, per_id=2)
    index = EmbeddingIndex(gallery)
    assert index.kind == 'torch'
    values, indices = index.search(queries, 100)
    assert values.shape == indices.shape == (3, 6)
    assert sorted(indices[0]) == list(range(6))


@pytest.mark.parametrize('kwargs, message', [
    (dict(metric='cosine'), 'metric must be one of'),
    (dict(kind='hnsw'), 'kind must be one of'),
])
def test_bad_index_arguments_are_named(kwargs, message):
    gallery, _, _ = _clusters(num_ids=2)
    with pytest.raises(ValueError, match=message):
        EmbeddingIndex(gallery, **kwargs)


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r'non-empty \(G, D\)'):
        EmbeddingIndex(np.zeros((0, 4), np.float32))
    index = EmbeddingIndex(np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match=r'queries must be \(Q, 4\); got \(2, 5\)'):
        index.search(np.zeros((2, 5), np.float32), 1)
    with pytest.raises(ValueError, match='k must be at least 1'):
        index.search(np.zeros((2, 4), np.float32), 0)
