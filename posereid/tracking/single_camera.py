"""Single-camera tracking: one camera's detections linked into tracks, a frame at a time.

posereid writes no tracker of its own. :class:`Tracker` is the small interface the rest of
the package uses (``update`` with one frame's detections, tracked boxes back);
:func:`build_tracker` is the one place that names the library behind it: the ByteTrack of
Roboflow's ``trackers`` (Zhang et al., ECCV 2022; a clean-room implementation, Apache 2.0),
which its authors maintain in place of the ByteTrack of their ``supervision`` (deprecated
there). ByteTrack matches the confident detections to the Kalman-predicted tracks by IoU, then
the low-confidence ones to the tracks still unmatched, and keeps a lost track for
``lost_track_s`` seconds before dropping it. Frames are given their time (``(frame - 1) /
fps``), so a frame that never came (a stall, a corrupt frame) ages the tracks as it should.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from posereid.datasets.boxes import Boxes


@dataclass(frozen=True)
class TrackerConfig:
    """The tracker's settings: ``activation_threshold`` (a detection confident enough to start
    a track, and the line between ByteTrack's confident and low-confidence detections),
    ``min_iou`` (the least IoU of a detection and a track's predicted box to match them),
    ``lost_track_s`` (seconds a track survives without detections), ``min_track_frames``
    (shorter tracks are dropped as noise)."""

    activation_threshold: float = 0.25
    min_iou: float = 0.1
    lost_track_s: float = 2.0
    min_track_frames: int = 3

    def __post_init__(self):
        if self.lost_track_s <= 0 or self.min_track_frames < 1 or not 0 <= self.min_iou <= 1:
            raise ValueError(f'need lost_track_s > 0, min_track_frames >= 1 and min_iou in '
                             f'[0, 1]; got {self.lost_track_s}, {self.min_track_frames}, '
                             f'{self.min_iou}')


class Tracker(Protocol):
    """One camera's tracker, fed every frame in order (with or without detections, so that
    lost tracks age in real time)."""

    def update(self, frame: int, detections: Boxes) -> Boxes:
        """Frame ``frame``'s detections in; the boxes the tracker confirms out, with their
        track ids (from 1)."""


class ByteTracker:
    """The ``trackers`` package's ByteTrack behind :class:`Tracker` (``fps``: the footage's
    frame rate). A detection is reported from the frame its track is confirmed on (the
    second frame it is matched)."""

    def __init__(self, fps: float, config: TrackerConfig = TrackerConfig()):
        import supervision as sv
        from trackers import ByteTrackTracker

        # trackers counts the lost-track buffer in frames at 30 fps, whatever the footage's
        self._tracker = ByteTrackTracker(
            lost_track_buffer=max(1, round(30 * config.lost_track_s)), frame_rate=fps,
            track_activation_threshold=config.activation_threshold,
            high_conf_det_threshold=config.activation_threshold,
            minimum_iou_threshold=config.min_iou, minimum_consecutive_frames=1)
        self._fps = fps
        self._detections = sv.Detections

    def update(self, frame: int, detections: Boxes) -> Boxes:
        tracked = self._tracker.update(self._detections(
            xyxy=detections.xyxy.reshape(-1, 4), confidence=detections.confidence.copy(),
            class_id=np.zeros(len(detections), int)), timestamp=(frame - 1) / self._fps)
        confirmed = tracked[tracked.tracker_id >= 0]
        corners = confirmed.xyxy.reshape(-1, 4)
        return Boxes.create(np.full(len(corners), frame),
                            np.concatenate([corners[:, :2], corners[:, 2:] - corners[:, :2]], 1),
                            confirmed.confidence, confirmed.tracker_id + 1)


def build_tracker(fps: float, config: TrackerConfig = TrackerConfig()) -> Tracker:
    """A fresh tracker for one camera of frame rate ``fps``."""
    return ByteTracker(fps, config)


def drop_short_tracks(tracks: Boxes, min_track_frames: int) -> Boxes:
    """``tracks`` without the tracks of fewer than ``min_track_frames`` boxes."""
    ids, lengths = np.unique(tracks.ids, return_counts=True)
    return tracks[np.isin(tracks.ids, ids[lengths >= min_track_frames])]


def track_detections(detections: Boxes, fps: float, num_frames: int,
                     config: TrackerConfig = TrackerConfig()) -> Boxes:
    """The tracks of one camera's ``detections`` on frames ``1 .. num_frames``: every frame is
    passed to a fresh tracker in order, with or without detections; a detection the tracker
    does not confirm is dropped, and so are tracks shorter than ``min_track_frames``."""
    if len(detections) and (detections.frame.min() < 1 or detections.frame.max() > num_frames):
        raise ValueError(f'detections fall on frames {detections.frame.min()} .. '
                         f'{detections.frame.max()}; the footage has frames 1 .. {num_frames}')
    detections = detections.by_frame()
    bounds = np.searchsorted(detections.frame, np.arange(1, num_frames + 2))
    tracker = build_tracker(fps, config)
    tracks = Boxes.concatenate(tracker.update(f, detections[bounds[f - 1]:bounds[f]])
                               for f in range(1, num_frames + 1))
    return drop_short_tracks(tracks, config.min_track_frames)
