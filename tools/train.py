"""Train a re-id model with mmengine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--cfg-options k=v ...]
                                 [--launcher none|pytorch|slurm] [--seed N] [--device cpu|cuda]
    torchrun --nproc_per_node 2 tools/train.py CONFIG --launcher pytorch
"""
from __future__ import annotations

import argparse

from posereid.engine import train
from posereid.engine.cli import add_cfg_options, exit_on_user_error
from posereid.engine.config import DEVICES
from posereid.engine.runner import LAUNCHERS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file, e.g. configs/spindle_fusion.py')
    parser.add_argument('--work-dir', help='output folder (default: work_dirs/<config name>)')
    parser.add_argument('--resume', nargs='?', const='auto', metavar='CKPT',
                        help='resume from CKPT, or from the work dir\'s last checkpoint')
    add_cfg_options(parser)
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none')
    parser.add_argument('--seed', type=int, help='random seed (default: the config\'s)')
    parser.add_argument('--device', choices=DEVICES, help='default: a GPU if there is one')
    parser.add_argument('--local-rank', '--local_rank', type=int, default=0,
                        help=argparse.SUPPRESS)  # set by torch.distributed.launch
    args = parser.parse_args()
    with exit_on_user_error(args.config, args.cfg_options):
        result = train(args.config, work_dir=args.work_dir, cfg_options=args.cfg_options,
                       resume=args.resume, launcher=args.launcher, seed=args.seed,
                       device=args.device)
    print(f'work dir: {result["work_dir"]}\nlast checkpoint: {result["last_checkpoint"]}\n'
          f'best checkpoint: {result["best_checkpoint"]}')


if __name__ == '__main__':
    main()
