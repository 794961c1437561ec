import json

import cv2
import pytest

from common import CONFIGS, tiny_options, save_untrained_checkpoint

from posereid import engine
from posereid.engine import build_runner
from posereid.utils.checkpoint import mmengine_checkpoint_globals

def results_paths(world, name):
    folder = {'synthetic_market': 'market/query', 'synthetic_cuhk01': 'cuhk01/campus'}[name]
    return sorted(str(p) for p in (world / 'data' / 'synthetic' / folder).iterdir())


OUTCOME_CELLS = {'true_negative': (0, 0), 'false_positive': (0, 1),
                 'false_negative': (1, 0), 'true_positive': (1, 1)}


@pytest.mark.slow
def test_test_reports_ranking_pair_metrics_and_pictures(world, tmp_path):
    options = tiny_options(world)
    checkpoint = save_untrained_checkpoint(CONFIGS['SpindleFusion'], options,
                                           tmp_path / 'model.pth')
    results = engine.test(CONFIGS['SpindleFusion'], checkpoint,
                          datasets=['synthetic_market', 'synthetic_cuhk01'],
                          out_dir=tmp_path / 'out', top_k=3, cfg_options=options)
    assert json.loads((tmp_path / 'out' / 'results.json').read_text()) == results
    assert {name: r['protocol'] for name, r in results.items()} == {
        'synthetic_market': 'market', 'synthetic_cuhk01': 'single_gallery_shot'}
    for name, r in results.items():
        two_stage = r['two_stage']
        assert two_stage['top_k'] == 3
        assert two_stage['num_pair_passes'] == 3 * r['num_query']
        assert two_stage['all_pairs_passes'] == r['num_query'] * r['num_gallery']
        for ranking in ('embedding', 'two_stage'):
            assert 0 < r[ranking]['mINP'] <= 1 and 0 < r[ranking]['mAP'] <= 1
            assert r[ranking]['rank1'] <= r[ranking]['rank5'] <= r[ranking]['rank10']
        pairs = r['pairs']
        matrix = pairs['confusion_matrix']
        assert pairs['num_pairs'] == 2 * pairs['num_positive'] == sum(map(sum, matrix))
        assert sum(matrix[1]) == pairs['num_positive']
        correct = matrix[0][0] + matrix[1][1]
        assert pairs['accuracy'] == pytest.approx(correct / pairs['num_pairs'])
        folder = tmp_path / 'out' / name
        ranked = cv2.imread(str(folder / 'ranked_lists.png'))
        h, w = (2 * s for s in cv2.imread(results_paths(world, name)[0]).shape[:2])
        assert ranked.shape[0] >= min(8, r['num_query']) * h       # one row per query,
        assert ranked.shape[1] >= (1 + min(10, r['num_gallery'])) * w   # the query + top 10
        assert cv2.imread(str(folder / 'cmc.png')) is not None
        for outcome, (row, column) in OUTCOME_CELLS.items():
            assert (folder / f'{outcome}_pairs.png').is_file() == (matrix[row][column] > 0)

    # the embedding ranking is the one mmengine's test loop reports with ReIDMetric
    runner = build_runner(CONFIGS['SpindleFusion'], work_dir=tmp_path / 'runner',
                          cfg_options={**options, 'load_from': str(checkpoint)})
    with mmengine_checkpoint_globals():
        metrics = runner.test()
    market = results['synthetic_market']['embedding']
    assert metrics['reid/rank1'] == pytest.approx(market['rank1'])
    assert metrics['reid/mAP'] == pytest.approx(market['mAP'])


def test_rerank_reports_the_re_ranked_embedding_ranking(world, tmp_path,
                                                        capsys):
    from posereid.evaluation import evaluate_rank, k_reciprocal_rerank
    from posereid.engine.features import extract_features
    from posereid.engine.tester import build_test_dataloader, load_model

    options = tiny_options(world)
    checkpoint = save_untrained_checkpoint(CONFIGS['SpindleFusion'], options,
                                           tmp_path / 'model.pth')
    results = engine.test(CONFIGS['SpindleFusion'], checkpoint, out_dir=tmp_path / 'out',
                          top_k=3, cfg_options=options, pictures=False, rerank=True)
    printed = capsys.readouterr().out
    assert 're-ranking' in printed and 'GiB' in printed             # the memory estimate
    cfg = engine.load_config(CONFIGS['SpindleFusion'], options)
    features = extract_features(load_model(cfg, checkpoint), build_test_dataloader(cfg),
                                pair_features=True)
    query, gallery = features.select('query'), features.select('gallery')
    expected = evaluate_rank(k_reciprocal_rerank(query.embeddings, gallery.embeddings),
                             query.pids, gallery.pids, query.camids, gallery.camids, 20)
    assert results['synthetic_market']['rerank']['mAP'] == pytest.approx(expected['mAP'])
    assert 'embedding, re-ranked' in engine.tester.format_results_table(results)
