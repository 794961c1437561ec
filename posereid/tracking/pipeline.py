"""Multi-camera tracking: people followed through several cameras under one global identity.

Each camera's footage is read once (:func:`follow_camera`): each frame's detections (a
:class:`~posereid.tracking.detections.DetectionSource`) go to the camera's tracker
(:mod:`~posereid.tracking.single_camera`), and the tracked boxes' crops to a bounded sampler of
candidates (:class:`~posereid.tracking.tracklets.CandidateSampler`). Then the candidates of all
cameras go through the re-id model together, with pose on the fly, and every tracklet's
embedding from its best-posed crops is clustered into global identities
(:mod:`~posereid.tracking.association`). Without cross-camera association every track is its
own identity: the per-camera baseline.

A camera whose footage cannot be read, that has no detections or no track long enough, is
reported in ``failures`` (the message names it) and the other cameras go on; a track with no
crop of at least ``MIN_CROP`` pixels a side inside the frames is left out, in ``notes``.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from posereid.apis.inference import MIN_CROP
from posereid.apis.predictor import Predictor
from posereid.datasets.boxes import Boxes
from posereid.datasets.frames import FrameSource
from posereid.utils.errors import USER_ERRORS

from .association import Association, associate
from .detections import DetectionSource
from .metrics import track_identities, tracking_metrics, tracklet_retrieval
from .single_camera import TrackerConfig, build_tracker, drop_short_tracks
from .tracklets import (SELECTIONS, CandidateCrops, CandidateSampler, embed_candidates,
                        embed_tracklets)

#: Stages of :func:`track_cameras` timed in ``MultiCameraTracks.seconds``.
STAGES = ('decode', 'detect', 'track', 'embed', 'associate')
#: ``on_frame(camera, frame number, (H, W, 3) RGB)``: called with every frame as it is read.
FrameCallback = Callable[[str, int, np.ndarray], None]


@dataclass(frozen=True)
class MultiCameraConfig:
    """What :func:`track_cameras` does. ``cross_camera=False``: per-camera ids only;
    ``rescore``: the pair head re-scores each tracklet's ``shortlist``; ``select``: ``'pose'``
    or ``'uniform'`` crops, ``frames_per_tracklet`` of ``candidates``; ``threshold``,
    ``min_transit_s``, ``pair_weight``, ``crops_per_side``: see
    :func:`~posereid.tracking.association.associate`."""

    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    cross_camera: bool = True
    rescore: bool = True
    select: str = 'pose'
    frames_per_tracklet: int = 8
    candidates: int = 32
    threshold: float = 0.03
    min_transit_s: float | None = 1.0
    shortlist: int = 5
    pair_weight: float = 0.5
    crops_per_side: int = 3

    def __post_init__(self):
        if self.select not in SELECTIONS:
            raise ValueError(f'select must be one of {SELECTIONS}; got {self.select!r}')
        if not 1 <= self.frames_per_tracklet <= self.candidates:
            raise ValueError(f'need 1 <= frames_per_tracklet <= candidates; got '
                             f'{self.frames_per_tracklet}, {self.candidates}')
        if self.threshold < 0 or self.shortlist < 0 or self.crops_per_side < 1:
            raise ValueError(f'need threshold >= 0, shortlist >= 0 and crops_per_side >= 1; '
                             f'got {self.threshold}, {self.shortlist}, {self.crops_per_side}')
        if not 0 <= self.pair_weight <= 1:
            raise ValueError(f'pair_weight must be in [0, 1]; got {self.pair_weight}')
        if self.min_transit_s is not None and self.min_transit_s < 0:
            raise ValueError(f'min_transit_s must be >= 0 (or None); got {self.min_transit_s}')


@dataclass
class MultiCameraTracks:
    """``tracks[camera]``: the tracked boxes with their global ids; ``local[camera]``: the same
    boxes with the single-camera tracker's ids; ``crops``: each camera's candidate crops;
    ``association`` (None without cross-camera association), which keeps the tracklet
    embeddings it clustered; ``fps`` and ``num_frames`` of each camera; ``failures``: camera →
    why it has no tracks; ``seconds``: time of each stage (:data:`STAGES`); ``notes``: camera →
    tracks left out (no usable crop)."""

    tracks: dict[str, Boxes]
    local: dict[str, Boxes]
    crops: dict[str, CandidateCrops]
    association: Association | None
    fps: dict[str, float]
    num_frames: dict[str, int]
    failures: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def segments(self) -> list[dict]:
        """Every global identity's appearances: ``{'global_id', 'camera', 'track_id',
        'start_s', 'end_s', 'num_boxes'}``, by global id, then start."""
        out = []
        for camera, tracks in self.tracks.items():
            local = self.local[camera]
            for gid in tracks.unique_ids():
                identity = tracks.ids == gid
                for track in np.unique(local.ids[identity]):
                    frames = tracks.frame[identity & (local.ids == track)]
                    out.append({'global_id': int(gid), 'camera': camera, 'track_id': int(track),
                                'start_s': float((frames.min() - 1) / self.fps[camera]),
                                'end_s': float((frames.max() - 1) / self.fps[camera]),
                                'num_boxes': int(len(frames))})
        return sorted(out, key=lambda s: (s['global_id'], s['start_s'], s['camera']))


def follow_camera(camera: str, source: FrameSource, detections: DetectionSource,
                  config: MultiCameraConfig, seconds: dict[str, float],
                  on_frame: FrameCallback | None = None
                  ) -> tuple[Boxes, CandidateSampler | None]:
    """One camera's tracks (tracks shorter than ``min_track_frames`` left out) and, for
    cross-camera association, the sampler holding their candidate crops: one pass over the
    footage, decoded only when the detector, the sampler or ``on_frame`` needs the pixels.
    Adds each stage's time to ``seconds`` (``on_frame``'s own time to none)."""
    detect = detections.for_camera(camera, source)
    tracker = build_tracker(source.fps, config.tracker)
    sampler = CandidateSampler(config.candidates) if config.cross_camera else None
    if detections.needs_pixels or sampler is not None or on_frame is not None:
        frames = iter(source)
    else:
        frames = ((number, None) for number in range(1, source.num_frames + 1))
    tracked, found_count = [], 0
    clock = time.perf_counter()
    for number, image in frames:
        decoded = time.perf_counter()
        found = detect(number, image)
        found = found[(found.width >= MIN_CROP) & (found.height >= MIN_CROP)]
        found_count += len(found)
        detected = time.perf_counter()
        tracked.append(tracker.update(number, found))
        done = time.perf_counter()
        if sampler is not None:
            sampler.add(image, tracked[-1])
        sampled = time.perf_counter()
        seconds['decode'] += decoded - clock
        seconds['detect'] += detected - decoded
        seconds['track'] += done - detected
        seconds['embed'] += sampled - done
        if on_frame is not None:
            on_frame(camera, number, image)
        clock = time.perf_counter()
    if not found_count:
        raise ValueError(f'camera {camera} ({source.path}): no detections, nothing to track')
    tracks = drop_short_tracks(Boxes.concatenate(tracked), config.tracker.min_track_frames)
    if not len(tracks):
        raise ValueError(f'camera {camera} ({source.path}): no track of at least '
                         f'{config.tracker.min_track_frames} frames in {found_count} detections')
    return tracks, sampler


def track_cameras(predictor: Predictor, sources: dict[str, FrameSource],
                  detections: DetectionSource,
                  config: MultiCameraConfig = MultiCameraConfig(),
                  on_frame: FrameCallback | None = None) -> MultiCameraTracks:
    """Track the people of every camera of ``sources`` through all of them (module doc).
    ``predictor`` is needed for cross-camera association; ``on_frame`` sees every frame read."""
    if not sources:
        raise ValueError('track_cameras needs at least one camera')
    local, sampled, failures, notes = {}, {}, {}, {}
    seconds = dict.fromkeys(STAGES, 0.0)
    for camera, source in sources.items():
        try:
            tracks, sampler = follow_camera(camera, source, detections, config, seconds,
                                            on_frame)
            if sampler is not None:
                start = time.perf_counter()
                sampled[camera], empty = sampler.sampled(tracks, source.fps)
                seconds['embed'] += time.perf_counter() - start
                if not sampled[camera].tracklets:
                    del sampled[camera]
                    raise ValueError(f'camera {camera} ({source.path}): no track has a box of '
                                     f'at least {MIN_CROP} x {MIN_CROP} pixels inside the '
                                     f'frames')
                if empty:
                    tracks = tracks[~np.isin(tracks.ids, empty)]
                    notes[camera] = (f'{len(empty)} track(s) left out, no box of at least '
                                     f'{MIN_CROP} x {MIN_CROP} pixels inside the frames: '
                                     f'{empty[:10]}')
            local[camera] = tracks
        except USER_ERRORS as err:
            failures[camera] = str(err)
    if not local:
        raise ValueError('no camera could be tracked: ' + '; '.join(failures.values()))
    start = time.perf_counter()
    crops = embed_candidates(predictor, sampled) if sampled else {}
    seconds['embed'] += time.perf_counter() - start
    single = MultiCameraTracks(local, local, crops, None,
                               {camera: sources[camera].fps for camera in local},
                               {camera: sources[camera].num_frames for camera in local},
                               failures, seconds, notes)
    start = time.perf_counter()
    result = relabel(single, predictor, config)
    result.seconds['associate'] = time.perf_counter() - start
    return result


def relabel(result: MultiCameraTracks, predictor: Predictor,
            config: MultiCameraConfig) -> MultiCameraTracks:
    """``result`` with new global identities for its single-camera tracks, from their
    candidate crops as ``config`` says: the association step of :func:`track_cameras`, on its
    own so that variants reuse one pass of the model."""
    local, crops = result.local, result.crops
    if config.cross_camera and set(local) - set(crops):
        raise ValueError('cross-camera association needs each camera\'s candidate crops: '
                         'track with cross_camera=True first')
    global_ids: dict[tuple[str, int], int] = {}
    association = None
    if config.cross_camera:
        groups = {camera: embed_tracklets(crops[camera], config.frames_per_tracklet,
                                          config.select) for camera in local}
        association = associate(groups, predictor if config.rescore else None,
                                config.threshold, config.min_transit_s, config.shortlist,
                                config.pair_weight, config.crops_per_side)
        global_ids = {(str(c), int(t)): int(g) for c, t, g in zip(
            association.cameras, association.track_ids, association.global_ids)}
    else:
        for camera, tracks in local.items():
            for track in tracks.unique_ids():
                global_ids[(camera, int(track))] = len(global_ids) + 1
    tracks = {camera: boxes.with_ids([global_ids[(camera, int(t))] for t in boxes.ids])
              for camera, boxes in local.items()}
    return dataclasses.replace(result, tracks=tracks, association=association,
                               seconds=dict(result.seconds))


def evaluate_tracks(result: MultiCameraTracks, truth: dict[str, Boxes]) -> dict:
    """:func:`~posereid.tracking.metrics.tracking_metrics` of ``result`` against ``truth``
    (camera → ground-truth boxes with global ids), and, after cross-camera association,
    cross-camera retrieval of the tracklet embeddings it clustered."""
    metrics = tracking_metrics(truth, result.tracks)
    groups = result.association.tracklets if result.association is not None else {}
    cameras = [camera for camera in groups if camera in truth]
    if cameras:
        embeddings, identities, names = [], [], []
        for camera in cameras:
            owner = track_identities(result.local[camera], truth[camera])
            embeddings.append(groups[camera].embeddings)
            identities += [owner[t.track_id] for t in groups[camera].tracklets]
            names += [camera] * len(groups[camera].tracklets)
        try:
            metrics['tracklet_retrieval'] = tracklet_retrieval(
                np.concatenate(embeddings), np.array(identities), np.array(names))
        except ValueError as err:              # no identity seen by two cameras
            metrics['tracklet_retrieval'] = {'skipped': str(err)}
    return metrics
