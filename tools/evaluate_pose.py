"""PCK@0.2 (torso-normalised) of a pose backend on the embedded world's held-out keypoints.

    python tools/evaluate_pose.py                          # the shipped checkpoint, val split
    python tools/evaluate_pose.py --config C --checkpoint W --no-flip-test --json pck.json
    python tools/evaluate_pose.py --backend blazepose
"""
import argparse
from pathlib import Path

from posereid.pose.backends import build_pose_backend
from posereid.pose.pck import evaluate_pose_backend, format_pck_table
from posereid.pose.training import synthetic_pose_backend_cfg
from posereid.utils.io import atomic_save_json
from posereid.utils.paths import data_root


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--backend', choices=('mmpose', 'blazepose'), default='mmpose')
    parser.add_argument('--config', help='mmpose config (default: the shipped synthetic model)')
    parser.add_argument('--checkpoint', help='mmpose checkpoint (default: the shipped one)')
    parser.add_argument('--device', help='torch device (default CUDA if available)')
    parser.add_argument('--no-flip-test', action='store_true', help='mmpose: skip the flip test')
    parser.add_argument('--data-root', type=Path, default=data_root() / 'synthetic')
    parser.add_argument('--domains', nargs='+', default=['market', 'duke', 'cuhk01'])
    parser.add_argument('--split', default='val', choices=('train', 'val'))
    parser.add_argument('--alpha', type=float, default=0.2)
    parser.add_argument('--json', type=Path, help='write the result here')
    args = parser.parse_args()

    if args.backend == 'mmpose':
        cfg = synthetic_pose_backend_cfg(device=args.device, flip_test=not args.no_flip_test)
        cfg.update({key: value for key, value in (('config', args.config),
                                                  ('checkpoint', args.checkpoint)) if value})
    else:
        cfg = dict(type='blazepose')
    ann_files = [args.data_root / d / 'annotations' / f'person_keypoints_{args.split}.json'
                 for d in args.domains]
    result = evaluate_pose_backend(build_pose_backend(cfg), ann_files, alpha=args.alpha)
    result['backend'] = cfg
    print(format_pck_table(result))
    if args.json:
        atomic_save_json(result, args.json)


if __name__ == '__main__':
    main()
