"""experiments/real_benchmark.py on fixture trees of CUHK03 camera pair 1 and VIPeR: the rows it
trains, the test sets and metrics it reports, the results file, resuming, the pictures, and
VIPeR's splits from scratch and fine-tuned."""
from __future__ import annotations

import numpy as np
import pytest
from dataset_trees import cuhk03_pair1_tree, viper_tree

from common import TINY_MODELS

from experiments import real_benchmark
from posereid.engine import study
from posereid.utils.io import read_json

TINY = {'model.branch.channels': TINY_MODELS['SiameseND']['branch']['channels'],
        'model.branch.summary_channels': 5, 'model.branch.fc_dim': 16,
        'train_cfg.max_epochs': 1, 'train_dataloader.batch_size': 4,
        'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
        'test_dataloader.num_workers': 0,
        'default_hooks.logger.interval': 1}


@pytest.fixture
def trees(tmp_path):
    cuhk03_pair1_tree(tmp_path / 'cuhk03', num_train_ids=6, num_val_ids=4)
    viper_tree(tmp_path / 'viper', num_ids=6)
    return tmp_path


def args(trees, *extra):
    options = [f'{key}={value}' for key, value in TINY.items()]
    return ['--cuhk03', str(trees / 'cuhk03'), '--viper', str(trees / 'viper'),
            '--out', str(trees / 'out'), '--results', str(trees / 'results'), '--seeds', '0',
            '1', *extra, '--cfg-options', *options]


def test_rows_differ_in_what_they_compare():
    rows = {row: real_benchmark.row_variant(row) for row in real_benchmark.ROWS['all']}
    assert set(real_benchmark.ROWS['headline']) <= set(rows)
    assert rows['SpindleFusion-NCC'].cfg_options == {'model.siamese.matching': 'ncc'}
    assert rows['SiameseND no-mining'].cfg_options == {
        'train_dataloader.sampler.hard_negative_ratio': 0.0}
    no_pose = rows['Spindle no-pose'].cfg_options
    assert no_pose['pose']['type'] == 'no_pose'
    assert no_pose['heatmap_root'] != 'work_dirs/heatmaps'       # its own caches
    # every loader of the control reads the no-pose caches, also for another seed's split
    cfg = study.variant_config(rows['Spindle no-pose'], real_benchmark.BUDGETS['cpu'],
                               {'train_dataloader.dataset.source': dict(name='viper')})
    assert cfg.train_dataloader.dataset.heatmap_cache.startswith(no_pose['heatmap_root'])
    assert cfg.train_dataloader.dataset.heatmap_cache.endswith('viper')
    assert cfg.test_dataloader.dataset.heatmap_cache.startswith(no_pose['heatmap_root'])
    assert real_benchmark.select_rows(['Spindle no-pose', 'headline', 'Spindle']) == [
        'Spindle no-pose', 'SiameseND', 'Spindle', 'SpindleFusion-ND']
    with pytest.raises(ValueError, match="unknown row 'Spindel'"):
        real_benchmark.select_rows(['Spindel'])
    cpu = real_benchmark.BUDGETS['cpu']
    cfg = study.variant_config(rows['SpindleFusion-ND+NCC'], cpu)
    hook = cfg.custom_hooks[1]
    assert hook.type == 'HardNegativeMiningHook' and hook.start_epoch < cfg.train_cfg.max_epochs


@pytest.mark.slow
def test_the_benchmark_trains_tests_writes_and_resumes(trees,
                                                       monkeypatch):
    monkeypatch.setitem(real_benchmark.ROWS, 'headline', ['SiameseND'])
    real_benchmark.main(args(trees))
    results = read_json(trees / 'results' / 'real_benchmark.json')
    assert results['budget'] == 'cpu' and results['seeds'] == [0, 1]
    assert results['command'].startswith('python experiments/real_benchmark.py')
    cells = results['rows']['SiameseND']
    assert set(cells) == {'CUHK03 cam1→cam2', 'CUHK03 cam2→cam1', 'VIPeR all 632'}
    runs = [read_json(trees / 'out' / 'SiameseND' / f'seed{seed}' / study.RUN_FILE)
            for seed in (0, 1)]
    for name, cell in cells.items():                 # mean and sample std of the two seeds
        assert cell['num_seeds'] == 2
        values = [run['results'][name]['two_stage']['rank1'] for run in runs]
        assert cell['rank1']['mean'] == pytest.approx(np.mean(values))
        assert cell['rank1']['std'] == pytest.approx(np.std(values, ddof=1))
    # the talk's balanced pair set: every positive pair and as many negatives
    run = read_json(trees / 'out' / 'SiameseND' / 'seed0' / study.RUN_FILE)
    pairs = run['results']['CUHK03 cam1→cam2']['pairs']
    assert sum(map(sum, pairs['confusion_matrix'])) == 2 * pairs['num_positive']
    # 4 identities: 3 of 5 images (10 pairs each) and one of 2 (1 pair)
    assert pairs['num_positive'] == 3 * 10 + 1
    viper = run['results']['VIPeR all 632']
    assert viper['num_query'] == viper['num_gallery'] == 6
    same = cells['CUHK03 cam1→cam2']['same_as_same']['mean']
    assert same + cells['CUHK03 cam1→cam2']['same_as_different']['mean'] == 31
    # pictures: the first seed's ranked lists and pair galleries, and the confusion matrices
    pictures = trees / 'out' / 'SiameseND' / 'seed0' / 'test' / 'CUHK03 cam1→cam2'
    assert (pictures / 'cuhk03_pair1' / 'ranked_lists.png').is_file()
    assert len(list((trees / 'out' / 'pictures').glob('confusion_SiameseND_*.png'))) == 3
    assert '| SiameseND | CUHK03 cam1→cam2 | 0 1 |' in (
        trees / 'results' / 'real_benchmark.md').read_text()

    # a second call reuses every run
    def must_not_run(*a, **kw):
        raise AssertionError('a finished run was redone')
    monkeypatch.setattr(study, 'train', must_not_run)
    monkeypatch.setattr(study, 'test', must_not_run)
    real_benchmark.main(args(trees))
    # reporting what finished, as after seeds run in several processes: seed 2 never ran
    real_benchmark.main(args(trees, '--finished-only', '--seeds', '0', '1', '2'))
    again = read_json(trees / 'results' / 'real_benchmark.json')
    assert again['rows']['SiameseND'] == results['rows']['SiameseND']
    # the results file names the command that makes the runs, not the one that gathered them
    assert '--finished-only' not in again['command'] and again['gathered_from_finished_runs']

    # VIPeR's splits: from scratch, and fine-tuned from the CUHK03 model of seed 0
    monkeypatch.undo()
    monkeypatch.setitem(real_benchmark.ROWS, 'headline', ['SiameseND'])
    real_benchmark.main(args(trees, '--viper-splits'))
    splits = read_json(trees / 'results' / 'real_benchmark_viper_splits.json')
    assert set(splits['rows']) == {'SiameseND from scratch', 'SiameseND fine-tuned'}
    text = (trees / 'results' / 'real_benchmark_viper_splits.md').read_text()
    assert '2 of the 10 splits' in text
    tested = {seed: read_json(trees / 'out' / 'viper_splits' / 'SiameseND from scratch' /
                              f'seed{seed}' / study.RUN_FILE)['results']['VIPeR 316 (its split)']
              for seed in (0, 1)}
    assert all(r['dataset'] == 'viper' and r['num_query'] == 3 for r in tested.values())


def test_the_results_page_joins_the_sections_in_order(tmp_path):
    from experiments import results_page

    (tmp_path / 'results').mkdir()
    results_page.write_section('ablation.md', '# Ablation\n\n| a |\n', {'x': 1}, docs=tmp_path)
    results_page.write_section('demo.md', '# demo\n\nran.\n', docs=tmp_path)
    page = (tmp_path / 'results.md').read_text()
    assert page.index('## The embedded world: what make demo measures') < page.index(
        '## The embedded world: ablation over seeds')
    assert '| a |' in page and '# Ablation' not in page           # its own title gives way
    assert '(#the-embedded-world-ablation-over-seeds)' in page
    assert read_json(tmp_path / 'results' / 'ablation.json') == {'x': 1}
    with pytest.raises(ValueError, match='unknown results section'):
        results_page.write_section('nope.md', 'x', docs=tmp_path)


def test_the_demo_says_whether_its_figures_land_in_the_expected_range():
    from experiments import demo

    lines = demo.range_check({'SiameseND': 0.45, 'SpindleFusion': 0.5})
    assert lines[0].startswith('- SiameseND: rank-1 45.0%, within')
    assert 'OUTSIDE the expected 64.6% .. 79.7%' in lines[1]
    seen = {'SiameseND': (0.466, 0.417), 'Spindle': (0.589, 0.523),  # the two runs it came from
            'SpindleFusion': (0.710, 0.733)}
    for model, runs in seen.items():
        assert all('within' in line for line in demo.range_check(dict.fromkeys([model], min(runs))
                                                                 ) + demo.range_check(
            dict.fromkeys([model], max(runs))))


def test_the_demo_report_has_pictures_and_the_results_page_its_own_figures_only(tmp_path):
    from experiments import demo

    report = demo.DemoReport(tmp_path)
    report.add('In-domain results', '| model | rank-1 |', '![ranked lists](x/ranked_lists.png)')
    report.add('Tracking ablation over seeds', '| variant | IDF1 |', results=False)
    report.timings.append(('train', 90.0))
    full, figures = report.markdown(), report.markdown(for_results=True)
    assert '![ranked lists](x/ranked_lists.png)' in full and '## Tracking ablation' in full
    assert '![' not in figures and 'Tracking ablation' not in figures   # its own section there
    assert '| model | rank-1 |' in figures and '| train | 90.0 |' in figures
    assert '2 minutes of stages' in figures


def test_pose_on_crops_reports_people_found_where_the_regions_go_and_which_way_people_face(
        tmp_path):
    from posereid.datasets import build_source
    from posereid.engine.heatmaps import build_cache_for_source
    from posereid.pose.cache import HeatmapCache
    from posereid.pose.keypoints import KEYPOINT_INDEX

    viper_tree(tmp_path / 'viper', num_ids=3)                 # 6 crops
    source = dict(name='viper', root=str(tmp_path / 'viper'), num_train_ids=0, split_id=0)
    cache = tmp_path / 'cache'
    build_cache_for_source('viper', tmp_path / 'viper', dict(type='no_pose'), cache,
                           heatmap_size=(32, 16), progress=False)
    control = real_benchmark.pose_on_crops(str(cache), (160, 60), source)
    assert control['person_found'] == 0
    assert all(iou == pytest.approx(1) for iou in control['region_iou_with_fixed_box'].values())
    assert control['identities_facing_known_in_both_cameras'] == 0
    assert control['facing_opposite_ways'] is None
    # one crop with a person whose every joint peaks at the top left: its regions move there
    heatmaps = np.load(cache / 'heatmaps.npy')
    keypoints, scores = np.load(cache / 'keypoints.npy'), np.load(cache / 'scores.npy')
    heatmaps[0, :, 1, 1], scores[0] = 1, 1
    # shoulders: person 0 faces camera A and turns away from camera B, person 1 faces both
    left, right = KEYPOINT_INDEX['left_shoulder'], KEYPOINT_INDEX['right_shoulder']
    rows = {(r.pid, r.camid): HeatmapCache(cache).row(r.img_path)
            for r in real_benchmark.source_records(build_source(**source))}
    pids = sorted({pid for pid, _ in rows})
    for (pid, camid), row in rows.items():
        if pid in pids[:2]:
            towards = pid == pids[1] or camid == 0
            keypoints[row, [left, right], 0] = [40, 20] if towards else [20, 40]
            scores[row, [left, right]] = 1
    for name, array in (('heatmaps', heatmaps), ('keypoints', keypoints), ('scores', scores)):
        np.save(cache / f'{name}.npy', array)
    moved = real_benchmark.pose_on_crops(str(cache), (160, 60), source, chunk=4)
    assert moved['person_found'] == pytest.approx(4 / 6)
    ious = moved['region_iou_with_fixed_box']
    assert ious['lower_body'] == pytest.approx(5 / 6)         # that crop's box misses it wholly
    assert all(5 / 6 - 1e-6 < iou < 1 for iou in ious.values())
    assert moved['identities_facing_known_in_both_cameras'] == 2
    assert moved['facing_opposite_ways'] == 0.5
