"""PCK: the Percentage of Correct Keypoints, torso-normalised, and its run over COCO keypoint files.

A predicted joint ``k`` of image ``n`` is correct when

    ‖p̂_nk − p_nk‖₂ ≤ α · torso_n,      torso_n = ‖neck_n − (rhip_n + lhip_n) / 2‖₂

i.e. the torso is the distance from the neck to the midpoint of the hips (AIC joints 13, 6, 9).
PCK@α averages over the labelled joints (COCO ``v > 0``: visible or hidden-but-labelled) of
images whose neck and both hips are labelled; ``visible`` restricts it to ``v = 2``.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from posereid.utils.io import read_json

from .keypoints import KEYPOINT_INDEX, KEYPOINT_NAMES, NUM_KEYPOINTS


def torso_sizes(keypoints: np.ndarray, labelled: np.ndarray) -> np.ndarray:
    """Neck to mid-hip distance ``(N,)`` of ``(N, 14, 2)`` keypoints; NaN where one of the
    three joints is unlabelled."""
    neck, rhip, lhip = (KEYPOINT_INDEX[n] for n in ('neck', 'right_hip', 'left_hip'))
    size = np.linalg.norm(keypoints[:, neck] - (keypoints[:, rhip] + keypoints[:, lhip]) / 2,
                          axis=-1)
    return np.where(labelled[:, [neck, rhip, lhip]].all(axis=1), size, np.nan)


def pck(predicted: np.ndarray, ground_truth: np.ndarray, alpha: float = 0.2) -> dict:
    """Torso-normalised PCK@alpha, overall and per joint.

    Args:
        predicted: ``(N, 14, 2)`` predicted ``(x, y)``.
        ground_truth: ``(N, 14, 3)`` ``(x, y, v)`` with COCO visibility ``v``.
    Returns:
        ``{'pck': float, 'pck_visible': float, 'per_joint': {name: float}, 'num_images': int,
        'num_joints': int, 'alpha': alpha}``; NaN where nothing was counted.
    """
    predicted = np.asarray(predicted, np.float64)
    ground_truth = np.asarray(ground_truth, np.float64)
    if (predicted.shape[1:] != (NUM_KEYPOINTS, 2)
            or ground_truth.shape != predicted.shape[:2] + (3,)):
        raise ValueError(f'expected predictions (N, 14, 2) and ground truth (N, 14, 3); '
                         f'got {predicted.shape} and {ground_truth.shape}')
    labelled = ground_truth[..., 2] > 0
    torso = torso_sizes(ground_truth[..., :2], labelled)
    counted = labelled & ~np.isnan(torso)[:, None]                                 # (N, 14)
    with np.errstate(invalid='ignore'):
        error = np.linalg.norm(predicted - ground_truth[..., :2], axis=-1)
        correct = error <= alpha * torso[:, None]
    visible = counted & (ground_truth[..., 2] == 2)

    def rate(mask, axis=None):
        with np.errstate(invalid='ignore', divide='ignore'):
            return (correct & mask).sum(axis) / mask.sum(axis)

    return dict(pck=float(rate(counted)), pck_visible=float(rate(visible)),
                per_joint=dict(zip(KEYPOINT_NAMES, map(float, rate(counted, 0)))),
                num_images=int((~np.isnan(torso)).sum()), num_joints=int(counted.sum()),
                alpha=alpha)


def read_coco_keypoints(ann_file: str | os.PathLike) -> tuple[list[Path], np.ndarray]:
    """Image paths (relative to the annotation's domain folder) and ``(N, 14, 3)`` keypoints.

    ``ann_file`` is ``<domain>/annotations/person_keypoints_<split>.json`` of the embedded
    world; one person per image.
    """
    ann_file = Path(ann_file)
    try:
        coco = read_json(ann_file)
        names = {img['id']: img['file_name'] for img in coco['images']}
        rows = [(names[a['image_id']], a['keypoints']) for a in coco['annotations']]
        keypoints = np.asarray([k for _, k in rows], np.float32).reshape(-1, NUM_KEYPOINTS, 3)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f'{ann_file}: expected COCO person keypoints with 14 AIC joints per '
                         f'annotation ({type(error).__name__}: {error})') from None
    root = ann_file.parent.parent
    return [root / name for name, _ in rows], keypoints


def evaluate_pose_backend(backend, ann_files, alpha: float = 0.2, batch_size: int = 256) -> dict:
    """Run ``backend`` on the images of COCO keypoint files and compute :func:`pck` per file and
    over all of them.

    Returns ``{'overall': pck(...), 'by_file': {path: pck(...)}}``.
    """
    predictions, truths, by_file = [], [], {}
    for ann_file in ann_files:
        paths, truth = read_coco_keypoints(ann_file)
        predicted = np.concatenate([
            backend([np.asarray(Image.open(p).convert('RGB')) for p in paths[i:i + batch_size]]
                    ).keypoints for i in range(0, len(paths), batch_size)])
        by_file[str(ann_file)] = pck(predicted, truth, alpha)
        predictions.append(predicted)
        truths.append(truth)
    return dict(overall=pck(np.concatenate(predictions), np.concatenate(truths), alpha),
                by_file=by_file)


def format_pck_table(result: dict) -> str:
    """A text table of :func:`evaluate_pose_backend`'s result: one row per joint, one column
    per annotation file and overall."""
    columns = {Path(name).parent.parent.name or name: r for name, r in result['by_file'].items()}
    columns['all'] = result['overall']
    alpha = result['overall']['alpha']
    width = max(8, *map(len, columns))
    lines = [f'{"PCK@" + str(alpha):<16}' + ''.join(f'{c:>{width + 2}}' for c in columns)]
    for name in KEYPOINT_NAMES:
        lines.append(f'{name:<16}' + ''.join(f'{r["per_joint"][name]:>{width + 2}.3f}'
                                             for r in columns.values()))
    for key, label in (('pck', 'mean (v>0)'), ('pck_visible', 'mean (v=2)')):
        lines.append(f'{label:<16}' + ''.join(f'{r[key]:>{width + 2}.3f}'
                                             for r in columns.values()))
    lines.append(f'{"images":<16}' + ''.join(f'{r["num_images"]:>{width + 2}d}'
                                           for r in columns.values()))
    return '\n'.join(lines)
