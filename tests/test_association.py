"""Cross-camera association: cannot-link constraints, constrained average linkage (equal to
scipy's without constraints), global identities recovered from identity-revealing embeddings
on the tiny video world, and pair re-scoring of the shortlist only."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from common import VIDEO

from posereid.tracking.association import (associate, cannot_link, constrained_average_linkage,
                                       pair_probabilities, time_spans)
from posereid.tracking.tracklets import (TrackletEmbeddings, tracklet_embeddings,
                                         tracklets_from_boxes)
from posereid.datasets.frames import open_frames
from posereid.datasets.mot import read_mot_boxes


def _same_partition(a, b):
    return len({(x, y) for x, y in zip(a, b)}) == len(set(a)) == len(set(b))


def test_cannot_link_same_camera_overlap_and_transit_time():
    cameras = np.array(['c1', 'c1', 'c1', 'c2', 'c2', 'c2'])
    spans = np.array([[0, 10], [5, 15], [20, 30], [8, 12], [31, 33], [60, 70]], float)
    plain = cannot_link(cameras, spans)
    assert plain[0, 1] and plain[1, 0]                       # one camera, at the same time
    assert not plain[0, 2] and not plain[0, 3] and not plain.diagonal().any()
    transit = cannot_link(cameras, spans, min_transit_s=3)
    assert transit[0, 3]                                     # in two cameras at once
    assert transit[2, 4]                                     # c1 -> c2 in 1 s: too fast
    assert not transit[2, 5] and not transit[3, 2]           # 30 s and 8 s: possible
    assert (transit == transit.T).all()


def test_average_linkage_equals_scipy_without_constraints():
    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal(c, 0.3, (6, 2)) for c in ((0, 0), (4, 0), (0, 4))])
    distance = np.linalg.norm(points[:, None] - points[None], axis=2)
    for threshold in (0.5, 1.5, 3.0):
        ours = constrained_average_linkage(distance, np.zeros_like(distance, bool), threshold)
        reference = fcluster(linkage(squareform(distance, checks=False), 'average'),
                             threshold, criterion='distance')
        assert _same_partition(ours, reference), threshold
    three = constrained_average_linkage(distance, np.zeros_like(distance, bool), 1.5)
    assert list(three) == [0] * 6 + [1] * 6 + [2] * 6        # numbered by first member


def test_a_forbidden_pair_is_never_in_one_cluster():
    distance = np.full((4, 4), 0.1)
    forbidden = np.zeros((4, 4), bool)
    forbidden[0, 3] = forbidden[3, 0] = True
    labels = constrained_average_linkage(distance, forbidden, 0.5)
    assert labels[0] != labels[3] and len(set(labels)) == 2
    assert len(set(constrained_average_linkage(distance, forbidden, 0.05))) == 4


def _oracle(camera_dir, pids_dim=32, noise=0.05, seed=0):
    """TrackletEmbeddings of a camera's ground-truth tracks with embeddings that reveal the
    identity (one direction per person, a little noise)."""
    rng = np.random.default_rng(seed)
    tracklets = tracklets_from_boxes(read_mot_boxes(camera_dir / 'gt' / 'gt.txt'))
    embeddings = np.eye(pids_dim)[[t.track_id for t in tracklets]] + noise * rng.normal(
        size=(len(tracklets), pids_dim))
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    return TrackletEmbeddings(tracklets, embeddings.astype(np.float32),
                              [t.frames[:1] for t in tracklets], np.ones(len(tracklets)), {},
                              np.zeros(0, int), float(VIDEO.fps))


def test_identity_revealing_embeddings_give_the_true_global_ids(video):
    groups = {name: _oracle(video / name, seed=k) for k, name in enumerate(('c1', 'c2'))}
    # the walk between two cameras takes 1 to 2 s
    result = associate(groups, threshold=0.3, min_transit_s=0.5)
    assert _same_partition(result.global_ids, result.track_ids)
    assert any((result.track_ids == pid).sum() == 2 for pid in set(result.track_ids))
    shuffled = associate(groups, threshold=0.0)              # nothing merges under 0
    assert len(set(shuffled.global_ids)) == len(shuffled.track_ids)


def test_pair_rescoring_touches_the_shortlist_only(video, fusion):
    groups = {}
    for name in ('c1', 'c2'):
        tracks = tracklets_from_boxes(read_mot_boxes(video / name / 'gt' / 'gt.txt'))
        groups[name] = tracklet_embeddings(fusion, open_frames(video / name), tracks,
                                           frames_per_tracklet=3, candidates=6)
    plain = associate(groups)
    rescored = associate(groups, predictor=fusion, shortlist=1)
    changed = np.argwhere(~np.isclose(plain.distance, rescored.distance))
    assert len(changed) > 0
    assert all(rescored.cameras[i] != rescored.cameras[j] for i, j in changed)
    # one shortlisted partner per tracklet: at most as many re-scored pairs as tracklets
    assert len(changed) // 2 <= len(plain.cameras)
    probability = pair_probabilities(fusion, groups, changed[:1], crops_per_side=2)
    assert probability.shape == (1,) and 0 < probability[0] < 1
    for i, j in np.argwhere(cannot_link(rescored.cameras, time_spans(groups))):
        assert rescored.global_ids[i] != rescored.global_ids[j]


def test_no_tracklets_is_a_clear_error():
    with pytest.raises(ValueError, match='at least one camera with tracklets'):
        associate({})
