"""Cross-camera association: the tracklets of several cameras clustered into global identities.

Distances. For tracklet embeddings ``e_i`` (unit length), ``d_ij = (1 - e_i · e_j) / 2`` in
``[0, 1]``. With pair re-scoring, each tracklet's ``shortlist`` nearest tracklets of other
cameras are compared by the fused pair head: ``p_ij`` is its mean same-person probability over
the pairs of their ``crops_per_side`` best crops, and ``d_ij ← d_ij (1 - w + 2 w (1 - p_ij))``
with ``w = pair_weight``: a sure match (``p → 1``) shrinks the distance towards ``(1 - w) d``,
a sure non-match stretches it towards ``(1 + w) d``, ``p = 0.5`` leaves it. (Multiplying keeps
the embedding distances' scale, so re-scored pairs stay comparable with the others.)

Constraints (cannot-link). Two tracklets of one camera that overlap in time are two people.
With ``min_transit_s = t`` a person is also never in two cameras at once and needs at least
``t`` seconds to reach another camera. (No upper bound: the same person may be seen again much
later, at a camera further away.)

Clustering. Average-linkage agglomeration (the Lance–Williams update
``d(k, i ∪ j) = (n_i d(k, i) + n_j d(k, j)) / (n_i + n_j)``) merges the closest pair of
clusters while it is closer than ``threshold``, never two clusters with a cannot-link pair
between them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from posereid.retrieval.two_stage import PAIR_BATCH_SIZE, verification_log_odds

from posereid.apis.predictor import Predictor

from .tracklets import TrackletEmbeddings


@dataclass(frozen=True)
class Association:
    """Tracklet ``n`` of camera ``cameras[n]`` (track ``track_ids[n]``) is global identity
    ``global_ids[n]`` (1-based); ``distance`` is the ``(N, N)`` matrix that was clustered;
    ``tracklets`` the embeddings of each camera's tracklets it clustered."""

    cameras: np.ndarray
    track_ids: np.ndarray
    global_ids: np.ndarray
    distance: np.ndarray
    tracklets: dict[str, TrackletEmbeddings]

    def global_id(self, camera: str, track_id: int) -> int:
        match = np.flatnonzero((self.cameras == camera) & (self.track_ids == track_id))
        if not len(match):
            raise KeyError(f'no track {track_id} in camera {camera!r}')
        return int(self.global_ids[match[0]])


def time_spans(groups: dict[str, TrackletEmbeddings]) -> np.ndarray:
    """``(N, 2)`` first and last second in view of every tracklet, cameras in turn."""
    return np.concatenate([np.array([[(t.frames[0] - 1) / g.fps, (t.frames[-1] - 1) / g.fps]
                                     for t in g.tracklets]).reshape(-1, 2)
                           for g in groups.values()])


def cannot_link(cameras: np.ndarray, spans: np.ndarray,
                min_transit_s: float | None = None) -> np.ndarray:
    """``(N, N)`` bool: tracklets that cannot be one person (module doc)."""
    forbidden = cannot_link_between(cameras, spans, cameras, spans, min_transit_s)
    np.fill_diagonal(forbidden, False)
    return forbidden


def cannot_link_between(cameras_a: np.ndarray, spans_a: np.ndarray, cameras_b: np.ndarray,
                        spans_b: np.ndarray, min_transit_s: float | None = None) -> np.ndarray:
    """``(A, B)`` bool: whether tracklet ``a`` (camera ``cameras_a[a]``, ``(A, 2)`` first and
    last second ``spans_a``) and tracklet ``b`` cannot be one person (module doc)."""
    start_a, end_a, start_b, end_b = spans_a[:, 0:1], spans_a[:, 1:2], spans_b[:, 0], spans_b[:, 1]
    overlap = (start_a <= end_b) & (start_b <= end_a)
    same_camera = np.asarray(cameras_a)[:, None] == np.asarray(cameras_b)[None, :]
    forbidden = same_camera & overlap
    if min_transit_s is not None:
        # seconds from the end of one to the start of the other (negative: overlapping)
        gap = np.maximum(start_a - end_b, start_b - end_a)
        forbidden |= ~same_camera & (overlap | (gap < min_transit_s))
    return forbidden


def constrained_average_linkage(distance: np.ndarray, forbidden: np.ndarray,
                                threshold: float) -> np.ndarray:
    """``(N,)`` cluster labels ``0 .. K-1`` (in order of first member) of average-linkage
    clustering of the ``(N, N)`` ``distance`` that stops at ``threshold`` and never merges
    across a ``forbidden`` pair."""
    d = np.where(forbidden, np.inf, distance).astype(np.float64)
    np.fill_diagonal(d, np.inf)
    size = np.ones(len(d))
    labels = np.arange(len(d))
    while len(d):
        i, j = np.unravel_index(np.argmin(d), d.shape)
        if not d[i, j] < threshold:
            break
        merged = (size[i] * d[i] + size[j] * d[j]) / (size[i] + size[j])   # inf stays inf
        d[i], d[:, i] = merged, merged
        d[j], d[:, j] = np.inf, np.inf
        d[i, i] = np.inf
        size[i] += size[j]
        labels[labels == j] = i
    _, first = np.unique(labels, return_index=True)
    order = {label: k for k, label in enumerate(labels[np.sort(first)])}
    return np.array([order[label] for label in labels])


def pair_probabilities(predictor: Predictor, groups: dict[str, TrackletEmbeddings],
                       pairs: np.ndarray,
                       crops_per_side: int = 3) -> np.ndarray:
    """``(P,)`` mean same-person probability of the pair head over the ``crops_per_side`` best
    crops of each side of every tracklet pair ``pairs[p] = (i, j)`` (global tracklet rows)."""
    features = {name: torch.cat([g.pair_features[name] for g in groups.values()])
                for name in next(iter(groups.values())).pair_features}
    owners, offset = [], 0
    for g in groups.values():
        owners.append(g.crop_owner + offset)
        offset += len(g.tracklets)
    return crop_pair_probabilities(predictor, features, np.concatenate(owners), pairs,
                                   crops_per_side)


def rescore(distance: np.ndarray, probability: np.ndarray, pair_weight: float) -> np.ndarray:
    """Embedding distances re-scored by the pair head's same-person probabilities (module doc):
    ``d (1 - w + 2 w (1 - p))``."""
    return distance * (1 - pair_weight + 2 * pair_weight * (1 - probability))


def crop_pair_probabilities(predictor: Predictor, features: dict[str, torch.Tensor],
                            owner: np.ndarray, pairs: np.ndarray,
                            crops_per_side: int = 3) -> np.ndarray:
    """``(P,)`` mean same-person probability of the pair head over the first
    ``crops_per_side`` crops of each side of every tracklet pair ``pairs[p] = (i, j)``:
    ``features`` the pair features of ``C`` crops (each tensor ``(C, ...)``), ``owner``
    ``(C,)`` their tracklets, each tracklet's crops best first."""
    if not len(pairs):
        return np.zeros(0)
    best = {n: np.flatnonzero(owner == n)[:crops_per_side] for n in np.unique(pairs)}
    left, right, which = [], [], []
    for p, (i, j) in enumerate(pairs):
        a, b = np.meshgrid(best[i], best[j], indexing='ij')
        left.append(a.ravel())
        right.append(b.ravel())
        which.append(np.full(a.size, p))
    left, right, which = map(np.concatenate, (left, right, which))
    probability = torch.sigmoid(verification_log_odds(
        predictor.model, features, features, torch.from_numpy(left), torch.from_numpy(right),
        PAIR_BATCH_SIZE)).numpy()
    return np.bincount(which, probability, len(pairs)) / np.bincount(which, None, len(pairs))


def associate(groups: dict[str, TrackletEmbeddings], predictor: Predictor | None = None,
              threshold: float = 0.03,
              min_transit_s: float | None = None, shortlist: int = 5,
              pair_weight: float = 0.5, crops_per_side: int = 3) -> Association:
    """Global identities of the tracklets of ``groups`` (camera name → its tracklets).

    ``predictor`` re-scores each tracklet's ``shortlist`` nearest other-camera tracklets with its
    pair head (module doc); without it the embeddings alone decide. The default ``threshold``
    suits the demo's SpindleFusion on the video world (its embeddings put most different
    people more than 0.03 apart); another model wants its own.
    """
    if not groups or not any(g.tracklets for g in groups.values()):
        raise ValueError('associate needs at least one camera with tracklets')
    groups = {camera: g for camera, g in groups.items() if g.tracklets}
    cameras = np.concatenate([[camera] * len(g.tracklets) for camera, g in groups.items()])
    track_ids = np.concatenate([[t.track_id for t in g.tracklets] for g in groups.values()])
    embeddings = np.concatenate([g.embeddings for g in groups.values()])
    distance = np.clip((1 - embeddings @ embeddings.T) / 2, 0, 1)
    forbidden = cannot_link(cameras, time_spans(groups), min_transit_s)
    if predictor is not None and shortlist > 0:
        candidate = np.where(forbidden | (cameras[:, None] == cameras[None, :]), np.inf,
                             distance)
        nearest = np.argsort(candidate, axis=1, kind='stable')[:, :shortlist]
        pairs = {(min(i, j), max(i, j)) for i, row in enumerate(nearest) for j in row
                 if np.isfinite(candidate[i, j])}
        pairs = np.array(sorted(pairs), int).reshape(-1, 2)
        probability = pair_probabilities(predictor, groups, pairs, crops_per_side)
        rescored = rescore(distance[pairs[:, 0], pairs[:, 1]], probability, pair_weight)
        distance = distance.copy()
        distance[pairs[:, 0], pairs[:, 1]] = distance[pairs[:, 1], pairs[:, 0]] = rescored
    labels = constrained_average_linkage(distance, forbidden, threshold)
    return Association(cameras, track_ids, labels + 1, distance, groups)
