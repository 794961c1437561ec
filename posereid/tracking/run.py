"""``tools/track.py`` as a function: cameras' footage in, tracks with global ids out, on disk.

:func:`run_tracking` opens each camera (a video file, a MOTChallenge sequence or a frame
folder), gets its detections (oracle boxes from the sequence's ground truth, degraded or not;
MOT detection files of your own; or an mmdet detector), tracks the people through all cameras
(:func:`~posereid.tracking.pipeline.track_cameras`) and writes, each file atomically::

    OUT/tracks/<camera>.txt        MOT rows frame,global_id,x,y,w,h,conf,-1,-1,-1
    OUT/frames/<camera>/*.jpg      every frame_stride-th frame, boxes coloured by global id
    OUT/timeline.png               who was where when
    OUT/summary.json               cameras, identities, failures, stage times, frames/s
                                   (detection to association: writing excluded), metrics

A camera that cannot be read or tracked is named in ``summary.json`` (and the return value);
the others go on. What an earlier (finished) run wrote in ``OUT`` is removed first and
``summary.json`` is written last: a folder without it is an interrupted run. ``evaluate`` scores every camera
that is a sequence with ``gt/gt.txt`` (its scored rows, :func:`read_mot_truth`); one that
failed counts as tracked with no box, and the cameras without ground truth are listed.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path

import numpy as np

from posereid.datasets.frames import FootageError, FrameSource, open_frames
from posereid.datasets.mot import read_mot_boxes, read_mot_truth, write_mot_boxes
from posereid.utils.io import atomic_save_json, atomic_write
from .pictures import draw_timeline, save_tracked_frames

from .detections import DEGRADED, MMDetPersonDetector, sequence_detections
from .pipeline import MultiCameraConfig, MultiCameraTracks, evaluate_tracks, track_cameras

DETECTION_MODES = ('oracle', 'degraded', 'mmdet')


def camera_names(paths: list[str]) -> dict[str, Path]:
    """``NAME=PATH`` or bare ``PATH`` items (the name is then the file or folder name without
    its suffix) as camera name → path, in order. A name is a file name (it names the camera's
    outputs): no ``/``, not ``.`` or ``..``; two cameras of one name are an error."""
    cameras: dict[str, Path] = {}
    for item in paths:
        name, _, path = item.partition('=') if '=' in item else ('', '', item)
        path = Path(path)
        name = name or path.stem
        if not name or '/' in name or name in ('.', '..'):
            raise ValueError(f'{item!r}: a camera name must be a plain file name (it names '
                             f'its outputs); give NAME=PATH')
        if name in cameras:
            raise ValueError(f'two cameras are named {name!r} ({cameras[name]}, {path}); name '
                             f'them NAME=PATH')
        cameras[name] = path
    return cameras


def _detections(camera: str, path: Path, source: FrameSource, detections: str,
                detector: MMDetPersonDetector | None, seed: int) -> np.ndarray:
    if detections == 'mmdet':
        return detector(source)
    if detections in ('oracle', 'degraded'):
        return sequence_detections(path, DEGRADED if detections == 'degraded' else None, seed)
    file = Path(detections) / f'{camera}.txt'
    if not file.is_file():
        raise FootageError(f'camera {camera}: no detection file {file} (expected one MOT file '
                           f'<camera>.txt per camera in {detections})')
    return read_mot_boxes(file)[:, :7]


def run_tracking(model, videos: dict[str, Path], out_dir: str | os.PathLike,
                 config: MultiCameraConfig = MultiCameraConfig(), detections: str = 'oracle',
                 detector: MMDetPersonDetector | None = None, evaluate: bool = False,
                 frame_stride: int = 1, fps: float | None = None, seed: int = 0) -> dict:
    """Track the people of ``videos`` (camera name → footage) and write the outputs (module
    doc); return the summary. ``detections``: ``'oracle'``, ``'degraded'`` (the ground truth
    degraded as :data:`~posereid.tracking.detections.DEGRADED`, with ``seed``), ``'mmdet'`` (then
    ``detector``) or a folder of ``<camera>.txt`` MOT files; ``frame_stride=0`` writes no
    frames; ``fps`` is the frame rate of frame folders without ``seqinfo.ini``."""
    if detections not in DETECTION_MODES and not Path(detections).is_dir():
        raise ValueError(f"detections must be one of {', '.join(DETECTION_MODES)} or a folder "
                         f'of <camera>.txt MOT files; got {detections!r}')
    if frame_stride < 0:
        raise ValueError(f'frame_stride must be >= 0 (0: no frames); got {frame_stride}')
    if detections == 'mmdet' and detector is None:
        raise ValueError("detections='mmdet' needs a detector (--detector-config and "
                         "--detector-checkpoint)")
    truth_files = {camera: Path(path) / 'gt' / 'gt.txt' for camera, path in videos.items()
                   if (Path(path) / 'gt' / 'gt.txt').is_file()}
    if evaluate and not truth_files:
        raise ValueError('evaluation needs ground truth: no camera is a MOTChallenge sequence '
                         'with gt/gt.txt')
    out_dir = Path(out_dir)
    _clear_outputs(out_dir)
    sources, found, failures = {}, {}, {}
    start = time.perf_counter()
    for camera, path in videos.items():
        try:
            sources[camera] = open_frames(path, fps)
            found[camera] = _detections(camera, path, sources[camera], detections, detector,
                                        seed)
        except (FootageError, FileNotFoundError, ValueError) as err:
            failures[camera] = str(err)
            sources.pop(camera, None)
    detect_s = time.perf_counter() - start
    if not sources:
        raise ValueError('no camera could be read: ' + '; '.join(failures.values()))
    result = track_cameras(model, sources, found, config)
    result.failures = {**failures, **result.failures}
    result.seconds = {'detect': detect_s, **result.seconds}
    metrics = None
    if evaluate:                  # a camera that failed counts as tracked with no box
        truth = {camera: read_mot_truth(file) for camera, file in truth_files.items()}
        metrics = evaluate_tracks(result, truth, config)
        metrics['cameras_without_ground_truth'] = sorted(set(result.tracks) - set(truth))
    start = time.perf_counter()
    summary = save_tracking(result, sources, out_dir, frame_stride, config, metrics)
    summary['seconds']['write'] = time.perf_counter() - start
    atomic_save_json(summary, out_dir / 'summary.json', indent=1)
    return summary


def save_tracking(result: MultiCameraTracks, sources: dict[str, FrameSource], out_dir: Path,
                  frame_stride: int, config: MultiCameraConfig, metrics: dict | None) -> dict:
    """Write the tracks, frames and timeline of ``result`` (module doc) and return the summary
    (written last by :func:`run_tracking`)."""
    for camera, rows in result.tracks.items():
        extra = -np.ones((len(rows), 3))
        write_mot_boxes(np.concatenate([rows, extra], axis=1), out_dir / 'tracks' / f'{camera}.txt')
        if frame_stride:
            try:
                save_tracked_frames(sources[camera], rows, out_dir / 'frames' / camera,
                                    frame_stride)
            except FootageError as err:       # its tracks are written; its frames stop here
                result.failures[camera] = f'frames not all written: {err}'
    segments = result.segments()
    if segments:
        with atomic_write(out_dir / 'timeline.png', 'wb') as f:
            f.write(draw_timeline(segments, list(result.tracks)))
    frames = sum(result.num_frames.values())
    compute = sum(result.seconds.values())
    return {
        'config': dataclasses.asdict(config),
        'cameras': {camera: {'fps': result.fps[camera], 'num_frames': result.num_frames[camera],
                             'num_tracks': int(len(np.unique(result.local[camera][:, 1]))),
                             'num_boxes': int(len(rows)),
                             'global_ids': sorted(set(rows[:, 1].astype(int).tolist()))}
                    for camera, rows in result.tracks.items()},
        'failures': result.failures,
        'notes': result.notes,
        'num_global_identities': len({s['global_id'] for s in segments}),
        'identities': segments,
        'seconds': dict(result.seconds),
        'frames_per_second': frames / compute if compute else None,
        'metrics': metrics,
    }


def _clear_outputs(out_dir: Path) -> None:
    """Remove what an earlier run wrote in ``out_dir``, summary first. Only a folder with a
    run's ``summary.json`` is cleared: a ``frames/`` of someone else's is never touched."""
    if not (out_dir / 'summary.json').is_file():
        return
    (out_dir / 'summary.json').unlink()
    (out_dir / 'timeline.png').unlink(missing_ok=True)
    for folder in ('tracks', 'frames'):
        shutil.rmtree(out_dir / folder, ignore_errors=True)
