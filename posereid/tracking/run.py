"""``tools/track.py`` as a function: cameras' footage in, tracks with global ids out, on disk.

:func:`run_tracking` opens each camera (a video file, a MOTChallenge sequence or a frame
folder), reads it once while its detections (a
:class:`~posereid.tracking.detections.DetectionSource`) are tracked, follows the people through
all cameras (:func:`~posereid.tracking.pipeline.track_cameras`) and writes, each file
atomically::

    OUT/tracks/<camera>.txt        MOT rows frame,global_id,x,y,w,h,conf,-1,-1,-1
    OUT/frames/<camera>/*.jpg      every frame_stride-th frame, boxes coloured by global id
    OUT/timeline.png               who was where when
    OUT/summary.json               cameras, identities, failures, stage times, frames/s
                                   (detection to association: writing excluded), metrics

A camera that cannot be read or tracked is named in ``summary.json`` (and the return value);
the others go on. What an earlier (finished) run wrote in ``OUT`` is removed first and
``summary.json`` is written last: a folder without it is an interrupted run. The frames to be
drawn wait in ``OUT/.frames-to-draw/`` until the global ids are known (removed at the end).
``evaluate`` scores every camera that is a sequence with ``gt/gt.txt`` (its scored rows,
:func:`read_mot_truth`); one that failed counts as tracked with no box, and the cameras without
ground truth are listed.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from posereid.apis.predictor import Predictor
from posereid.datasets.frames import is_stream_url, open_frames
from posereid.datasets.mot import read_mot_truth, write_mot_boxes
from posereid.utils.errors import USER_ERRORS
from posereid.utils.image_io import read_image, write_jpeg
from posereid.utils.io import atomic_save_json, atomic_write

from .detections import DetectionSource, GroundTruthBoxes
from .pictures import draw_timeline, save_tracked_frames
from .pipeline import MultiCameraConfig, MultiCameraTracks, evaluate_tracks, track_cameras


def camera_names(paths: list[str]) -> dict[str, Path | str]:
    """``NAME=PATH`` or bare ``PATH`` items (the name is then the file or folder name without
    its suffix) as camera name → path (a stream URL stays a string), in order. A name is a
    file name (it names the camera's outputs): no ``/``, not ``.`` or ``..``; two cameras of
    one name are an error."""
    cameras: dict[str, Path | str] = {}
    for item in paths:
        name, _, path = item.partition('=') if '=' in item.split('://')[0] else ('', '', item)
        name = name or Path(path).stem
        path = path if is_stream_url(path) else Path(path)
        if not name or '/' in name or name in ('.', '..'):
            raise ValueError(f'{item!r}: a camera name must be a plain file name (it names '
                             f'its outputs); give NAME=PATH')
        if name in cameras:
            raise ValueError(f'two cameras are named {name!r} ({cameras[name]}, {path}); name '
                             f'them NAME=PATH')
        cameras[name] = path
    return cameras


#: The folder of ``OUT`` where frames wait to be drawn (removed when the run ends).
SPOOL = '.frames-to-draw'


class FrameSpool:
    """The frames to be drawn once global ids are known (every ``stride``-th of each camera),
    kept as JPEG files in a folder of their own while the footage is read once."""

    def __init__(self, folder: Path, stride: int):
        self.folder, self.stride = folder, stride
        self.numbers: dict[str, list[int]] = {}
        self.seconds = 0.0

    def add(self, camera: str, number: int, image: np.ndarray) -> None:
        if (number - 1) % self.stride == 0:
            start = time.perf_counter()
            write_jpeg(self.folder / camera / f'{number:06d}.jpg', image, quality=95)
            self.numbers.setdefault(camera, []).append(number)
            self.seconds += time.perf_counter() - start

    def frames(self, camera: str) -> Iterator[tuple[int, np.ndarray]]:
        for number in self.numbers.get(camera, ()):
            yield number, read_image(str(self.folder / camera / f'{number:06d}.jpg'))

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def run_tracking(predictor: Predictor, videos: dict[str, Path], out_dir: str | os.PathLike,
                 config: MultiCameraConfig = MultiCameraConfig(),
                 detections: DetectionSource | None = None, evaluate: bool = False,
                 frame_stride: int = 1, fps: float | None = None) -> dict:
    """Track the people of ``videos`` (camera name → footage) and write the outputs (module
    doc); return the summary. ``detections`` defaults to the sequences' ground truth
    (:class:`~posereid.tracking.detections.GroundTruthBoxes`); ``frame_stride=0`` writes no
    frames; ``fps`` is the frame rate of frame folders without ``seqinfo.ini``."""
    if frame_stride < 0:
        raise ValueError(f'frame_stride must be >= 0 (0: no frames); got {frame_stride}')
    detections = detections or GroundTruthBoxes()
    truth_files = {camera: Path(path) / 'gt' / 'gt.txt' for camera, path in videos.items()
                   if (Path(path) / 'gt' / 'gt.txt').is_file()}
    if evaluate and not truth_files:
        raise ValueError('evaluation needs ground truth: no camera is a MOTChallenge sequence '
                         'with gt/gt.txt')
    out_dir = Path(out_dir)
    clear_outputs(out_dir)
    sources, failures = {}, {}
    for camera, path in videos.items():
        try:
            sources[camera] = open_frames(path, fps)
        except USER_ERRORS as err:
            failures[camera] = str(err)
    if not sources:
        raise ValueError('no camera could be read: ' + '; '.join(failures.values()))
    spool = FrameSpool(out_dir / SPOOL, frame_stride) if frame_stride else None
    try:
        result = track_cameras(predictor, sources, detections, config,
                               on_frame=spool.add if spool else None)
        result.failures = {**failures, **result.failures}
        metrics = None
        if evaluate:                  # a camera that failed counts as tracked with no box
            truth = {camera: read_mot_truth(file) for camera, file in truth_files.items()}
            metrics = evaluate_tracks(result, truth)
            metrics['cameras_without_ground_truth'] = sorted(set(result.tracks) - set(truth))
        start = time.perf_counter()
        summary = save_tracking(result, spool, out_dir, config, metrics)
    finally:
        if spool is not None:
            spool.remove()
    summary['seconds']['write'] = time.perf_counter() - start + (spool.seconds if spool else 0)
    atomic_save_json(summary, out_dir / 'summary.json', indent=1)
    return summary


def save_tracking(result: MultiCameraTracks, spool: FrameSpool | None, out_dir: Path,
                  config: MultiCameraConfig, metrics: dict | None) -> dict:
    """Write the tracks, the spooled frames with their boxes and the timeline of ``result``
    (module doc) and return the summary (written last by :func:`run_tracking`)."""
    for camera, tracks in result.tracks.items():
        write_mot_boxes(tracks, out_dir / 'tracks' / f'{camera}.txt')
        if spool is not None:
            save_tracked_frames(spool.frames(camera), tracks, out_dir / 'frames' / camera)
    segments = result.segments()
    if segments:
        with atomic_write(out_dir / 'timeline.png', 'wb') as f:
            f.write(draw_timeline(segments, list(result.tracks)))
    cameras = {camera: {'fps': result.fps[camera], 'num_frames': result.num_frames[camera],
                        'num_tracks': int(len(result.local[camera].unique_ids())),
                        'num_boxes': int(len(tracks)),
                        'global_ids': tracks.unique_ids().tolist()}
               for camera, tracks in result.tracks.items()}
    return tracking_summary(config, cameras, result.failures, result.notes, segments,
                            result.seconds, metrics)


def tracking_summary(config, cameras: dict[str, dict], failures: dict, notes: dict,
                     segments: list[dict], seconds: dict[str, float],
                     metrics: dict | None) -> dict:
    """The ``summary.json`` of a run, offline or live: its ``config`` (a dataclass),
    ``cameras`` (camera → ``fps``, ``num_frames``, ``num_tracks``, ``num_boxes``,
    ``global_ids``), ``failures`` and ``notes`` (camera → message), the identities'
    ``segments`` (:meth:`~posereid.tracking.pipeline.MultiCameraTracks.segments`), the
    ``seconds`` of each stage (frames/s over their sum) and the ``metrics``."""
    frames = sum(camera['num_frames'] for camera in cameras.values())
    compute = sum(seconds.values())
    return {
        'config': dataclasses.asdict(config),
        'cameras': cameras,
        'failures': failures,
        'notes': notes,
        'num_global_identities': len({s['global_id'] for s in segments}),
        'identities': segments,
        'seconds': dict(seconds),
        'frames_per_second': frames / compute if compute else None,
        'metrics': metrics,
    }


def clear_outputs(out_dir: Path, files: tuple[str, ...] = ('timeline.png',),
                  folders: tuple[str, ...] = ('tracks', 'frames', SPOOL)) -> None:
    """Remove what an earlier run wrote in ``out_dir`` (its ``files`` and ``folders``), summary
    first. Only a folder with a run's ``summary.json`` is cleared: a ``frames/`` of someone
    else's is never touched."""
    if not (out_dir / 'summary.json').is_file():
        return
    (out_dir / 'summary.json').unlink()
    for name in files:
        (out_dir / name).unlink(missing_ok=True)
    for folder in folders:
        shutil.rmtree(out_dir / folder, ignore_errors=True)
