"""Single-camera tracking: one camera's detections linked into tracks, a frame at a time.

posereid writes no tracker of its own. :class:`Tracker` is the small interface the rest of
the package uses (``update`` with one frame's detections, tracked boxes back);
:func:`build_tracker` is the one place that names the library behind it: supervision's
ByteTrack (Zhang et al., ECCV 2022; MIT licence). ByteTrack matches the confident detections
to the Kalman-predicted tracks by IoU, then the low-confidence ones to the tracks still
unmatched, and keeps a lost track for ``lost_track_s`` seconds before dropping it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from posereid.datasets.boxes import Boxes


@dataclass(frozen=True)
class TrackerConfig:
    """The tracker's settings: ``activation_threshold`` (a detection confident enough to start
    a track), ``matching_threshold`` (the largest matching cost ``1 - IoU · confidence`` of a
    detection and a track: 0.9 accepts IoU 0.1 at confidence 1), ``lost_track_s`` (seconds a
    track survives without detections), ``min_track_frames`` (shorter tracks are dropped as
    noise)."""

    activation_threshold: float = 0.25
    matching_threshold: float = 0.9
    lost_track_s: float = 2.0
    min_track_frames: int = 3

    def __post_init__(self):
        if self.lost_track_s <= 0 or self.min_track_frames < 1:
            raise ValueError(f'need lost_track_s > 0 and min_track_frames >= 1; got '
                             f'{self.lost_track_s}, {self.min_track_frames}')


class Tracker(Protocol):
    """One camera's tracker, fed every frame in order (with or without detections, so that
    lost tracks age in real time)."""

    def update(self, frame: int, detections: Boxes) -> Boxes:
        """Frame ``frame``'s detections in; the boxes the tracker confirms out, with their
        track ids (from 1)."""


class ByteTracker:
    """supervision's ByteTrack behind :class:`Tracker` (``fps``: the footage's frame rate)."""

    def __init__(self, fps: float, config: TrackerConfig = TrackerConfig()):
        import supervision as sv

        # ByteTrack keeps a lost track for int(frame_rate / 30 * lost_track_buffer) frames: at
        # its reference rate of 30 the buffer is that number of frames
        self._tracker = sv.ByteTrack(
            track_activation_threshold=config.activation_threshold,
            lost_track_buffer=max(1, round(fps * config.lost_track_s)),
            minimum_matching_threshold=config.matching_threshold, frame_rate=30)
        self._detections = sv.Detections

    def update(self, frame: int, detections: Boxes) -> Boxes:
        tracked = self._tracker.update_with_detections(self._detections(
            xyxy=detections.xyxy.reshape(-1, 4), confidence=detections.confidence.copy(),
            class_id=np.zeros(len(detections), int)))
        corners = tracked.xyxy.reshape(-1, 4)
        return Boxes.create(np.full(len(corners), frame),
                            np.concatenate([corners[:, :2], corners[:, 2:] - corners[:, :2]], 1),
                            tracked.confidence, tracked.tracker_id)


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
