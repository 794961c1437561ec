from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from posereid.evaluation import k_reciprocal_rerank, rerank


def rerank_direct(query, gallery, k1, k2, lambda_value, metric):
    """Zhong et al.'s algorithm on dense N x N matrices, written plainly for small N."""
    features = np.concatenate([query, gallery]).astype(np.float64)
    num_query, num_all = len(query), len(features)
    if metric == 'euclidean':
        dist = ((features[:, None] - features[None]) ** 2).sum(-1)
    else:
        unit = features / np.linalg.norm(features, axis=1, keepdims=True)
        dist = 1 - unit @ unit.T
    dist = (dist / dist.max(axis=1, keepdims=True)).astype(np.float32)
    ranking = np.argsort(dist, axis=1, kind='stable')

    def reciprocal(i, k):
        return np.array([j for j in ranking[i, :k + 1] if i in ranking[j, :k + 1]], dtype=int)

    V = np.zeros((num_all, num_all), dtype=np.float32)
    for i in range(num_all):
        neighbours = reciprocal(i, k1)
        expansion = list(neighbours)
        for candidate in neighbours:
            candidate_set = reciprocal(candidate, int(np.around(k1 / 2)))
            if len(np.intersect1d(candidate_set, neighbours)) > 2 / 3 * len(candidate_set):
                expansion += list(candidate_set)
        expansion = np.unique(np.array(expansion, dtype=int))  # may be empty with duplicates
        weights = np.exp(-dist[i, expansion])
        V[i, expansion] = weights / weights.sum()
    if k2 != 1:
        V = np.stack([V[ranking[i, :k2]].mean(0) for i in range(num_all)])
    # The authors' Jaccard: sum max = 2 - sum min (rows sum to 1 unless a reciprocal set is
    # empty, which duplicate images can cause).
    overlap = np.array([[np.minimum(V[p], V[g]).sum() for g in range(num_query, num_all)]
                        for p in range(num_query)])
    jaccard = 1 - overlap / (2 - overlap)
    return (1 - lambda_value) * jaccard + lambda_value * dist[:num_query, num_query:]


def clustered_features(seed, num_query=6, num_gallery=24, width=5, duplicates=False):
    """Features around a few centres, so neighbourhoods are non-trivial."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, width))
    features = (centres[rng.integers(0, 4, num_query + num_gallery)]
                + 0.5 * rng.normal(size=(num_query + num_gallery, width))).astype(np.float32)
    if duplicates:  # exact ties in distance
        features[num_query + 1] = features[num_query + 3] = features[0]
    return features[:num_query], features[num_query:]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k1=st.integers(1, 12), k2=st.integers(1, 8),
       lambda_value=st.sampled_from([0.0, 0.3, 1.0]),
       metric=st.sampled_from(['euclidean', 'cosine']), duplicates=st.booleans(),
       chunk_entries=st.sampled_from([64, 1 << 22]))
def test_matches_the_direct_dense_implementation(seed, k1, k2, lambda_value, metric, duplicates,
                                                 chunk_entries):
    query, gallery = clustered_features(seed, duplicates=duplicates)
    with mock.patch.object(rerank, '_CHUNK_ENTRIES', chunk_entries):
        result = k_reciprocal_rerank(torch.from_numpy(query), torch.from_numpy(gallery), k1, k2,
                                     lambda_value, metric)
    expected = rerank_direct(query, gallery, k1, k2, lambda_value, metric)
    assert result.shape == (len(query), len(gallery))
    np.testing.assert_allclose(result.numpy(), expected, atol=2e-5)


def test_lambda_one_keeps_the_row_normalised_original_distance():
    query, gallery = clustered_features(0)
    result = k_reciprocal_rerank(query, gallery, k1=4, k2=2, lambda_value=1.0)
    features = np.concatenate([query, gallery])
    squared = ((features[:, None] - features[None]) ** 2).sum(-1)
    expected = squared[:len(query), len(query):] / squared[:len(query)].max(1, keepdims=True)
    np.testing.assert_allclose(result.numpy(), expected, atol=1e-5)


def test_reranking_prefers_a_mutual_neighbourhood_to_a_one_sided_nearest_image():
    # 1-D features. The query's nearest image (0.9) has its own tight cluster nearer than the
    # query, so the query is not among its k nearest; the cluster at -1 has the query among
    # theirs. With the Jaccard distance alone, that cluster comes first.
    query = np.array([[0.0]], dtype=np.float32)
    gallery = np.array([[0.9], [-1.0], [-1.05], [-1.1], [1.75], [1.77], [1.79], [1.81]],
                       dtype=np.float32)
    assert np.abs(gallery - query).argmin() == 0
    result = k_reciprocal_rerank(query, gallery, k1=3, k2=1, lambda_value=0.0)[0]
    assert result[1:4].max() < result[0]


@pytest.mark.parametrize('kwargs, message', [
    (dict(k1=30), 'k1'),
    (dict(k2=0), 'k2'),
    (dict(lambda_value=1.5), 'lambda_value'),
    (dict(metric='manhattan'), 'metric'),
])
def test_bad_arguments_raise_a_clear_value_error(kwargs, message):
    query, gallery = clustered_features(0)
    with pytest.raises(ValueError, match=message):
        k_reciprocal_rerank(query, gallery, **kwargs)


def test_non_finite_features_raise_a_clear_value_error():
    query, gallery = clustered_features(0)
    query[0, 0] = np.nan
    with pytest.raises(ValueError, match='finite'):
        k_reciprocal_rerank(query, gallery)


def test_blocks_of_queries_give_the_whole_result_and_the_estimate_grows_linearly():
    from posereid.evaluation.rerank import k_reciprocal_rerank_blocks, rerank_memory_bytes
    rng = np.random.default_rng(3)
    query, gallery = torch.from_numpy(rng.normal(size=(11, 6))), torch.from_numpy(
        rng.normal(size=(40, 6)))
    whole = k_reciprocal_rerank(query, gallery, k1=6, k2=3)
    blocks = list(k_reciprocal_rerank_blocks(query, gallery, k1=6, k2=3, block_entries=3 * 40))
    assert [rows.stop - rows.start for rows, _ in blocks] == [3, 3, 3, 2]
    torch.testing.assert_close(torch.cat([block for _, block in blocks]), whole)
    # no term of size Q x G: MSMT17's estimate is a few GB where its Q x G float32 alone is 3.8
    assert rerank_memory_bytes(11659, 82161) < 3.8e9
    assert rerank_memory_bytes(2 * 11659, 2 * 82161) < 2 * rerank_memory_bytes(11659, 82161)
