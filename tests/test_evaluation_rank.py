from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from posereid.evaluation import aggregate_splits, evaluate_rank, evaluate_rank_reference, rank

IMPLEMENTATIONS = [evaluate_rank, evaluate_rank_reference]


def one_query(distances, g_pids, g_cams, q_pid=1, q_cam=0):
    """A single-query problem with the given gallery row."""
    return (np.array([distances], dtype=np.float64), np.array([q_pid]), np.array(g_pids),
            np.array([q_cam]), np.array(g_cams))


@pytest.mark.parametrize('evaluate', IMPLEMENTATIONS)
def test_junk_is_removed_and_ap_inp_cmc_follow_their_definitions(evaluate):
    # Gallery nearest first: junk (pid 1, cam 0), pid 2, pid 1, pid 3, pid 1.
    # Without junk the matches rank 2 and 4: AP = (1/2 + 2/4) / 2, INP = 2/4.
    problem = one_query([0.1, 0.2, 0.3, 0.4, 0.5], [1, 2, 1, 3, 1], [0, 1, 1, 1, 2])
    result = evaluate(*problem, max_rank=4)
    assert result['mAP'] == pytest.approx(0.5)
    assert result['mINP'] == pytest.approx(0.5)
    np.testing.assert_allclose(result['cmc'], [0, 1, 1, 1])
    assert result['num_valid_queries'] == 1


@pytest.mark.parametrize('evaluate', IMPLEMENTATIONS)
def test_a_query_without_valid_match_is_skipped_and_counted(evaluate):
    # Query 0 is the case above; query 1 (pid 3, cam 1) only has its own camera's image.
    distmat = np.array([[0.1, 0.2, 0.3, 0.4, 0.5], [0.5, 0.1, 0.2, 0.3, 0.4]])
    g_pids, g_cams = np.array([1, 2, 1, 3, 1]), np.array([0, 1, 1, 1, 2])
    result = evaluate(distmat, np.array([1, 3]), g_pids, np.array([0, 1]), g_cams, max_rank=4)
    alone = evaluate(*one_query(distmat[0], g_pids, g_cams), max_rank=4)
    assert result['num_valid_queries'] == 1 and result['num_queries'] == 2
    assert result['mAP'] == alone['mAP'] and result['mINP'] == alone['mINP']
    np.testing.assert_array_equal(result['cmc'], alone['cmc'])


@pytest.mark.parametrize('evaluate', IMPLEMENTATIONS)
def test_all_correct_first(evaluate):
    result = evaluate(*one_query([0.1, 0.2, 0.7, 0.9], [1, 1, 2, 3], [1, 2, 1, 1]), max_rank=3)
    assert result['mAP'] == 1.0 and result['mINP'] == 1.0
    np.testing.assert_array_equal(result['cmc'], [1, 1, 1])


@pytest.mark.parametrize('evaluate', IMPLEMENTATIONS)
def test_all_wrong_first(evaluate):
    result = evaluate(*one_query([0.1, 0.2, 0.3], [2, 3, 1], [1, 1, 1]), max_rank=3)
    assert result['mAP'] == pytest.approx(1 / 3)
    assert result['mINP'] == pytest.approx(1 / 3)
    np.testing.assert_array_equal(result['cmc'], [0, 0, 1])


@pytest.mark.parametrize('evaluate', IMPLEMENTATIONS)
def test_ties_are_broken_by_gallery_index(evaluate):
    # All at the same distance: the gallery order decides (pid 2 first, then the two matches).
    result = evaluate(*one_query([0.5, 0.5, 0.5], [2, 1, 1], [1, 1, 2]), max_rank=3)
    assert result['mAP'] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert result['mINP'] == pytest.approx(2 / 3)
    np.testing.assert_array_equal(result['cmc'], [0, 1, 1])
    first = evaluate(*one_query([0.5, 0.5], [1, 2], [1, 1]), max_rank=2)
    assert first['mAP'] == 1.0


@pytest.mark.parametrize('evaluate', IMPLEMENTATIONS)
def test_cmc_past_the_gallery_size_stays_at_one(evaluate):
    result = evaluate(*one_query([0.3, 0.1], [1, 2], [1, 1]), max_rank=5)
    np.testing.assert_array_equal(result['cmc'], [0, 1, 1, 1, 1])


@st.composite
def rank_problems(draw):
    num_q, num_g = draw(st.integers(1, 6)), draw(st.integers(1, 25))
    num_ids, num_cams = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    # Few distinct values make ties common; some infinite distances.
    values = st.one_of(st.integers(0, 3).map(float),
                       st.floats(0, 10, allow_nan=False, width=32), st.just(np.inf))
    distmat = draw(hnp.arrays(np.float64, (num_q, num_g), elements=values))

    def ids(size, count):
        return draw(hnp.arrays(np.int64, size, elements=st.integers(0, count - 1)))

    return (distmat, ids(num_q, num_ids), ids(num_g, num_ids), ids(num_q, num_cams),
            ids(num_g, num_cams))


def assert_same_result(a, b):
    np.testing.assert_allclose(a['cmc'], b['cmc'], rtol=0, atol=1e-12)
    assert a['mAP'] == pytest.approx(b['mAP'], abs=1e-12)
    assert a['mINP'] == pytest.approx(b['mINP'], abs=1e-12)
    assert a['num_valid_queries'] == b['num_valid_queries']


def evaluate_or_error(evaluate, *args, **kwargs):
    try:
        return evaluate(*args, **kwargs)
    except ValueError as error:
        return str(error)


@settings(max_examples=50, deadline=None)
@given(problem=rank_problems(), protocol=st.sampled_from(['market', 'cuhk03']),
       seed=st.integers(0, 2**32 - 1))
def test_vectorised_matches_the_reference_loop(problem, protocol, seed):
    kwargs = dict(max_rank=6, protocol=protocol, num_repeats=3, seed=seed)
    fast = evaluate_or_error(evaluate_rank, *problem, **kwargs)
    reference = evaluate_or_error(evaluate_rank_reference, *problem, **kwargs)
    if isinstance(fast, str) or isinstance(reference, str):
        assert fast == reference  # both reject a problem without any valid query
    else:
        assert_same_result(fast, reference)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_vectorised_matches_reference_across_query_chunks(seed):
    rng = np.random.default_rng(seed)
    num_q, num_g = 9, 40
    problem = (rng.integers(0, 5, (num_q, num_g)).astype(np.float32), rng.integers(0, 6, num_q),
               rng.integers(0, 6, num_g), rng.integers(0, 3, num_q), rng.integers(0, 3, num_g))
    for protocol in ('market', 'cuhk03'):
        kwargs = dict(max_rank=10, protocol=protocol, num_repeats=2, seed=seed)
        # Chunks of two queries (and small tie-recount pieces): every loop runs several times.
        with mock.patch.object(rank, '_CHUNK_ENTRIES', 80):
            fast = evaluate_or_error(evaluate_rank, *problem, **kwargs)
        reference = evaluate_or_error(evaluate_rank_reference, *problem, **kwargs)
        if isinstance(fast, str) or isinstance(reference, str):
            assert fast == reference
        else:
            assert_same_result(fast, reference)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_order_of_gallery_does_not_matter_without_ties(seed):
    rng = np.random.default_rng(seed)
    distmat = rng.random((5, 30))
    problem = (rng.integers(0, 4, 5), rng.integers(0, 4, 30), rng.integers(0, 2, 5),
               rng.integers(0, 2, 30))
    perm = rng.permutation(30)
    result = evaluate_or_error(evaluate_rank, distmat, *problem, max_rank=10)
    shuffled = evaluate_or_error(evaluate_rank, distmat[:, perm], problem[0], problem[1][perm],
                                 problem[2], problem[3][perm], max_rank=10)
    if isinstance(result, str):
        assert result == shuffled
    else:
        assert_same_result(result, shuffled)


def test_torch_input_gives_the_numpy_result():
    rng = np.random.default_rng(0)
    distmat = rng.random((6, 20)).astype(np.float32)
    ids = (rng.integers(0, 3, 6), rng.integers(0, 3, 20), rng.integers(0, 2, 6),
           rng.integers(0, 2, 20))
    from_numpy = evaluate_rank(distmat, *ids, max_rank=5)
    from_torch = evaluate_rank(torch.from_numpy(distmat), *(torch.from_numpy(i) for i in ids),
                               max_rank=5)
    assert_same_result(from_numpy, from_torch)


def cuhk03_problem(seed=0):
    rng = np.random.default_rng(seed)
    g_pids = np.repeat(np.arange(8), 4)
    return (rng.random((8, 32)), np.arange(8), g_pids, np.zeros(8, dtype=int),
            np.ones(32, dtype=int))


def test_cuhk03_protocol_is_deterministic_for_a_seed_and_varies_across_seeds():
    problem = cuhk03_problem()
    first = evaluate_rank(*problem, max_rank=8, protocol='cuhk03', seed=3)
    again = evaluate_rank(*problem, max_rank=8, protocol='cuhk03', seed=3)
    other = evaluate_rank(*problem, max_rank=8, protocol='cuhk03', seed=4)
    np.testing.assert_array_equal(first['cmc'], again['cmc'])
    assert not np.array_equal(first['cmc'], other['cmc'])


def test_cuhk03_map_uses_the_whole_gallery_like_market():
    problem = cuhk03_problem()
    cuhk03 = evaluate_rank(*problem, max_rank=8, protocol='cuhk03')
    market = evaluate_rank(*problem, max_rank=8, protocol='market')
    assert cuhk03['mAP'] == market['mAP'] and cuhk03['mINP'] == market['mINP']


def test_cuhk03_with_one_gallery_image_per_identity_equals_market():
    rng = np.random.default_rng(1)
    problem = (rng.random((6, 10)), rng.integers(0, 10, 6), np.arange(10),
               np.zeros(6, dtype=int), np.ones(10, dtype=int))
    assert_same_result(evaluate_rank(*problem, max_rank=5, protocol='cuhk03'),
                       evaluate_rank(*problem, max_rank=5, protocol='market'))


def test_cuhk03_samples_each_identity_uniformly():
    # The match is at 0.5; pid 2 has one image nearer (0.1) and one farther (0.9): the match is
    # first exactly when pid 2 is represented by its farther image, half of the time.
    problem = one_query([0.5, 0.1, 0.9], [1, 2, 2], [1, 1, 1])
    result = evaluate_rank(*problem, max_rank=2, protocol='cuhk03', num_repeats=4000, seed=0)
    assert result['cmc'][0] == pytest.approx(0.5, abs=0.03)
    assert result['cmc'][1] == 1.0


@pytest.mark.parametrize('change, message', [
    (dict(q_pids=np.array([1, 2])), 'q_pids'),
    (dict(g_camids=np.zeros(3, dtype=int)), 'g_camids'),
    (dict(distmat=np.array([[0.1, np.nan, 0.3, 0.4]])), 'NaN'),
    (dict(distmat=np.zeros((1, 0)), g_pids=np.zeros(0, dtype=int),
          g_camids=np.zeros(0, dtype=int)), 'empty'),
    (dict(distmat=np.zeros(4)), '2-D'),
    (dict(q_pids=np.array([1.5])), 'integers'),
    (dict(protocol='viper'), 'protocol'),
    (dict(max_rank=0), 'max_rank'),
    (dict(g_pids=np.array([5, 6, 7, 8])), 'no query has a valid match'),
])
@pytest.mark.parametrize('evaluate', IMPLEMENTATIONS)
def test_bad_input_raises_a_clear_value_error(evaluate, change, message):
    args = dict(distmat=np.array([[0.1, 0.2, 0.3, 0.4]]), q_pids=np.array([1]),
                g_pids=np.array([1, 2, 1, 3]), q_camids=np.array([0]),
                g_camids=np.array([1, 1, 2, 1]), protocol='market', max_rank=3)
    args.update(change)
    with pytest.raises(ValueError, match=message):
        evaluate(**args)


def test_aggregate_splits_reports_mean_and_std_over_splits():
    splits = [{'cmc': np.array([0.5, 1.0]), 'mAP': 0.4, 'mINP': 0.2},
              {'cmc': np.array([0.7, 1.0]), 'mAP': 0.6, 'mINP': 0.1}]
    summary = aggregate_splits(splits)
    np.testing.assert_allclose(summary['cmc'], [0.6, 1.0])
    np.testing.assert_allclose(summary['cmc_std'], [0.1, 0.0], atol=1e-12)
    assert summary['mAP'] == pytest.approx(0.5) and summary['mAP_std'] == pytest.approx(0.1)
    assert summary['mINP'] == pytest.approx(0.15) and summary['mINP_std'] == pytest.approx(0.05)
    assert summary['num_splits'] == 2


def test_aggregate_splits_rejects_empty_or_mismatched_results():
    with pytest.raises(ValueError, match='at least one'):
        aggregate_splits([])
    with pytest.raises(ValueError, match='different lengths'):
        aggregate_splits([{'cmc': np.ones(2), 'mAP': 1, 'mINP': 1},
                          {'cmc': np.ones(3), 'mAP': 1, 'mINP': 1}])


def test_the_single_gallery_shot_protocol_keeps_its_old_name_as_an_alias():
    from posereid.evaluation import canonical_protocol
    problem = cuhk03_problem()
    assert canonical_protocol('cuhk03') == 'single_gallery_shot'
    assert_same_result(evaluate_rank(*problem, max_rank=8, protocol='cuhk03', seed=2),
                       evaluate_rank(*problem, max_rank=8, protocol='single_gallery_shot', seed=2))
    with pytest.raises(ValueError, match='single_gallery_shot'):
        canonical_protocol('viper')


@pytest.mark.parametrize('protocol', ['market', 'single_gallery_shot'])
def test_the_accumulator_fed_rows_in_uneven_blocks_equals_one_evaluation(protocol):
    from posereid.evaluation import RankAccumulator
    distmat, q_pids, g_pids, q_cams, g_cams = cuhk03_problem()
    accumulator = RankAccumulator(g_pids, g_cams, 8, protocol, seed=5)
    for rows in (slice(0, 3), slice(3, 4), slice(4, 8)):
        accumulator.add(torch.as_tensor(distmat[rows]), q_pids[rows], q_cams[rows])
    assert_same_result(accumulator.result(),
                       evaluate_rank(distmat, q_pids, g_pids, q_cams, g_cams, max_rank=8,
                                     protocol=protocol, seed=5))
    with pytest.raises(ValueError, match='distances'):
        accumulator.add(torch.zeros(2, 5), q_pids[:2], q_cams[:2])
