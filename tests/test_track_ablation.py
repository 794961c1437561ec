"""The tracking ablation on the tiny video world: every variant scored, re-scoring leaving the
ranking alone, and the table's mean ± sample std over seeds."""
from __future__ import annotations

import numpy as np
import pytest

from experiments import track_ablation


def test_every_variant_is_scored_and_only_the_identities_change(tracked_video, fusion):
    results = track_ablation.evaluate_world(fusion, tracked_video, ['c1', 'c2'], seed=0)
    assert set(results) == set(track_ablation.DETECTIONS)
    for variants in results.values():
        assert list(variants) == list(track_ablation.VARIANTS)
        assert variants['per-camera ids only']['retrieval_mAP'] is None
        # re-scoring changes the clustering, not the embeddings' ranking
        assert (variants['embedding only']['retrieval_mAP']
                == variants['+ pair re-scoring']['retrieval_mAP'])
    # the degraded oracle loses boxes: the ground truth's MOTA is higher
    assert (results['ground truth']['embedding only']['MOTA']
            > results['degraded']['embedding only']['MOTA'])


def test_the_table_gives_mean_and_sample_std_over_seeds():
    def world_result(idf1):
        return {name: {variant: {**{m: 0.5 for m in track_ablation.METRICS}, 'IDF1': idf1,
                                 'retrieval_mAP': None if 'per-camera' in variant else 0.5}
                       for variant in track_ablation.VARIANTS}
                for name in track_ablation.DETECTIONS}

    summary, markdown = track_ablation.table({0: world_result(0.6), 1: world_result(0.8)})
    cell = summary['ground truth']['embedding only']['IDF1']
    assert cell['mean'] == pytest.approx(0.7) and cell['std'] == pytest.approx(np.std(
        [0.6, 0.8], ddof=1))
    assert '| ground truth | embedding only | 70.0 ± 14.1 |' in markdown
    assert '| degraded | per-camera ids only | 70.0 ± 14.1 | 50.0 ± 0.0 |' in markdown
    rows = len(track_ablation.DETECTIONS) * len(track_ablation.VARIANTS)
    assert markdown.count('\n| ') == 1 + rows                 # the header and a row each
    assert 'retrieval_mAP' not in summary['ground truth']['per-camera ids only']
