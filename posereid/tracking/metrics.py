"""Multi-camera tracking metrics, computed by TrackEval (Luiten et al.; MIT licence).

*Global* metrics treat all cameras as one sequence. Each camera's frames become their own
timesteps (the key is ``(camera, frame)``), so an identity must carry one global id through
every camera it visits to score well:

- IDF1 / IDP / IDR (Ristani et al., ECCV 2016 workshops): ``IDF1 = 2 IDTP / (2 IDTP + IDFP +
  IDFN)`` under the best one-to-one matching of true and predicted identities;
- HOTA, DetA, AssA (Luiten et al., IJCV 2021): ``HOTA = sqrt(DetA · AssA)`` averaged over IoU
  thresholds 0.05 .. 0.95.

*Per-camera* MOTA ``= 1 - (FN + FP + IDSW) / GT`` (Bernardin and Stiefelhagen, 2008) and IDF1
score each camera on its own. Boxes match at IoU >= 0.5 (HOTA: at each of its thresholds).

*Tracklet retrieval* ranks, for each tracklet, the tracklets of the other cameras by embedding
distance (CMC and mAP of :mod:`posereid.evaluation.rank`, Market protocol).
"""
from __future__ import annotations

import numpy as np
import torch
from torchvision.ops import box_iou

from posereid.datasets.boxes import Boxes
from posereid.evaluation.rank import rank_summary

QUIET = {'PRINT_CONFIG': False}


def _iou(gt: Boxes, predicted: Boxes) -> np.ndarray:
    """``(G, P)`` IoUs of two sets of boxes."""
    return box_iou(torch.from_numpy(gt.xyxy), torch.from_numpy(predicted.xyxy)).numpy()


def timesteps(truth: dict[str, Boxes], predicted: dict[str, Boxes]) -> list[tuple]:
    """Every ``(camera, frame)`` of the cameras of ``truth`` with a true or a predicted box, in
    order, as ``(camera, true ids (G_t,), predicted ids (P_t,), (G_t, P_t) box IoUs)``."""
    steps = []
    for camera, gt_boxes in truth.items():
        pred_boxes = predicted.get(camera, Boxes.empty())
        for frame in np.union1d(gt_boxes.frame, pred_boxes.frame):
            gt, pred = gt_boxes.on_frame(frame), pred_boxes.on_frame(frame)
            steps.append((camera, gt.ids, pred.ids, _iou(gt, pred)))
    return steps


def sequence_data(steps: list[tuple]) -> dict:
    """TrackEval's per-sequence input for :func:`timesteps` taken as one sequence (module doc):
    true and predicted ids renumbered ``0 ..`` over it."""
    gt_ids, gt_codes = _codes([gt for _, gt, _, _ in steps])
    tracker_ids, tr_codes = _codes([pred for _, _, pred, _ in steps])
    return {'num_timesteps': len(steps), 'num_gt_ids': len(gt_codes),
            'num_tracker_ids': len(tr_codes), 'num_gt_dets': int(sum(map(len, gt_ids))),
            'num_tracker_dets': int(sum(map(len, tracker_ids))), 'gt_ids': gt_ids,
            'tracker_ids': tracker_ids, 'similarity_scores': [iou for *_, iou in steps]}


def _codes(ids: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Each timestep's ids as ``0 .. K-1`` codes of the ``K`` distinct ids, and those ids."""
    distinct = np.unique(np.concatenate(ids + [np.zeros(0)]))
    return [np.searchsorted(distinct, step).astype(int) for step in ids], distinct


def tracking_metrics(truth: dict[str, Boxes], predicted: dict[str, Boxes]) -> dict:
    """Global IDF1 / IDP / IDR / HOTA / DetA / AssA over the cameras of ``truth`` (camera name →
    its boxes with global ids), MOTA over all cameras, and per camera MOTA, IDF1 and ID
    switches. A camera missing from ``predicted`` counts as tracked with no box. Scores are
    fractions in ``[0, 1]`` (MOTA can be negative)."""
    from trackeval.metrics import CLEAR, HOTA, Identity

    if not truth:
        raise ValueError('tracking_metrics needs the ground truth of at least one camera')
    steps = timesteps(truth, predicted)
    overall = sequence_data(steps)
    identity = Identity(QUIET).eval_sequence(overall)
    hota = HOTA().eval_sequence(overall)
    clear_metric = CLEAR(QUIET)
    per_camera, clear = {}, {}
    for camera in truth:
        data = sequence_data([step for step in steps if step[0] == camera])
        clear[camera] = clear_metric.eval_sequence(data)
        per_camera[camera] = {'MOTA': float(clear[camera]['MOTA']),
                              'IDF1': float(Identity(QUIET).eval_sequence(data)['IDF1']),
                              'IDSW': int(clear[camera]['IDSW']),
                              'num_true_boxes': data['num_gt_dets'],
                              'num_tracked_boxes': data['num_tracker_dets']}
    return {'IDF1': float(identity['IDF1']), 'IDP': float(identity['IDP']),
            'IDR': float(identity['IDR']), 'HOTA': float(np.mean(hota['HOTA'])),
            'DetA': float(np.mean(hota['DetA'])), 'AssA': float(np.mean(hota['AssA'])),
            'MOTA': float(clear_metric.combine_sequences(clear)['MOTA']),
            'num_true_identities': overall['num_gt_ids'],
            'num_predicted_identities': overall['num_tracker_ids'],
            'per_camera': per_camera}


def detection_metrics(truth: dict[str, Boxes], detections: dict[str, Boxes]) -> dict:
    """Recall and precision (fractions) of ``detections`` against ``truth`` (camera name → its
    boxes) at IoU >= 0.5, over the cameras of ``truth``, by TrackEval's CLEAR matching (each
    detection its own identity); and the counts of true, found and matched boxes."""
    from trackeval.metrics import CLEAR

    if not truth:
        raise ValueError('detection_metrics needs the ground truth of at least one camera')
    numbered = {camera: found.with_ids(np.arange(len(found)))
                for camera, found in detections.items()}
    clear = CLEAR(QUIET).eval_sequence(sequence_data(timesteps(truth, numbered)))
    return {'recall': float(clear['CLR_Re']), 'precision': float(clear['CLR_Pr']),
            'num_true_boxes': int(clear['CLR_TP'] + clear['CLR_FN']),
            'num_detections': int(clear['CLR_TP'] + clear['CLR_FP']),
            'num_matched': int(clear['CLR_TP'])}


def track_identities(tracks: Boxes, truth: Boxes, min_iou: float = 0.5) -> dict:
    """The true identity of each track of one camera: ``{track_id: true_id}``, the true id whose
    boxes the track's boxes overlap (IoU >= ``min_iou``, same frame) most often; ``-1`` for a
    track that matches no true box (a false-positive track)."""
    votes: dict[int, dict[int, int]] = {int(t): {} for t in tracks.unique_ids()}
    for frame in np.unique(tracks.frame):
        mine, gt = tracks.on_frame(frame), truth.on_frame(frame)
        if not len(gt):
            continue
        iou = _iou(mine, gt)
        best = iou.argmax(axis=1)
        for row, column in enumerate(best):
            if iou[row, column] >= min_iou:
                tally = votes[int(mine.ids[row])]
                tally[int(gt.ids[column])] = tally.get(int(gt.ids[column]), 0) + 1
    return {track: max(tally, key=lambda pid: (tally[pid], -pid)) if tally else -1
            for track, tally in votes.items()}


def tracklet_retrieval(embeddings: np.ndarray, identities: np.ndarray,
                       cameras: np.ndarray) -> dict:
    """Rank-1 / rank-5 / mAP (fractions) of cross-camera tracklet retrieval: ``(K, D)``
    unit-length tracklet ``embeddings``, their true ``identities`` (``-1``: no true person;
    such tracklets stay in the gallery as distractors) and ``cameras``. Queries are the
    tracklets whose identity some other camera's tracklet shares; ``num_queries`` says how
    many."""
    identities, cameras = np.asarray(identities), np.asarray(cameras)
    _, camera_codes = np.unique(cameras, return_inverse=True)
    elsewhere = [(identities == pid) & (camera_codes != cam)
                 for pid, cam in zip(identities, camera_codes)]
    queries = np.flatnonzero([pid >= 0 and mask.any() for pid, mask in zip(identities, elsewhere)])
    if not len(queries):
        raise ValueError('no tracklet has a true match in another camera: nothing to retrieve')
    embeddings = np.asarray(embeddings, np.float64)
    distance = 1 - embeddings[queries] @ embeddings.T
    summary = rank_summary(distance, identities[queries], identities, camera_codes[queries],
                           camera_codes, protocol='market', ranks=(1, 5))
    return {'rank1': summary['rank1'], 'rank5': summary['rank5'], 'mAP': summary['mAP'],
            'num_queries': len(queries)}
