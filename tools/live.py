"""Follow people across cameras live: one identity each, decided while the frames arrive.

    python tools/live.py CONFIG [--checkpoint K] [--videos [NAME=]SOURCE ...] --out DIR
                         [--detections oracle|degraded|det|hog|mmdet|FOLDER] [--realtime]
                         [--speed 1] [--loops 1] [--view PORT] [--evaluate]

A camera is a video file, a MOTChallenge sequence, a folder of frames (--fps) or a stream URL
(rtsp://, http://, ... through OpenCV; it needs a detector: --detections hog or mmdet). Files
play as fast as they decode, or at their own frame rate with --realtime. Without --videos the
embedded multi-camera video world is followed. --view PORT serves the live view at
http://127.0.0.1:PORT/ while it runs. Writes DIR/events.jsonl and DIR/tracks/<camera>.txt as
it goes, DIR/summary.json when it stops (end of footage or Ctrl-C). A camera that cannot be
opened, or whose footage broke, is named and the others go on (exit status 1).
"""
from __future__ import annotations

import argparse
import sys
import time

import torch

from posereid.engine.cli import exit_on_user_error
from posereid.tracking.cli import add_tracking_arguments, association_config, tracking_inputs
from posereid.tracking.feeds import END_OF_FOOTAGE
from posereid.tracking.live_run import LiveConfig, run_live
from posereid.tracking.live_view import LiveView


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 2)[2])
    add_tracking_arguments(parser)
    parser.add_argument('--realtime', action='store_true',
                        help='play files at their own frame rate (default: as fast as possible)')
    parser.add_argument('--speed', type=float, default=1.0, help='of --realtime play')
    parser.add_argument('--loops', type=int, default=1, help='play files this many times')
    parser.add_argument('--view', type=int, metavar='PORT',
                        help='serve the live view on this port (0: any free one)')
    parser.add_argument('--linger', type=float, default=0.0,
                        help='seconds the live view stays up after the run stops')
    parser.add_argument('--min-crops', type=int, default=LiveConfig.min_crops,
                        help='embedded crops of a track before it is given an identity')
    parser.add_argument('--forget-after', type=float, default=LiveConfig.forget_after_s,
                        help='seconds unseen before an identity leaves the active gallery')
    parser.add_argument('--stall', type=float, default=LiveConfig.stall_s,
                        help='seconds without a frame before a camera is marked stalled')
    parser.add_argument('--threads', type=int,
                        help="torch's intra-op threads (default: torch's; on a busy 2-core "
                             'machine 1 is much faster: the camera readers need a core)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    view = None
    with exit_on_user_error():
        config = LiveConfig(association_config(args), min_crops=args.min_crops,
                            forget_after_s=args.forget_after, stall_s=args.stall)
        videos, predictor, detections = tracking_inputs(args)
        if args.view is not None:
            view = LiveView(port=args.view)
            print(f'live view: {view.url}', flush=True)
        try:
            summary = run_live(predictor, videos, args.out, config, detections, args.realtime,
                               args.speed, args.loops, args.fps, args.evaluate, view)
            time.sleep(args.linger if view is not None else 0)
        finally:
            if view is not None:
                view.close()
    latency = summary['latency_s']['decision']
    print(f'{len(summary["cameras"])} cameras, {summary["num_global_identities"]} global '
          f'identities, {summary["frames_per_second_wall"]:.1f} frames/s, decisions p99 '
          f'{latency["p99"] or 0:.3f} s{" (stopped by Ctrl-C)" if summary["interrupted"] else ""}'
          f'; {args.out / "summary.json"}')
    metrics = summary['metrics']
    if metrics:
        print('IDF1 {IDF1:.1%}  IDP {IDP:.1%}  IDR {IDR:.1%}  HOTA {HOTA:.1%}  MOTA {MOTA:.1%}'
              .format(**metrics))
    broken = [e for found in summary['camera_events'].values() for e in found
              if not e['message'].endswith(END_OF_FOOTAGE)]
    for event in broken:
        print(f'warning: {event["message"]}', file=sys.stderr)
    for message in summary['failures'].values():
        print(f'error: {message}', file=sys.stderr)
    if summary['failures'] or any(e['event'] == 'ended' for e in broken):
        raise SystemExit(1)

if __name__ == '__main__':
    main()
