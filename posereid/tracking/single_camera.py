"""Single-camera tracking: one camera's detections linked into tracks by ByteTrack.

posereid writes no tracker of its own: this is supervision's ByteTrack (Zhang et al., ECCV
2022; MIT licence), fed frame by frame. ByteTrack matches the confident detections to the
Kalman-predicted tracks by IoU, then the low-confidence ones to the tracks still unmatched,
and keeps a lost track for ``lost_track_s`` seconds before dropping it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import supervision as sv


@dataclass(frozen=True)
class TrackerConfig:
    """ByteTrack's settings: ``activation_threshold`` (a detection confident enough to start a
    track), ``matching_threshold`` (the largest matching cost ``1 - IoU · confidence`` of a
    detection and a track: 0.9 accepts IoU 0.1 at confidence 1), ``lost_track_s`` (seconds a
    track survives without detections), ``min_track_frames`` (shorter tracks are dropped as
    noise)."""

    activation_threshold: float = 0.25
    matching_threshold: float = 0.9
    lost_track_s: float = 2.0
    min_track_frames: int = 3


def track_detections(detections: np.ndarray, fps: float, num_frames: int,
                     config: TrackerConfig = TrackerConfig()) -> np.ndarray:
    """``(N, 7)`` MOT rows ``frame, track_id, x, y, w, h, conf`` (track ids from 1, sorted by
    frame) from one camera's ``(M, >= 7)`` detections ``frame, -1, x, y, w, h, conf``.

    Every frame ``1 .. num_frames`` is passed to the tracker, with or without detections, so
    that lost tracks age in real time; a detection the tracker does not confirm is dropped.
    """
    detections = np.asarray(detections, np.float64)
    if detections.size == 0:
        detections = detections.reshape(0, 7)
    if detections.ndim != 2 or detections.shape[1] < 7:
        raise ValueError(f'detections must be (M, >= 7) frame,-1,x,y,w,h,conf rows; got '
                         f'{detections.shape}')
    if len(detections) and (detections[:, 0].min() < 1 or detections[:, 0].max() > num_frames):
        raise ValueError(f'detections fall on frames {int(detections[:, 0].min())} .. '
                         f'{int(detections[:, 0].max())}; the footage has frames 1 .. '
                         f'{num_frames}')
    # ByteTrack keeps a lost track for int(frame_rate / 30 * lost_track_buffer) frames: at its
    # reference rate of 30 the buffer is that number of frames
    tracker = sv.ByteTrack(track_activation_threshold=config.activation_threshold,
                           lost_track_buffer=max(1, round(fps * config.lost_track_s)),
                           minimum_matching_threshold=config.matching_threshold, frame_rate=30)
    order = np.argsort(detections[:, 0], kind='stable')
    detections = detections[order]
    bounds = np.searchsorted(detections[:, 0], np.arange(1, num_frames + 2))
    rows = []
    for frame in range(1, num_frames + 1):
        mine = detections[bounds[frame - 1]:bounds[frame]]
        xyxy = np.concatenate([mine[:, 2:4], mine[:, 2:4] + mine[:, 4:6]], axis=1)
        tracked = tracker.update_with_detections(sv.Detections(
            xyxy=xyxy.reshape(-1, 4), confidence=mine[:, 6].copy(),
            class_id=np.zeros(len(mine), int)))
        for (x0, y0, x1, y1), track_id, conf in zip(tracked.xyxy, tracked.tracker_id,
                                                    tracked.confidence):
            rows.append((frame, track_id, x0, y0, x1 - x0, y1 - y0, conf))
    rows = np.asarray(rows, np.float64).reshape(-1, 7)
    ids, lengths = np.unique(rows[:, 1], return_counts=True)
    return rows[np.isin(rows[:, 1], ids[lengths >= config.min_track_frames])]
