"""Train posereid's pose model with mmpose and export the shippable checkpoint.

    python tools/train_pose.py --threads 1                       # the shipped model, data/synthetic
    python tools/train_pose.py CONFIG --data-root DIR --epochs 5 --export out.pth
    python tools/train_pose.py --load-from W.pth --lr 1e-3 --epochs 15 --work-dir D  # 2nd stage
"""
import argparse
from pathlib import Path

from posereid.pose.training import (SYNTHETIC_POSE_CHECKPOINT_NAME, SYNTHETIC_POSE_CONFIG,
                                    export_pose_checkpoint, train_pose_model)
from posereid.utils.paths import checkpoints_root


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', nargs='?', default=str(SYNTHETIC_POSE_CONFIG))
    parser.add_argument('--data-root', help='embedded world folder (default <data_root>/synthetic)')
    parser.add_argument('--work-dir', help='default work_dirs/pose/<config name>')
    parser.add_argument('--epochs', type=int, help="override the config's max_epochs")
    parser.add_argument('--resume', action='store_true', help='continue from --work-dir')
    parser.add_argument('--load-from', help='start from these weights with a fresh schedule')
    parser.add_argument('--lr', type=float, help="override the config's learning rate")
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (1 is often fastest on a busy machine)')
    parser.add_argument('--export',
                        default=str(checkpoints_root() / SYNTHETIC_POSE_CHECKPOINT_NAME),
                        help='where to write the slim checkpoint (weights + plain meta)')
    args = parser.parse_args()
    best = train_pose_model(args.config, args.work_dir, args.data_root, args.epochs, args.resume,
                            args.threads, args.load_from, args.lr)
    out = export_pose_checkpoint(best, args.export, args.config)
    print(f'best checkpoint {best} -> {out} ({Path(out).stat().st_size / 2**20:.1f} MB)')


if __name__ == '__main__':
    main()
