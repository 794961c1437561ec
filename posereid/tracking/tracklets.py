"""One embedding per tracklet: the crops of a track in one camera, pose-selected and averaged.

A tracklet is one identity's boxes in one camera (a single-camera tracker's track, or the
ground truth's). While the footage goes by once, :class:`CandidateSampler` keeps a bounded
number of each track's crops, evenly spread over the track so far. The candidates of all
cameras then go through the re-id model together, in batches, with pose on the fly
(:func:`embed_candidates`). A tracklet's embedding is the mean of the L2-normalised
embeddings of its ``frames_per_tracklet`` best candidates, normalised again; the pair
features of those crops are kept for the pair head (:mod:`posereid.tracking.association`).
``select='pose'`` takes the crops whose keypoints the pose network is most sure of (mean
keypoint score: a whole, unoccluded, well-framed person), ``'uniform'`` crops evenly spread
over the track. Models without pose have no scores: they always select uniformly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from posereid.apis.inference import MIN_CROP, ImageFeatures, extract
from posereid.apis.predictor import Predictor
from posereid.datasets.boxes import Boxes
from posereid.datasets.frames import FrameSource

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


def tracklets_from_boxes(boxes: Boxes) -> list[Tracklet]:
    """Group boxes by identity (ids ascending), each in frame order."""
    out = []
    for track_id in boxes.unique_ids():
        mine = boxes.of_id(track_id)
        out.append(Tracklet(int(track_id), mine.frame, mine.xywh))
    return out


def select_frames(quality: np.ndarray, keep: int, select: str = 'pose') -> np.ndarray:
    """Indices (ascending) of ``keep`` of a track's ``(T,)`` crop ``quality`` scores: the
    highest (``'pose'``; ties: the earlier) or evenly spread (``'uniform'``, and ``'pose'``
    when all scores are equal)."""
    if select not in SELECTIONS:
        raise ValueError(f'select must be one of {SELECTIONS}; got {select!r}')
    if select == 'uniform' or np.ptp(quality) == 0:
        return evenly_spread(len(quality), keep)
    return np.sort(np.argsort(-quality, kind='stable')[:keep])


def evenly_spread(count: int, keep: int) -> np.ndarray:
    """``min(keep, count)`` indices evenly spread over ``range(count)``."""
    if keep >= count:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, keep).round().astype(int))


def crop_box(frame: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """The ``x, y, w, h`` box's pixels (clipped to the frame), or None when a side is under
    MIN_CROP."""
    h, w = frame.shape[:2]
    x0, y0 = max(int(round(box[0])), 0), max(int(round(box[1])), 0)
    x1, y1 = min(int(round(box[0] + box[2])), w), min(int(round(box[1] + box[3])), h)
    if x1 - x0 < MIN_CROP or y1 - y0 < MIN_CROP:
        return None
    return np.ascontiguousarray(frame[y0:y1, x0:x1])


class SpreadWindow:
    """At most ``2 × size`` items of a growing sequence, evenly spread over it: the ``k``-th
    item offered (0-based) is kept while ``k`` is a multiple of the stride; when more than
    ``2 × size`` are kept, every other one is dropped and the stride doubles. ``items``:
    ``(position, item)`` pairs, in order."""

    def __init__(self, size: int):
        if size < 1:
            raise ValueError(f'size must be >= 1; got {size}')
        self.size = size
        self.items: list[tuple[int, object]] = []
        self.seen = 0
        self.stride = 1

    def offer(self, make: Callable[[], object]) -> bool:
        """Count one more item of the sequence; keep ``make()`` where its position is kept.
        Returns whether it was kept."""
        kept = self.seen % self.stride == 0
        if kept:
            self.items.append((self.seen, make()))
            if len(self.items) > 2 * self.size:
                self.items = [(k, item) for k, item in self.items
                              if (k // self.stride) % 2 == 0]
                self.stride *= 2
        self.seen += 1
        return kept


@dataclass
class SampledCrops:
    """One camera's candidate crops before the model: ``crops`` ``(C)`` of ``tracklets``
    (``owner`` ``(C,)`` rows into them) on frames ``frame`` ``(C,)``; ``fps`` the footage's."""

    tracklets: list[Tracklet]
    crops: list[np.ndarray]
    owner: np.ndarray
    frame: np.ndarray
    fps: float


class CandidateSampler:
    """Candidate crops of one camera's tracks while its frames go by, in bounded memory.

    A track's ``k``-th box (0-based) is kept while ``k`` is a multiple of the track's stride;
    when more than ``2 × candidates`` are kept, every other one is dropped and the stride
    doubles. So each track holds at most ``2 × candidates`` crops, evenly spread over the
    track so far, and :meth:`sampled` takes ``candidates`` of them evenly spread.
    """

    def __init__(self, candidates: int = 32):
        if candidates < 1:
            raise ValueError(f'candidates must be >= 1; got {candidates}')
        self.candidates = candidates
        self._tracks: dict[int, SpreadWindow] = {}

    def add(self, image: np.ndarray, boxes: Boxes) -> None:
        """The boxes of one frame (``image``: its ``(H, W, 3)`` RGB pixels), with track ids."""
        for track_id, frame, box in zip(boxes.ids, boxes.frame, boxes.xywh):
            window = self._tracks.setdefault(int(track_id), SpreadWindow(self.candidates))
            window.offer(lambda: (int(frame), crop_box(image, box)))

    def sampled(self, tracks: Boxes, fps: float) -> tuple[SampledCrops, list[int]]:
        """The candidates of the tracks of ``tracks`` (a track's boxes, with the ids given to
        :meth:`add`), and the ids of the tracks that have no crop of at least ``MIN_CROP``
        pixels a side inside the frames (left out of the result)."""
        tracklets, crops, owner, frames, empty = [], [], [], [], []
        for tracklet in tracklets_from_boxes(tracks):
            window = self._tracks.get(tracklet.track_id)
            kept = [item for _, item in window.items] if window else []
            picked = [kept[i] for i in evenly_spread(len(kept), self.candidates)
                      if kept[i][1] is not None]
            if not picked:
                empty.append(tracklet.track_id)
                continue
            crops += [crop for _, crop in picked]
            frames += [frame for frame, _ in picked]
            owner += [len(tracklets)] * len(picked)
            tracklets.append(tracklet)
        return SampledCrops(tracklets, crops, np.asarray(owner, int), np.asarray(frames, int),
                            float(fps)), empty


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


def embed_candidates(predictor: Predictor, sampled: dict[str, SampledCrops],
                     batch_size: int = 32) -> dict[str, CandidateCrops]:
    """The candidates of every camera through :func:`~posereid.apis.inference.extract`
    together (pose on the fly, ``batch_size`` crops a batch, cameras mixed), split back by
    camera."""
    crops = [crop for part in sampled.values() for crop in part.crops]
    features = extract(predictor, crops, batch_size=batch_size)
    out, start = {}, 0
    for camera, part in sampled.items():
        rows = np.arange(start, start + len(part.crops))
        start += len(part.crops)
        mine = features.rows(rows)
        out[camera] = CandidateCrops(part.tracklets, mine, part.owner, part.frame,
                                     mine.scores.mean(axis=1), part.fps)
    return out


def candidate_crops(predictor: Predictor, source: FrameSource, tracklets: list[Tracklet],
                    candidates: int = 32, batch_size: int = 32) -> CandidateCrops:
    """The candidates of given tracklets (e.g. the ground truth's) of one camera's footage, read
    once. A tracklet none of whose boxes gives a crop of at least ``MIN_CROP`` pixels a side
    raises, naming it and the footage."""
    sampler = CandidateSampler(candidates)
    boxes = Boxes.concatenate(Boxes.create(t.frames, t.boxes, ids=np.full(len(t.frames),
                                                                          t.track_id))
                              for t in tracklets).by_frame()
    bounds = np.searchsorted(boxes.frame, np.arange(1, source.num_frames + 2))
    for number, image in source:
        sampler.add(image, boxes[bounds[number - 1]:bounds[number]])
    sampled, empty = sampler.sampled(boxes, source.fps)
    if empty:
        raise ValueError(f'{source.path}: track {empty[0]} has no box of at least {MIN_CROP} x '
                         f'{MIN_CROP} pixels inside the frames ({len(empty)} such tracks)')
    return embed_candidates(predictor, {'camera': sampled}, batch_size)['camera']


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
        embedding, best = mean_of_best(features.embeddings[mine], quality[mine],
                                       frames_per_tracklet, select)
        keep = mine[best]
        embeddings.append(embedding)
        chosen.append(crops.frame[keep])
        chosen_quality.append(float(quality[keep].mean()))
        kept.append(keep)
    rows = torch.from_numpy(np.concatenate(kept))
    return TrackletEmbeddings(
        list(crops.tracklets), np.stack(embeddings).astype(np.float32), chosen,
        np.asarray(chosen_quality, np.float32),
        {name: value[rows] for name, value in features.pair_features.items()},
        crops.owner[rows.numpy()], crops.fps)


def mean_of_best(embeddings: np.ndarray, quality: np.ndarray, keep: int,
                 select: str = 'pose') -> tuple[np.ndarray, np.ndarray]:
    """A tracklet's ``(D,)`` unit-length embedding from its crops' ``(C, D)`` unit-length
    ``embeddings`` and ``(C,)`` ``quality``: the normalised mean of the ``keep`` crops that
    ``select`` chooses; and their indices, best first (the pair head compares a tracklet's
    first crops)."""
    best = select_frames(quality, keep, select)
    best = best[np.argsort(-quality[best], kind='stable')]
    mean = embeddings[best].mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12), best


def tracklet_embeddings(predictor: Predictor, source: FrameSource, tracklets: list[Tracklet],
                        frames_per_tracklet: int = 8, select: str = 'pose',
                        candidates: int = 32, batch_size: int = 32) -> TrackletEmbeddings:
    """Embed each tracklet of one camera (see the module doc): :func:`candidate_crops` then
    :func:`embed_tracklets`."""
    if frames_per_tracklet < 1 or candidates < frames_per_tracklet:
        raise ValueError(f'need 1 <= frames_per_tracklet <= candidates; got '
                         f'{frames_per_tracklet}, {candidates}')
    return embed_tracklets(candidate_crops(predictor, source, tracklets, candidates, batch_size),
                           frames_per_tracklet, select)
