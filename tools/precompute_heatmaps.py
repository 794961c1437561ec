"""Precompute a dataset's pose heatmaps into a memory-mapped cache (see docs/heatmaps.md).

    python tools/precompute_heatmaps.py --config configs/spindle_fusion/spindle_fusion_r50_cuhk01.py
    python tools/precompute_heatmaps.py --dataset synthetic_market --pose ground_truth \\
        --out work_dirs/heatmaps/synthetic_market
    python tools/precompute_heatmaps.py --images 'data/crops/*.jpg' --pose mmpose \\
        --pose-config C.py --pose-checkpoint W.pth --out DIR --heatmap-size 64 32
    python tools/precompute_heatmaps.py ... --shard 0/4     # one of 4 processes, then:
    python tools/precompute_heatmaps.py --out DIR --merge
    python tools/precompute_heatmaps.py --out DIR --verify

--config builds every cache the config's datasets read (the source variants it trains,
validates and tests on, in its heatmap_root) with the config's pose model (its `pose`; --pose
overrides). Interrupted runs resume where they stopped when run again with the same arguments.
"""
from __future__ import annotations

import argparse
import glob
import sys

from posereid.engine.cli import add_cfg_options, exit_on_user_error, tool_command
from posereid.engine.heatmaps import build_cache_for_source, build_caches_for_config
from posereid.pose.backends import POSE_BACKENDS
from posereid.pose.cache import verify_cache
from posereid.pose.cache_build import build_cache_for_images, merge_shards, shard_from_env


def parse_shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(t) for t in text.split('/'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected I/N (e.g. 0/4); got {text!r}') from None
    if not 0 <= index < count:
        raise argparse.ArgumentTypeError(f'need 0 <= I < N; got {text!r}')
    return index, count


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    images = parser.add_mutually_exclusive_group()
    images.add_argument('--config', help="every cache of a re-id config's datasets")
    images.add_argument('--dataset', help='dataset name (all of train, query and gallery)')
    images.add_argument('--images', help="glob of image files, quoted (e.g. 'crops/**/*.jpg')")
    parser.add_argument('--root', help='dataset folder (default: its folder under data_root())')
    parser.add_argument('--pose', choices=sorted(POSE_BACKENDS),
                        help="pose backend (default: the config's pose, else ground_truth)")
    parser.add_argument('--pose-config', help='mmpose model config')
    parser.add_argument('--pose-checkpoint', help='mmpose checkpoint')
    parser.add_argument('--pose-root', help='ground truth: the domain folder with keypoints.json '
                                            '(default: found above the images)')
    parser.add_argument('--keypoints', help='keypoints_file: the .npz of names, keypoints and '
                                            'scores (posereid.pose.keypoints_file)')
    parser.add_argument('--device', help='e.g. cpu or cuda:0 (default: cuda if available)')
    parser.add_argument('--flip-test', action=argparse.BooleanOptionalAction,
                        help='average with the mirrored crop (default: off for mmpose, on for '
                             'blazepose)')
    parser.add_argument('--pad', type=float,
                        help='blazepose: border around each crop before detection, as a '
                             'fraction of its size (default 0.2)')
    parser.add_argument('--out', help='cache folder (with --config: the config decides)')
    parser.add_argument('--heatmap-size', nargs=2, type=int, default=(32, 16), metavar=('H', 'W'))
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--shard', type=parse_shard, metavar='I/N',
                        help='build the I-th of N parts (default: torchrun RANK/WORLD_SIZE)')
    parser.add_argument('--merge', action='store_true', help='join finished shards')
    parser.add_argument('--verify', action='store_true', help='check a cache against its manifest')
    parser.add_argument('--content-hash', action='store_true',
                        help="record each image's sha256 (checked by --verify)")
    parser.add_argument('--images-root', help='--verify: the folder the images are in now '
                                              '(default: where the cache was built from)')
    parser.add_argument('--no-progress', action='store_true')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    if not (args.merge or args.verify or args.dataset or args.images or args.config):
        parser.error('give --config, --dataset or --images (or --merge / --verify)')
    if not args.config and not args.out:
        parser.error('--out is required unless --config is given')
    return args


def pose_config(args: argparse.Namespace) -> dict | None:
    """The backend config of the command line; ``None`` with --config and no --pose."""
    if args.pose is None and args.config:
        return None
    cfg = dict(type=args.pose or 'ground_truth')
    if cfg['type'] == 'ground_truth':
        cfg.update(root=args.pose_root)
    if cfg['type'] == 'mmpose':
        cfg.update(config=args.pose_config, checkpoint=args.pose_checkpoint, device=args.device,
                   flip_test=bool(args.flip_test))
    if cfg['type'] == 'keypoints_file':
        cfg.update(path=args.keypoints)
    if cfg['type'] == 'blazepose':
        cfg.update({key: value for key, value in (('flip_test', args.flip_test),
                                                  ('pad', args.pad)) if value is not None})
    return cfg


def rebuild_command(argv: list[str]) -> str:
    """This tool's command line, without the options that do not change the cache (the shard
    and the progress bar): what a cache's manifest records."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == '--shard':
            skip = True
        elif not (arg.startswith('--shard=') or arg == '--no-progress'):
            kept.append(arg)
    return tool_command('precompute_heatmaps.py', kept)


def run(args: argparse.Namespace, argv: list[str]) -> None:
    if args.merge:
        manifest = merge_shards(args.out)
        print(f'merged {len(manifest["images"])} images into {args.out}')
        return
    if args.verify:
        summary = verify_cache(args.out, images_root=args.images_root)
        print(f'{args.out}: OK, {summary["num_images"]} images, heatmaps '
              f'{summary["heatmap_size"]}, pose {summary["pose"]}')
        return
    options = dict(batch_size=args.batch_size, shard=args.shard or shard_from_env(),
                   progress=not args.no_progress, content_hash=args.content_hash,
                   command=rebuild_command(argv))
    if args.config:
        for result in build_caches_for_config(args.config, args.cfg_options, pose_config(args),
                                              **options):
            report(result, result['cache_dir'])
        return
    options['heatmap_size'] = tuple(args.heatmap_size)
    if args.dataset:
        result = build_cache_for_source(args.dataset, args.root, pose_config(args), args.out,
                                        **options)
    else:
        paths = sorted(glob.glob(args.images, recursive=True))
        if not paths:
            raise FileNotFoundError(f'--images {args.images!r} matches no file')
        result = build_cache_for_images(paths, pose_config(args), args.out, **options)
    report(result, args.out)


def report(result: dict, cache_dir: str) -> None:
    if result['complete']:
        print(f'{cache_dir}: {result["num_images"]} images cached')
    else:
        start, stop = result['rows']
        print(f'{cache_dir}: rows {start}..{stop - 1} of {result["num_images"]} done; once every '
              f'shard is, run: python tools/precompute_heatmaps.py --out {cache_dir} --merge')


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    try:
        with exit_on_user_error():
            run(args, argv)
    except SystemExit as exit_:
        return int(exit_.code)
    return 0


if __name__ == '__main__':
    sys.exit(main())
