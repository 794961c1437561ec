"""``tools/live.py`` as a function: people followed across cameras while the frames arrive.

:func:`run_live` reads every camera as a feed (:mod:`~posereid.tracking.feeds`: files played
as fast as they decode or at their own rate, streams as they come) and handles the frames of
all cameras a tick at a time:

1. each frame's detections (a :class:`~posereid.tracking.detections.DetectionSource`) go to the
   camera's tracker (:func:`~posereid.tracking.single_camera.build_tracker`);
2. each track keeps a bounded, evenly spread window of crops
   (:class:`~posereid.tracking.tracklets.SpreadWindow`); crops of all cameras go through the
   model together, with pose in the same batches (:func:`~posereid.apis.inference.extract`):
   at once those a new track needs for its decision and those of the tracks that end, and the
   crops of the tracks already decided once ``batch_size`` of them wait;
3. a track with ``min_track_frames`` boxes and ``min_crops`` embedded crops is decided
   (:class:`~posereid.tracking.live.OnlineIdentities`), its boxes so far written under its
   identity, and its later boxes as their frames come;
4. a track not seen for the tracker's ``lost_track_s`` ends: its final embedding may merge two
   identities; identities not seen for ``forget_after_s`` leave the gallery for
   ``OUT/gallery/``.

Outputs, each append-only in whole lines or written atomically::

    OUT/events.jsonl          the event stream (posereid.tracking.events)
    OUT/tracks/<camera>.txt   MOT rows frame,global_id,x,y,w,h,conf,-1,-1,-1, appended
    OUT/gallery/<id>.npz      the identities that left the active gallery
    OUT/summary.json          when it stops (end of footage or Ctrl-C): the offline tool's
                              keys, and the live figures: events, merges, camera events,
                              latencies (``frame``: read to handled, which includes the
                              queue a file read ahead waits in; ``frame_handling``: its
                              tick taken to handled; ``decision``: evidence complete to
                              identity written)

A box is written under the identity its track had when it was written: a merge is an event,
written output is never rewritten. A track that ends with fewer than ``min_track_frames``
boxes or no usable crop is not written (counted in ``notes``). What a finished run wrote in
``OUT`` is removed first; a folder with a killed run's files (no ``summary.json``) is refused,
since they would be appended to.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from posereid.apis.inference import MIN_CROP, extract
from posereid.apis.predictor import Predictor
from posereid.datasets.boxes import Boxes
from posereid.datasets.frames import open_live
from posereid.datasets.mot import append_mot_boxes, read_mot_boxes, read_mot_truth
from posereid.utils.errors import USER_ERRORS
from posereid.utils.io import atomic_save_json

from .detections import DetectionSource, GroundTruthBoxes
from .events import CAMERA_EVENTS, EventLog
from .feeds import CameraFeed, Frame, ticks
from .live import OnlineIdentities
from .metrics import tracking_metrics
from .pipeline import MultiCameraConfig
from .run import clear_outputs, tracking_summary
from .single_camera import build_tracker
from .tracklets import SpreadWindow, crop_box, mean_of_best

#: Stages timed in ``summary['seconds']``.
LIVE_STAGES = ('detect', 'track', 'embed', 'decide', 'write', 'view')


@dataclass(frozen=True)
class LiveConfig:
    """What :func:`run_live` does: ``association`` (the offline settings it shares: tracker,
    ``rescore``, ``select``, ``frames_per_tracklet``, ``threshold``, ``min_transit_s``,
    ``shortlist``, ``pair_weight``, ``crops_per_side``; ``candidates`` is each track's
    window), ``min_crops`` embedded crops before a decision, ``forget_after_s`` (an identity
    unseen that long leaves the gallery), ``stall_s`` (a camera silent that long is marked
    stalled), ``batch_size`` (crops a model batch)."""

    association: MultiCameraConfig = field(default_factory=MultiCameraConfig)
    min_crops: int = 4
    forget_after_s: float = 120.0
    stall_s: float = 5.0
    batch_size: int = 64

    def __post_init__(self):
        if not 1 <= self.min_crops <= 2 * self.association.candidates:
            raise ValueError(f'need 1 <= min_crops <= 2 x candidates; got {self.min_crops}')
        if self.forget_after_s <= 0 or self.stall_s <= 0 or self.batch_size < 1:
            raise ValueError(f'need forget_after_s > 0, stall_s > 0, batch_size >= 1; got '
                             f'{self.forget_after_s}, {self.stall_s}, {self.batch_size}')


@dataclass
class Crop:
    """A track's crop: its ``frame``, its ``pixels`` until embedded (None: too small), then
    its ``embedding`` ``(D,)``, ``quality`` and ``pair`` features (each ``(1, ...)``)."""

    frame: int
    pixels: np.ndarray | None
    embedding: np.ndarray | None = None
    quality: float = 0.0
    pair: dict | None = None


@dataclass
class Track:
    """One camera's track while it lives: its crop ``window``, its boxes not yet written
    (``pending``), how many it has had, its first and last second, its gallery ``row`` and
    ``identity`` once decided, and when its evidence sufficed (``ready``, monotonic)."""

    window: SpreadWindow
    pending: list = field(default_factory=list)
    num_boxes: int = 0
    first_s: float = 0.0
    last_s: float = 0.0
    row: int | None = None
    identity: int | None = None
    ready: float | None = None
    last_box: np.ndarray | None = None

    def embedded(self) -> list[Crop]:
        return [crop for _, crop in self.window.items if crop.embedding is not None]


@dataclass
class Camera:
    """One camera's state: its footage, detector, tracker, live tracks and counters."""

    footage: object
    detect: object
    tracker: object
    tracks: dict = field(default_factory=dict)
    num_frames: int = 0
    num_boxes: int = 0
    num_tracks: int = 0
    dropped_tracks: int = 0
    now_s: float = 0.0
    global_ids: set = field(default_factory=set)


class LiveTracker:
    """The state of a live run (module doc): cameras, gallery, events, outputs, timings."""

    def __init__(self, predictor: Predictor, cameras: dict[str, Camera], out_dir: Path,
                 config: LiveConfig, events: EventLog, view=None):
        self.predictor, self.out_dir, self.config = predictor, out_dir, config
        self.cameras, self.events, self.view = cameras, events, view
        a = config.association
        self.gallery = OnlineIdentities(
            predictor if a.rescore else None, out_dir / 'gallery', a.threshold,
            a.min_transit_s, a.shortlist, a.pair_weight, a.crops_per_side, config.forget_after_s)
        self.seconds = dict.fromkeys(LIVE_STAGES, 0.0)
        self.frame_latency: list[float] = []
        self.frame_handling: list[float] = []
        self.decision_latency: list[float] = []
        self.segments: list[dict] = []
        self.merges: list[dict] = []

    def step(self, tick: list[Frame]) -> None:
        """Handle the frames of one tick (module doc, steps 1-4)."""
        writes: dict[str, list] = {}
        for frame in tick:
            self._follow(frame, writes)
        lost = self.config.association.tracker.lost_track_s
        ending = [(name, track_id) for name, camera in self.cameras.items()
                  for track_id, track in camera.tracks.items()
                  if track.last_s < camera.now_s - lost]
        self._embed(ending)
        start = time.perf_counter()
        for name, camera in self.cameras.items():
            for track_id, track in camera.tracks.items():
                if track.row is None and self._ready(track):
                    self._decide(name, track_id, track, writes)
        for name, track_id in ending:
            self._end(name, track_id, writes)
        now = max(camera.now_s for camera in self.cameras.values())
        for identity in self.gallery.forget(now):
            self.events.emit('left', global_id=identity, time_s=now)
        self.seconds['decide'] += time.perf_counter() - start
        self._write(writes)
        done = time.monotonic()
        self.frame_latency += [done - frame.arrival for frame in tick]
        self.frame_handling += [done - frame.taken for frame in tick]
        if self.view is not None:
            start = time.perf_counter()
            for frame in tick:
                self.view.show_frame(frame.camera, frame.number, frame.time_s, frame.image,
                                     self._boxes_now(frame))
            self.view.show_identities(self.gallery)
            self.seconds['view'] += time.perf_counter() - start

    def stop(self) -> None:
        """End every track (the footage ended or the run was stopped) and write."""
        writes: dict[str, list] = {}
        ending = [(name, track_id) for name, camera in self.cameras.items()
                  for track_id in camera.tracks]
        self._embed(ending)
        start = time.perf_counter()
        for name, track_id in ending:
            self._end(name, track_id, writes)
        self.seconds['decide'] += time.perf_counter() - start
        self._write(writes)

    def _follow(self, frame: Frame, writes: dict) -> None:
        camera = self.cameras[frame.camera]
        start = time.perf_counter()
        found = camera.detect(frame.source_frame, frame.image)
        found = found[(found.width >= MIN_CROP) & (found.height >= MIN_CROP)]
        detected = time.perf_counter()
        tracked = camera.tracker.update(frame.number, found)
        self.seconds['detect'] += detected - start
        self.seconds['track'] += time.perf_counter() - detected
        camera.num_frames += 1
        camera.now_s = frame.time_s
        for box in range(len(tracked)):
            track_id = int(tracked.ids[box])
            track = camera.tracks.get(track_id)
            if track is None:
                track = camera.tracks[track_id] = Track(SpreadWindow(
                    self.config.association.candidates), first_s=frame.time_s)
            track.window.offer(lambda: Crop(frame.number, crop_box(frame.image,
                                                                   tracked.xywh[box])))
            track.num_boxes += 1
            track.last_s, track.last_box = frame.time_s, tracked.xywh[box]
            if track.row is None:
                track.pending.append(tracked[box])
            else:
                self.gallery.seen(track.row, frame.time_s)
                writes.setdefault(frame.camera, []).append(
                    tracked[box].with_ids([track.identity]))

    def _embed(self, ending: list[tuple[str, int]]) -> None:
        """Crops of all cameras through the model together, in one call: those of the tracks
        that could be decided with them (``min_track_frames`` boxes and ``min_crops`` crops),
        of the tracks ``ending``, and, once ``batch_size`` of them wait, those of the decided
        tracks (a call's cost is mostly fixed: few, full calls cost least)."""
        start = time.perf_counter()
        a, ending = self.config.association, set(ending)
        urgent, waiting = [], []
        for name, camera in self.cameras.items():
            for track_id, track in camera.tracks.items():
                crops = [crop for _, crop in track.window.items
                         if crop.embedding is None and crop.pixels is not None]
                if (name, track_id) in ending or (
                        track.row is None and track.num_boxes >= a.tracker.min_track_frames
                        and len(track.embedded()) + len(crops) >= self.config.min_crops):
                    urgent += crops
                elif track.row is not None:
                    waiting += crops
        todo = urgent + (waiting if len(waiting) >= self.config.batch_size else [])
        if todo:
            features = extract(self.predictor, [crop.pixels for crop in todo],
                               batch_size=self.config.batch_size)
            quality = features.scores.mean(axis=1)
            for k, crop in enumerate(todo):
                crop.embedding = features.embeddings[k].copy()    # not a view of the batch
                crop.quality, crop.pixels = quality[k], None
                crop.pair = {name: value[k:k + 1].clone()
                             for name, value in features.pair_features.items()}
        self.seconds['embed'] += time.perf_counter() - start

    def _ready(self, track: Track) -> bool:
        ready = (track.num_boxes >= self.config.association.tracker.min_track_frames
                 and len(track.embedded()) >= self.config.min_crops)
        if ready and track.ready is None:
            track.ready = time.monotonic()
        return ready

    def _summary_of(self, track: Track) -> tuple[np.ndarray, dict]:
        """A track's embedding and the pair features of its best crops, best first."""
        crops = track.embedded()
        a = self.config.association
        embedding, best = mean_of_best(np.stack([c.embedding for c in crops]),
                                       np.array([c.quality for c in crops]),
                                       a.frames_per_tracklet, a.select)
        best = best[:a.crops_per_side]
        pair = {name: torch.cat([crops[k].pair[name] for k in best]) for name in crops[0].pair}
        return embedding, pair

    def _decide(self, camera: str, track_id: int, track: Track, writes: dict) -> None:
        embedding, pair = self._summary_of(track)
        track.row, decision = self.gallery.decide(camera, track_id, [track.first_s, track.last_s],
                                                  embedding, pair)
        track.identity = decision.identity
        self.cameras[camera].num_tracks += 1
        self.events.emit(decision.kind, camera=camera, track_id=track_id,
                         global_id=decision.identity, time_s=track.last_s,
                         score=decision.distance)
        writes.setdefault(camera, []).extend(box.with_ids([track.identity])
                                             for box in track.pending)
        track.pending = []
        self.decision_latency.append(time.monotonic() - track.ready)

    def _end(self, name: str, track_id: int, writes: dict) -> None:
        camera = self.cameras[name]
        track = camera.tracks.pop(track_id)
        if track.row is None:
            enough = track.num_boxes >= self.config.association.tracker.min_track_frames
            if not (enough and track.embedded()):
                camera.dropped_tracks += 1
                return
            track.ready = time.monotonic()
            self._decide(name, track_id, track, writes)
        embedding, pair = self._summary_of(track)
        merge = self.gallery.finish(track.row, embedding, pair)
        if merge is not None:
            self.merges.append({'global_id': merge.identity, 'merged_id': merge.absorbed,
                                'distance': merge.distance, 'time_s': track.last_s})
            for live in (t for c in self.cameras.values() for t in c.tracks.values()):
                if live.identity == merge.absorbed:      # from now on under the kept identity
                    live.identity = merge.identity
            self.events.emit('merged', camera=name, track_id=track_id,
                             global_id=merge.identity, merged_id=merge.absorbed,
                             time_s=track.last_s, score=merge.distance)
        self.segments.append({'global_id': track.identity, 'camera': name,
                              'track_id': track_id, 'start_s': track.first_s,
                              'end_s': track.last_s, 'num_boxes': track.num_boxes})

    def _write(self, writes: dict) -> None:
        start = time.perf_counter()
        for name, boxes in writes.items():
            if boxes:
                boxes = Boxes.concatenate(boxes)
                append_mot_boxes(boxes, self.out_dir / 'tracks' / f'{name}.txt')
                self.cameras[name].num_boxes += len(boxes)
                self.cameras[name].global_ids.update(boxes.ids.tolist())
        self.seconds['write'] += time.perf_counter() - start

    def _boxes_now(self, frame: Frame) -> Boxes:
        """The camera's tracks on ``frame`` with their identities (0: not yet decided)."""
        here = [track for track in self.cameras[frame.camera].tracks.values()
                if track.last_s == frame.time_s]
        return Boxes.create([frame.number] * len(here),
                            np.array([track.last_box for track in here]).reshape(-1, 4),
                            ids=[track.identity or 0 for track in here])


def open_camera(name: str, source, detections: DetectionSource, config: LiveConfig) -> Camera:
    """A camera's state: its detector and a fresh tracker; errors name the camera."""
    return Camera(source, detections.for_camera(name, source),
                  build_tracker(source.fps, config.association.tracker))


def _named(camera: str, error: Exception) -> str:
    """The error's message, beginning with the camera's name."""
    return str(error) if str(error).startswith(f'camera {camera}') else f'camera {camera}: {error}'


def run_live(predictor: Predictor, videos: dict[str, str | os.PathLike], out_dir,
             config: LiveConfig = LiveConfig(), detections: DetectionSource | None = None,
             realtime: bool = False, speed: float = 1.0, loops: int = 1,
             fps: float | None = None, evaluate: bool = False, view=None,
             footage: dict | None = None) -> dict:
    """Follow the people of ``videos`` (camera name → file, folder or stream URL) live and
    write the outputs (module doc); return the summary. ``realtime``: play files at their own
    rate (times ``speed``); ``loops``: play files that many times; ``view``: a
    :class:`~posereid.tracking.live_view.LiveView` to show the run; ``footage``: camera name →
    opened footage besides ``videos`` (anything with ``fps``, ``num_frames``, ``path`` and
    ``frames(corrupt_as_none)``)."""
    detections = detections or GroundTruthBoxes()
    out_dir = Path(out_dir)
    clear_outputs(out_dir, ('events.jsonl',), ('tracks', 'gallery'))
    if (out_dir / 'events.jsonl').exists() or (out_dir / 'tracks').exists():
        raise ValueError(f'{out_dir} holds the outputs of a live run that did not finish (no '
                         f'summary.json): remove them or give another output folder (the '
                         f'files are appended to, never replaced)')
    failures: dict[str, str] = {}
    footage = dict(footage or {})
    for camera, path in videos.items():
        try:
            footage[camera] = open_live(path, fps)
        except USER_ERRORS as err:
            failures[camera] = _named(camera, err)
    cameras = {}
    for camera, source in footage.items():
        try:
            cameras[camera] = open_camera(camera, source, detections, config)
        except USER_ERRORS as err:
            failures[camera] = _named(camera, err)
    if not cameras:
        raise ValueError('no camera could be read: ' + '; '.join(failures.values()))
    events = EventLog(out_dir / 'events.jsonl')
    problems: dict[str, list] = {}
    events.listeners.append(lambda e: problems.setdefault(e['camera'], []).append(e)
                            if e['event'] in CAMERA_EVENTS else None)
    if view is not None:
        view.start(list(cameras))
        events.listeners.append(view.show_event)
    live = LiveTracker(predictor, cameras, out_dir, config, events, view)
    feeds = {camera: CameraFeed(camera, state.footage, realtime, speed, loops).start()
             for camera, state in cameras.items()}
    started, interrupted = time.monotonic(), False
    try:
        for tick in ticks(feeds, events, config.stall_s):
            live.step(tick)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for feed in feeds.values():
            feed.stop()
    live.stop()
    wall = time.monotonic() - started
    metrics = live_metrics(out_dir, {c: s.footage for c, s in cameras.items()},
                           live.merges) if evaluate else None
    notes = {name: f'{camera.dropped_tracks} track(s) ended with fewer than '
                   f'{config.association.tracker.min_track_frames} boxes or no usable crop, '
                   f'not written'
             for name, camera in cameras.items() if camera.dropped_tracks}
    summary = tracking_summary(
        config, {name: {'fps': camera.footage.fps, 'num_frames': camera.num_frames,
                        'num_tracks': camera.num_tracks, 'num_boxes': camera.num_boxes,
                        'global_ids': sorted(camera.global_ids)}
                 for name, camera in cameras.items()},
        failures, notes,
        sorted(live.segments, key=lambda s: (s['global_id'], s['start_s'], s['camera'])),
        live.seconds, metrics)
    frames = sum(camera.num_frames for camera in cameras.values())
    summary.update({
        'wall_s': wall, 'frames_per_second_wall': frames / wall if wall else None,
        'interrupted': interrupted, 'realtime': realtime,
        'latency_s': {'frame': percentiles(live.frame_latency),
                      'frame_handling': percentiles(live.frame_handling),
                      'decision': percentiles(live.decision_latency)},
        'events': dict(events.counts), 'merges': live.merges,
        'camera_events': {camera: [{k: e[k] for k in ('event', 'message', 'time_s') if k in e}
                                   for e in found] for camera, found in problems.items()},
        'archived_identities': sorted(live.gallery.archived),
        'active_identities': sorted(live.gallery.identities),
    })
    atomic_save_json(summary, out_dir / 'summary.json', indent=1)
    if view is not None:
        view.finish(summary)
    return summary


def percentiles(values: list[float]) -> dict:
    """``p50``, ``p99``, ``max`` (seconds) and ``count`` of ``values``."""
    if not values:
        return {'p50': None, 'p99': None, 'max': None, 'count': 0}
    p50, p99 = np.percentile(values, [50, 99])
    return {'p50': float(p50), 'p99': float(p99), 'max': float(max(values)),
            'count': len(values)}


def live_metrics(out_dir: Path, footage: dict, merges: list[dict]) -> dict:
    """:func:`~posereid.tracking.metrics.tracking_metrics` of the MOT files as written, for
    the cameras that are sequences with ground truth (a camera with no file counts as tracked
    with no box); ``with_merges``: the same with every merge applied to the ids written
    before it (what a reader of the events can rebuild)."""
    truth = {camera: read_mot_truth(Path(str(source.path)) / 'gt' / 'gt.txt')
             for camera, source in footage.items()
             if (Path(str(source.path)) / 'gt' / 'gt.txt').is_file()}
    if not truth:
        raise ValueError('evaluation needs ground truth: no camera is a MOTChallenge sequence '
                         'with gt/gt.txt')
    written = {camera: read_mot_boxes(out_dir / 'tracks' / f'{camera}.txt')
               for camera in truth if (out_dir / 'tracks' / f'{camera}.txt').is_file()}
    metrics = tracking_metrics(truth, written)
    final = {merge['merged_id']: merge['global_id'] for merge in merges}

    def root(identity: int) -> int:
        while identity in final:
            identity = final[identity]
        return identity

    merged = {camera: boxes.with_ids([root(int(i)) for i in boxes.ids])
              for camera, boxes in written.items()}
    metrics['with_merges'] = {key: value for key, value in tracking_metrics(truth, merged).items()
                              if key != 'per_camera'}
    return metrics
