"""One embedding per tracklet: the crops of a track in one camera, pose-selected and averaged.

A tracklet is one identity's boxes in one camera (a single-camera tracker's track, or the
ground truth's). Its embedding is the mean of the L2-normalised embeddings of its
``frames_per_tracklet`` best crops, normalised again; the pair features of those crops are
kept for the pair head (:mod:`posereid.tracking.association`). ``select='pose'`` takes the crops whose
keypoints the pose network is most sure of (mean keypoint score: a whole, unoccluded,
well-framed person), ``'uniform'`` crops evenly spread over the track. Models without pose
have no scores: they always select uniformly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from posereid.datasets.frames import FrameSource

from posereid.apis.inference import MIN_CROP, ImageFeatures, extract

SELECTIONS = ('pose', 'uniform')


@dataclass(frozen=True)
class Tracklet:
    """Track ``track_id``'s boxes in one camera: ``frames`` ``(T,)`` and ``boxes`` ``(T, 4)``
    ``x, y, w, h``, in frame order."""

    track_id: int
    frames: np.ndarray
    boxes: np.ndarray


@dataclass(frozen=True)
class TrackletEmbeddings:
    """``embeddings`` ``(K, D)`` unit-length, one per tracklet; ``chosen[k]`` the frames of
    tracklet ``k`` whose crops were averaged (best first); ``quality[k]`` their mean keypoint
    score; ``pair_features`` the pair head's features of those crops (each tensor ``(C, ...)``,
    the chosen crops of every tracklet in turn) and ``crop_owner`` ``(C,)`` their tracklets;
    ``fps`` the footage's frame rate."""

    tracklets: list[Tracklet]
    embeddings: np.ndarray
    chosen: list[np.ndarray]
    quality: np.ndarray
    pair_features: dict
    crop_owner: np.ndarray
    fps: float


def tracklets_from_mot(rows: np.ndarray) -> list[Tracklet]:
    """Group ``(N, >= 6)`` MOT rows ``frame, id, x, y, w, h, ...`` by id (ids ascending)."""
    rows = np.asarray(rows, np.float64)
    out = []
    for track_id in np.unique(rows[:, 1]).astype(int):
        mine = rows[rows[:, 1] == track_id]
        mine = mine[np.argsort(mine[:, 0], kind='stable')]
        out.append(Tracklet(track_id, mine[:, 0].astype(int), mine[:, 2:6].copy()))
    return out


def select_frames(quality: np.ndarray, keep: int, select: str = 'pose') -> np.ndarray:
    """Indices (ascending) of ``keep`` of a track's ``(T,)`` crop ``quality`` scores: the
    highest (``'pose'``; ties: the earlier) or evenly spread (``'uniform'``, and ``'pose'``
    when all scores are equal)."""
    if select not in SELECTIONS:
        raise ValueError(f'select must be one of {SELECTIONS}; got {select!r}')
    if select == 'uniform' or np.ptp(quality) == 0:
        return _evenly(len(quality), keep)
    return np.sort(np.argsort(-quality, kind='stable')[:keep])


def _evenly(count: int, keep: int) -> np.ndarray:
    """``min(keep, count)`` indices evenly spread over ``range(count)``."""
    if keep >= count:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, keep).round().astype(int))


def _crop(frame: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """The box's pixels (clipped to the frame), or None when a side is under MIN_CROP."""
    h, w = frame.shape[:2]
    x0, y0 = max(int(round(box[0])), 0), max(int(round(box[1])), 0)
    x1, y1 = min(int(round(box[0] + box[2])), w), min(int(round(box[1] + box[3])), h)
    if x1 - x0 < MIN_CROP or y1 - y0 < MIN_CROP:
        return None
    return np.ascontiguousarray(frame[y0:y1, x0:x1])


@dataclass(frozen=True)
class CandidateCrops:
    """The candidate crops of one camera's ``tracklets``, run through the model once:
    ``features`` (:class:`~posereid.apis.inference.ImageFeatures`, one row per crop),
    ``owner`` ``(C,)`` their tracklets, ``frame`` ``(C,)`` their frames and ``quality``
    ``(C,)`` their mean keypoint scores; ``fps`` the footage's frame rate. Each frame
    selection is then a cheap step (:func:`embed_tracklets`)."""

    tracklets: list[Tracklet]
    features: ImageFeatures
    owner: np.ndarray
    frame: np.ndarray
    quality: np.ndarray
    fps: float


def candidate_crops(model, source: FrameSource, tracklets: list[Tracklet], candidates: int = 32,
                    batch_size: int = 32, drop_empty: bool = False) -> CandidateCrops:
    """``candidates`` crops evenly spread over each track, through :func:`extract` (pose on
    the fly). A tracklet none of whose boxes gives a crop of at least ``MIN_CROP`` pixels a
    side raises, naming it and the footage; with ``drop_empty`` it is left out instead (the
    result's ``tracklets`` are those kept), unless no tracklet is left."""
    if candidates < 1:
        raise ValueError(f'candidates must be >= 1; got {candidates}')
    picks = [t.frames[_evenly(len(t.frames), candidates)] for t in tracklets]
    wanted: dict[int, list[tuple[int, np.ndarray]]] = {}
    for k, (tracklet, frames) in enumerate(zip(tracklets, picks)):
        for frame in frames:
            box = tracklet.boxes[np.searchsorted(tracklet.frames, frame)]
            wanted.setdefault(int(frame), []).append((k, box))
    crops, owners, crop_frames = [], [], []
    for number, image in source:
        for k, box in wanted.get(number, ()):
            crop = _crop(image, box)
            if crop is not None:
                crops.append(crop)
                owners.append(k)
                crop_frames.append(number)
    owners, crop_frames = np.asarray(owners, int), np.asarray(crop_frames, int)
    empty = sorted(set(range(len(tracklets))) - set(owners.tolist()))
    if empty and drop_empty and len(empty) < len(tracklets):
        kept = [k for k in range(len(tracklets)) if k not in empty]
        owners = np.searchsorted(kept, owners)             # renumbered over the kept ones
        tracklets = [tracklets[k] for k in kept]
    elif empty:
        raise ValueError(f'{source.path}: track {tracklets[empty[0]].track_id} has no box of '
                         f'at least {MIN_CROP} x {MIN_CROP} pixels inside the frames '
                         f'({len(empty)} such tracks)')
    features = extract(model, crops, batch_size=batch_size)
    return CandidateCrops(list(tracklets), features, owners, crop_frames,
                          features.scores.mean(axis=1), float(source.fps))


def embed_tracklets(crops: CandidateCrops, frames_per_tracklet: int = 8,
                    select: str = 'pose') -> TrackletEmbeddings:
    """Each tracklet's embedding from ``frames_per_tracklet`` of its candidate crops, chosen by
    ``select`` (see the module doc)."""
    if frames_per_tracklet < 1:
        raise ValueError(f'frames_per_tracklet must be >= 1; got {frames_per_tracklet}')
    quality, features = crops.quality, crops.features
    embeddings, chosen, chosen_quality, kept = [], [], [], []
    for k in range(len(crops.tracklets)):
        mine = np.flatnonzero(crops.owner == k)
        # best first: the pair head compares a tracklet's first crops
        keep = mine[select_frames(quality[mine], frames_per_tracklet, select)]
        keep = keep[np.argsort(-quality[keep], kind='stable')]
        mean = features.embeddings[keep].mean(axis=0)
        embeddings.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
        chosen.append(crops.frame[keep])
        chosen_quality.append(float(quality[keep].mean()))
        kept.append(keep)
    rows = torch.from_numpy(np.concatenate(kept))
    return TrackletEmbeddings(
        list(crops.tracklets), np.stack(embeddings).astype(np.float32), chosen,
        np.asarray(chosen_quality, np.float32),
        {name: value[rows] for name, value in features.pair_features.items()},
        crops.owner[rows.numpy()], crops.fps)


def tracklet_embeddings(model, source: FrameSource, tracklets: list[Tracklet],
                        frames_per_tracklet: int = 8, select: str = 'pose',
                        candidates: int = 32, batch_size: int = 32) -> TrackletEmbeddings:
    """Embed each tracklet of one camera (see the module doc): :func:`candidate_crops` then
    :func:`embed_tracklets`."""
    if frames_per_tracklet < 1 or candidates < frames_per_tracklet:
        raise ValueError(f'need 1 <= frames_per_tracklet <= candidates; got '
                         f'{frames_per_tracklet}, {candidates}')
    return embed_tracklets(candidate_crops(model, source, tracklets, candidates, batch_size),
                           frames_per_tracklet, select)
