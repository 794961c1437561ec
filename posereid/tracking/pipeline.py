"""Multi-camera tracking: people followed through several cameras under one global identity.

For each camera, its detections (``frame, -1, x, y, w, h, conf``) are linked into tracks by
ByteTrack (:mod:`~posereid.tracking.single_camera`); each track's candidate crops go through the
re-id model with pose on the fly (:func:`~posereid.tracking.tracklets.candidate_crops`). Then all
cameras' tracklets are embedded from their best-posed crops and clustered into global
identities (:mod:`~posereid.tracking.association`). Without cross-camera association every track
is its own identity: the per-camera baseline.

A camera whose footage cannot be read, that has no detections or no track long enough, is
reported in ``failures`` (the message names it) and the other cameras go on; a track with no
crop of at least ``MIN_CROP`` pixels a side inside the frames is left out, in ``notes``.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from posereid.datasets.frames import FootageError, FrameSource
from .metrics import track_identities, tracking_metrics, tracklet_retrieval

from .association import Association, associate
from posereid.apis.inference import MIN_CROP
from .single_camera import TrackerConfig, track_detections
from .tracklets import (SELECTIONS, CandidateCrops, candidate_crops, embed_tracklets,
                         tracklets_from_mot)


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


@dataclass
class MultiCameraTracks:
    """``tracks[camera]``: ``(N, 7)`` MOT rows ``frame, global_id, x, y, w, h, conf``;
    ``local[camera]``: the same boxes with the single-camera tracker's ids; ``crops``: each
    camera's candidate crops; ``association`` (None without cross-camera association);
    ``fps`` and ``num_frames`` of each camera; ``failures``: camera → why it has no tracks;
    ``seconds``: time of each stage; ``notes``: camera → tracks left out (no usable crop)."""

    tracks: dict[str, np.ndarray]
    local: dict[str, np.ndarray]
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
        for camera, rows in self.tracks.items():
            local = self.local[camera]
            for gid in np.unique(rows[:, 1]).astype(int):
                identity = rows[:, 1] == gid
                for track in np.unique(local[identity, 1]).astype(int):
                    frames = rows[identity & (local[:, 1] == track), 0]
                    out.append({'global_id': int(gid), 'camera': camera, 'track_id': int(track),
                                'start_s': float((frames.min() - 1) / self.fps[camera]),
                                'end_s': float((frames.max() - 1) / self.fps[camera]),
                                'num_boxes': int(len(frames))})
        return sorted(out, key=lambda s: (s['global_id'], s['start_s'], s['camera']))


def track_cameras(model, sources: dict[str, FrameSource], detections: dict[str, np.ndarray],
                  config: MultiCameraConfig = MultiCameraConfig()) -> MultiCameraTracks:
    """Track the people of every camera of ``sources`` through all of them (module doc).

    ``detections[camera]`` are ``(M, >= 7)`` rows; boxes under ``MIN_CROP`` pixels a side
    cannot be embedded and are left out. ``model`` is needed for cross-camera association.
    """
    if not sources:
        raise ValueError('track_cameras needs at least one camera')
    local, crops, failures, notes = {}, {}, {}, {}
    seconds = {'track': 0.0, 'embed': 0.0, 'associate': 0.0}
    for camera, source in sources.items():
        try:
            start = time.perf_counter()
            rows = _camera_tracks(camera, source, detections.get(camera), config.tracker)
            seconds['track'] += time.perf_counter() - start
            if config.cross_camera:
                start = time.perf_counter()
                crops[camera] = candidate_crops(model, source, tracklets_from_mot(rows),
                                                config.candidates, drop_empty=True)
                seconds['embed'] += time.perf_counter() - start
                kept = [t.track_id for t in crops[camera].tracklets]
                dropped = sorted(set(rows[:, 1].astype(int)) - set(kept))
                if dropped:
                    rows = rows[np.isin(rows[:, 1], kept)]
                    notes[camera] = (f'{len(dropped)} track(s) left out, no box of at least '
                                     f'{MIN_CROP} x {MIN_CROP} pixels inside the frames: '
                                     f'{dropped[:10]}')
            local[camera] = rows
        except (FootageError, ValueError) as err:
            failures[camera] = str(err)
    if not local:
        raise ValueError('no camera could be tracked: ' + '; '.join(failures.values()))
    single = MultiCameraTracks(local, local, crops, None,
                               {camera: sources[camera].fps for camera in local},
                               {camera: sources[camera].num_frames for camera in local},
                               failures, seconds, notes)
    start = time.perf_counter()
    result = relabel(single, model, config)
    result.seconds = {**seconds, 'associate': time.perf_counter() - start}
    return result


def _camera_tracks(camera: str, source: FrameSource, detections: np.ndarray | None,
                   tracker: TrackerConfig) -> np.ndarray:
    if detections is None or not len(detections):
        raise ValueError(f'camera {camera} ({source.path}): no detections, nothing to track')
    detections = np.asarray(detections, np.float64)
    usable = detections[(detections[:, 4] >= MIN_CROP) & (detections[:, 5] >= MIN_CROP)]
    try:
        rows = track_detections(usable, source.fps, source.num_frames, tracker)
    except ValueError as err:
        raise ValueError(f'camera {camera} ({source.path}): {err}') from None
    if not len(rows):
        raise ValueError(f'camera {camera} ({source.path}): no track of at least '
                         f'{tracker.min_track_frames} frames in {len(usable)} detections')
    return rows


def relabel(result: MultiCameraTracks, model, config: MultiCameraConfig) -> MultiCameraTracks:
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
        association = associate(groups, model if config.rescore else None, config.threshold,
                                config.min_transit_s, config.shortlist, config.pair_weight,
                                config.crops_per_side)
        global_ids = {(str(c), int(t)): int(g) for c, t, g in zip(
            association.cameras, association.track_ids, association.global_ids)}
    else:
        for camera, rows in local.items():
            for track in np.unique(rows[:, 1]).astype(int):
                global_ids[(camera, int(track))] = len(global_ids) + 1
    tracks = {}
    for camera, rows in local.items():
        out = rows.copy()
        out[:, 1] = [global_ids[(camera, int(t))] for t in rows[:, 1]]
        tracks[camera] = out
    return dataclasses.replace(result, tracks=tracks, association=association)


def evaluate_tracks(result: MultiCameraTracks, truth: dict[str, np.ndarray],
                    config: MultiCameraConfig = MultiCameraConfig()) -> dict:
    """:func:`~posereid.tracking.metrics.tracking_metrics` of ``result`` against ``truth``
    (camera → ground-truth MOT rows with global ids), and, with candidate crops, cross-camera
    tracklet retrieval of the tracklets embedded as ``config`` says."""
    metrics = tracking_metrics(truth, result.tracks)
    cameras = [camera for camera in result.crops if camera in truth]
    if cameras:
        embeddings, identities, names = [], [], []
        for camera in cameras:
            tracklets = embed_tracklets(result.crops[camera], config.frames_per_tracklet,
                                        config.select)
            owner = track_identities(result.local[camera], truth[camera])
            embeddings.append(tracklets.embeddings)
            identities += [owner[t.track_id] for t in tracklets.tracklets]
            names += [camera] * len(tracklets.tracklets)
        try:
            metrics['tracklet_retrieval'] = tracklet_retrieval(
                np.concatenate(embeddings), np.array(identities), np.array(names))
        except ValueError as err:              # no identity seen by two cameras
            metrics['tracklet_retrieval'] = {'skipped': str(err)}
    return metrics
