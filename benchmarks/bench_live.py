"""Live multi-camera tracking on the embedded video world: online against offline accuracy,
latency and throughput, memory on an endless stream, and scale with cameras and identities.

    python benchmarks/bench_live.py [--config C] [--checkpoint K] [--seeds 0 1 2]
                                    [--loops 10] [--scale-cameras 16 32] [--no-realtime]
                                    [--threads 1] [--json OUT.json]

1. Accuracy: each seed's video world (``$POSEREID_DATA/synthetic_video_seed<seed>``, as
   ``experiments/track_ablation.py``), ground-truth boxes, tracked offline
   (:func:`~posereid.tracking.run.run_tracking`) and live as fast as it decodes
   (:func:`~posereid.tracking.live_run.run_live`), global IDF1 / HOTA by TrackEval: the live
   figures are those of the MOT files as written (``with_merges``: merges applied after).
2. Speed: seed 0's live run: frames/s over the wall time (embeddings included), p50 / p99 of
   the frame handling time (its tick taken → handled) and of the decision latency (evidence
   complete → identity written); and the same world played at its own rate (4 cameras at
   5 fps: there the frame latency, read → handled, is the lag behind real time), unless
   ``--no-realtime``.
3. Endless stream: seed 0 played ``--loops`` times, identities forgotten after 30 s unseen;
   RSS sampled every 0.5 s: growth from the second tenth of the run to the last tenth; every
   identity that appeared is active or on disk at the end (``identities_lost``).
4. Scale: ``--scale-cameras`` cameras (the 4 replicated, 20 s each) as fast as they decode;
   and the cost of one decision against galleries of 100 to 10,000 identities.

A model's weights do not change its speed, but they decide the accuracy: the figures of 1 need
the demo's model (``make demo`` trains it into ``work_dirs/spindle_fusion_synthetic``). Where
the checkpoint is missing, a freshly initialised model is used, and said so (then without
``idf1_gap``, the goal's figure: an untrained model's accuracy is noise).
"""
from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import torch
from bench_track import predictor_for
from machine import describe_machine, resident_mb

from posereid.datasets.frames import open_frames
from posereid.datasets.synthetic import VideoWorldConfig, generate_video_world
from posereid.tracking import MultiCameraConfig, run_tracking
from posereid.tracking.events import read_events
from posereid.tracking.live import OnlineIdentities
from posereid.tracking.live_run import LiveConfig, run_live
from posereid.utils.io import atomic_save_json
from posereid.utils.paths import data_root


#: The figures of each world averaged over the worlds; the others are the first world's run.
ACCURACY = ('offline_idf1', 'offline_hota', 'online_idf1', 'online_hota', 'online_merged_idf1',
            'merges')


class RssSampler:
    """RSS every ``period`` seconds in a thread, from :meth:`start` to :meth:`stop`."""

    def __init__(self, period: float = 0.5):
        self.period, self.samples = period, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.samples.append(resident_mb())
            self._stop.wait(self.period)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> list[float]:
        self._stop.set()
        self._thread.join()
        return self.samples


class Replica:
    """The first ``frames`` frames of a camera's footage, as another camera."""

    def __init__(self, source, frames: int):
        self.source, self.path, self.fps = source, source.path, source.fps
        self.num_frames = min(frames, source.num_frames)
        self.declared_frames = source.declared_frames

    def frames(self, corrupt_as_none=False):
        for number, image in self.source.frames(corrupt_as_none):
            if number > self.num_frames:
                return
            yield number, image


def world(seed: int) -> dict[str, Path]:
    root = data_root() / f'synthetic_video_seed{seed}'
    manifest = generate_video_world(VideoWorldConfig(seed=seed), root)
    return {camera: root / camera for camera in manifest['boxes']}


def decision_cost(sizes=(100, 1000, 10000), dim: int = 256, decisions: int = 50) -> dict:
    """Seconds per decision (embeddings only) against galleries of ``sizes`` identities of
    random ``dim``-D looks, 4 cameras, one tracklet each, all out of view."""
    rng = np.random.default_rng(0)
    out = {}
    for size in sizes:
        with tempfile.TemporaryDirectory() as archive:
            gallery = OnlineIdentities(None, Path(archive), forget_after_s=1e9)
            looks = rng.normal(size=(size + decisions, dim)).astype(np.float32)
            looks /= np.linalg.norm(looks, axis=1, keepdims=True)
            for k in range(size):
                row, _ = gallery.decide(f'c{k % 4}', k, [k * 0.1, k * 0.1 + 1], looks[k], {})
                gallery.finish(row, looks[k], {})
            start = time.perf_counter()
            for k in range(size, size + decisions):
                gallery.decide('c0', k, [1e6 + k, 1e6 + k + 1], looks[k], {})
            out[str(size)] = (time.perf_counter() - start) / decisions
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/spindle_fusion_synthetic.py')
    parser.add_argument('--checkpoint', default='work_dirs/spindle_fusion_synthetic')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--loops', type=int, default=10)
    parser.add_argument('--scale-cameras', type=int, nargs='*', default=[16, 32])
    parser.add_argument('--no-realtime', action='store_true')
    parser.add_argument('--threads', type=int, default=1,
                        help="torch's intra-op threads (1: the camera readers and the server "
                             'need the other core of a 2-core machine)')
    parser.add_argument('--json', help='write the figures here')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    figures = {'machine': describe_machine()}
    with tempfile.TemporaryDirectory(prefix='posereid_bench_live_') as scratch:
        scratch = Path(scratch)
        predictor, figures['model'] = predictor_for(args.config, args.checkpoint, scratch)
        print(f'model: {figures["model"]}', flush=True)
        per_seed = {}
        for seed in args.seeds:
            videos = world(seed)
            offline = run_tracking(predictor, videos, scratch / f'offline{seed}',
                                   MultiCameraConfig(), evaluate=True, frame_stride=0)
            live = run_live(predictor, videos, scratch / f'live{seed}', LiveConfig(),
                            evaluate=True)
            per_seed[seed] = {
                'offline_idf1': offline['metrics']['IDF1'], 'offline_hota': offline['metrics'][
                    'HOTA'], 'online_idf1': live['metrics']['IDF1'],
                'online_hota': live['metrics']['HOTA'],
                'online_merged_idf1': live['metrics']['with_merges']['IDF1'],
                'merges': len(live['merges']), 'frames_per_s': live['frames_per_second_wall'],
                'p50_frame_s': live['latency_s']['frame_handling']['p50'],
                'p99_frame_s': live['latency_s']['frame_handling']['p99'],
                'p50_decision_s': live['latency_s']['decision']['p50'],
                'p99_decision_s': live['latency_s']['decision']['p99']}
            print(f'seed {seed}: ' + ', '.join(f'{k} {v:.3f}' for k, v in per_seed[seed].items()),
                  flush=True)
        figures['per_seed'] = per_seed
        for key in ACCURACY:                           # mean and sample std over the worlds
            values = [per_seed[s][key] for s in args.seeds]
            figures[key] = float(np.mean(values))
            figures[f'{key}_std'] = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
        if not figures['model'].startswith('untrained'):   # an untrained model's gap is noise
            figures['idf1_gap'] = figures['offline_idf1'] - figures['online_idf1']
        figures.update({key: value for key, value in per_seed[args.seeds[0]].items()
                        if key not in ACCURACY})       # speed: one run, the first world's
        videos = world(args.seeds[0])
        if not args.no_realtime:
            paced = run_live(predictor, videos, scratch / 'realtime', LiveConfig(),
                             realtime=True)
            figures['realtime'] = {'wall_s': paced['wall_s'],
                                   'frames_per_s': paced['frames_per_second_wall'],
                                   'latency_s': paced['latency_s']}
            print(f'real time: {paced["wall_s"]:.1f} s wall, decisions p99 '
                  f'{paced["latency_s"]["decision"]["p99"]:.3f} s', flush=True)
        sampler = RssSampler().start()
        endless = run_live(predictor, videos, scratch / 'endless',
                           LiveConfig(forget_after_s=30.0), loops=args.loops)
        samples = np.array(sampler.stop())
        tenth = max(1, len(samples) // 10)
        warm, last = samples[tenth:2 * tenth].mean(), samples[-tenth:].mean()
        events = read_events(scratch / 'endless' / 'events.jsonl')
        appeared = {e['global_id'] for e in events if e['event'] == 'appeared'}
        merged = {e['merged_id'] for e in events if e['event'] == 'merged'}
        on_disk = {int(p.stem) for p in (scratch / 'endless' / 'gallery').glob('*.npz')}
        lost = appeared - merged - on_disk - set(endless['active_identities'])
        figures.update({'rss_growth': float((last - warm) / warm), 'rss_warm_mb': float(warm),
                        'rss_last_mb': float(last), 'endless_frames': sum(
                            c['num_frames'] for c in endless['cameras'].values()),
                        'endless_frames_per_s': endless['frames_per_second_wall'],
                        'identities_appeared': len(appeared), 'identities_on_disk': len(
                            on_disk), 'identities_lost': len(lost)})
        print(f'endless ({args.loops} loops): RSS {warm:.0f} -> {last:.0f} MB '
              f'({figures["rss_growth"]:+.1%}), {len(appeared)} identities, {len(on_disk)} on '
              f'disk, {len(lost)} lost', flush=True)
        figures['scale'] = {}
        for count in args.scale_cameras:
            sources = {f'{camera}_{k}': Replica(open_frames(path), 100)
                       for k in range(count // len(videos)) for camera, path in videos.items()}
            run = run_live(predictor, {}, scratch / f'scale{count}', LiveConfig(),
                           footage=sources)
            figures['scale'][str(count)] = {
                'frames_per_s': run['frames_per_second_wall'],
                'p99_decision_s': run['latency_s']['decision']['p99'],
                'identities': run['num_global_identities'],
                'decide_s': run['seconds']['decide'], 'embed_s': run['seconds']['embed']}
            print(f'{count} cameras: {run["frames_per_second_wall"]:.1f} frames/s, decisions '
                  f'p99 {run["latency_s"]["decision"]["p99"]:.3f} s', flush=True)
        figures['decision_cost_s'] = decision_cost()
        print('seconds per decision by gallery size: ' + ', '.join(
            f'{k}: {v * 1000:.2f} ms' for k, v in figures['decision_cost_s'].items()))
    print(f'IDF1 online {figures["online_idf1"]:.1%} / offline {figures["offline_idf1"]:.1%} '
          f'({figures["model"]}), '
          f'{figures["frames_per_s"]:.1f} frames/s, decisions p99 '
          f'{figures["p99_decision_s"]:.3f} s, RSS growth {figures["rss_growth"]:+.1%}')
    if args.json:
        atomic_save_json(figures, args.json, indent=1)


if __name__ == '__main__':
    main()
