"""BlazePose on real pedestrian crops: how often it finds the person, and how plausible the
pose is, with and without its options for tight crops (``pad``, ``flip_test``), in one run.
Every variant sets both options (the backend's defaults turn both on).

    python benchmarks/bench_blazepose.py [--json PATH] [--realdata DIR]

The crops: every image of ``../shared/realdata/market_duke_msmt_crops`` (~100 real Market-1501,
DukeMTMC-reID and MSMT17 crops; see its README), read in place. Without human keypoints to
score against, two proxies are measured per variant: ``found`` (the fraction of crops with a
person found) and ``upright`` (of those found, the fraction whose head top is above both
ankles and whose shoulders are above the hips: every crop shows an upright pedestrian), and
the milliseconds per crop. Exits 0 with a note where the folder or mediapipe is missing.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from machine import describe_machine
from posereid.pose.keypoints import KEYPOINT_INDEX
from posereid.utils import atomic_save_json
from posereid.utils.image_io import read_image

REALDATA = Path(__file__).resolve().parents[2] / 'shared' / 'realdata'
#: The options compared, each set by every variant.
VARIANTS = {'plain': dict(pad=0.0, flip_test=False), 'pad': dict(pad=0.2, flip_test=False),
            'flip': dict(pad=0.0, flip_test=True), 'pad+flip': dict(pad=0.2, flip_test=True)}
SCORE = 0.3


def real_crops(realdata: Path) -> list[Path]:
    return sorted((realdata / 'market_duke_msmt_crops').rglob('*.jpg'))


def upright(keypoints: np.ndarray, scores: np.ndarray) -> bool | None:
    """Whether a found pose is upright (``None``: too few confident joints to tell)."""
    def y(name):
        k = KEYPOINT_INDEX[name]
        return keypoints[k, 1] if scores[k] >= SCORE else None

    head, ankles = y('head_top'), [y('left_ankle'), y('right_ankle')]
    shoulders, hips = [y('left_shoulder'), y('right_shoulder')], [y('left_hip'), y('right_hip')]
    checks = [head < a for a in ankles if head is not None and a is not None]
    checks += [s < h for s in shoulders for h in hips if s is not None and h is not None]
    return all(checks) if checks else None


def measure(images: list[np.ndarray], **options) -> dict:
    from posereid.pose.blazepose import BlazePoseBackend

    backend = BlazePoseBackend(**options)
    start = time.perf_counter()
    out = backend(images)
    seconds = time.perf_counter() - start
    found = out.scores.max(axis=1) > 0
    verdicts = [upright(k, s) for k, s, f in zip(out.keypoints, out.scores, found) if f]
    judged = [v for v in verdicts if v is not None]
    return dict(found=float(found.mean()), upright=float(np.mean(judged)) if judged else 0.0,
                judged=len(judged), ms_per_crop=1000 * seconds / len(images))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--json', help='write the figures to this JSON file')
    parser.add_argument('--realdata', type=Path, default=REALDATA)
    args = parser.parse_args()
    machine = describe_machine()
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        print('mediapipe (the optional blazepose extra) is not installed: nothing measured')
        return
    paths = real_crops(args.realdata)
    if not paths:
        print(f'no real crops under {args.realdata} (see shared/README.md): nothing measured')
        return
    images = [read_image(p) for p in paths]
    figures = {'machine': machine, 'num_crops': len(images)}
    print(f'{len(images)} real crops from {args.realdata}')
    print(f'{"variant":<10}{"found":>8}{"upright":>9}{"judged":>8}{"ms/crop":>9}')
    for name, options in VARIANTS.items():
        result = measure(images, **options)
        figures[f'{name}_options'] = options
        print(f'{name:<10}{result["found"]:>8.1%}{result["upright"]:>9.1%}{result["judged"]:>8}'
              f'{result["ms_per_crop"]:>9.1f}')
        figures.update({f'{name}_{key}': value for key, value in result.items()})
    if args.json:
        atomic_save_json(figures, args.json)


if __name__ == '__main__':
    main()
