"""The Python inference API on the small embedded world: features of unlabelled images with
pose computed on the fly, pair scores, two-stage search equal to tools/test.py's ranking, bad
input, and the README's example as written."""
from __future__ import annotations

import os
import re

import numpy as np
import pytest
import torch
from PIL import Image

from common import (CONFIGS, REPO, SHIPPED_POSE, run_tool, save_untrained_checkpoint,
                    tiny_options)

from posereid.apis import compare, extract, init_predictor, search
from posereid.apis.files import save_search
from posereid.engine import load_config
from posereid.engine.features import extract_features
from posereid.retrieval.two_stage import two_stage_rows
from posereid.engine.tester import build_test_dataloader
from posereid.evaluation import compute_distance_matrix
from posereid.pose.keypoints import KEYPOINT_INDEX
from posereid.utils.image_io import BadImageError, read_image


@pytest.fixture(scope='module')
def predictors(world, tmp_path_factory):
    """Predictors of a tiny SiameseND (no pose) and a tiny SpindleFusion (pose by the shipped
    network)."""
    root = tmp_path_factory.mktemp('apis')
    built = {}
    for name in ('SiameseND', 'SpindleFusion'):
        options = tiny_options(world, name)
        checkpoint = save_untrained_checkpoint(CONFIGS[name], options, root / f'{name}.pth')
        built[name] = init_predictor(CONFIGS[name], checkpoint, 'cpu', options,
                                     pose=SHIPPED_POSE)
    return built


def test_extracted_features_are_those_of_the_test_pipeline(predictors, market):
    """Unlabelled images through extract give tools/test.py's embeddings (SiameseND: no pose,
    so no cache to differ by), L2-normalised."""
    predictor = predictors['SiameseND']
    loader = build_test_dataloader(predictor.cfg, 'synthetic_market')
    expected = extract_features(predictor.model, loader, pair_features=True)
    features = extract(predictor, expected.img_paths, batch_size=7)
    assert features.names == expected.img_paths
    torch.testing.assert_close(features.ranking, expected.embeddings, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(features.embeddings, axis=1), 1, atol=1e-5)
    from_arrays = extract(predictor, [np.asarray(Image.open(p).convert('RGB'))
                                  for p in expected.img_paths[:3]])
    np.testing.assert_allclose(from_arrays.embeddings, features.embeddings[:3], atol=1e-5)
    assert from_arrays.names == ['array 0', 'array 1', 'array 2']


def test_pose_is_computed_on_the_fly_and_returned(predictors, market):
    predictor = predictors['SpindleFusion']
    features = extract(predictor, market / 'query')           # a folder
    assert len(features) == len(list((market / 'query').glob('*.jpg')))
    assert features.keypoints.shape == (len(features), 14, 2)
    assert features.scores.max() > 0.5                    # the shipped network finds people
    head, ankle = KEYPOINT_INDEX['head_top'], KEYPOINT_INDEX['left_ankle']
    confident = (features.scores[:, head] > 0.5) & (features.scores[:, ankle] > 0.5)
    head, ankle = features.keypoints[:, head, 1], features.keypoints[:, ankle, 1]
    assert confident.any() and (head[confident] < ankle[confident]).all()


def test_compare_scores_pairs_and_search_is_the_two_stage_ranking(predictors, market):
    predictor = predictors['SpindleFusion']
    query = extract(predictor, sorted(market.glob('query/*.jpg'))[:4])
    gallery = extract(predictor, market / 'bounding_box_test')
    same = compare(predictor, query, query)
    assert same.shape == (4,) and ((0 <= same) & (same <= 1)).all()
    result = search(predictor, query, gallery, topk=10, rescore=6)
    distmat = compute_distance_matrix(query.ranking, gallery.ranking).float()
    final = two_stage_rows(predictor.model, distmat, query.pair_features, gallery.pair_features, 6)
    np.testing.assert_array_equal(result.indices, torch.argsort(final, dim=1, stable=True)[:, :10])
    assert np.isfinite(result.scores[:, :6]).all() and np.isnan(result.scores[:, 6:]).all()
    again = search(predictor, query, gallery, topk=10, rescore=6, index_kind='flat')   # faiss
    np.testing.assert_array_equal(again.indices, result.indices)


def test_search_results_of_arrays_are_saved_with_their_images(predictors, market, tmp_path):
    predictor = predictors['SiameseND']
    query = [read_image(p) for p in sorted(market.glob('query/*.jpg'))[:2]]
    gallery = [read_image(p) for p in sorted(market.glob('bounding_box_test/*.jpg'))[:5]]
    result = search(predictor, query, gallery, topk=3, rescore=3)
    with pytest.raises(ValueError, match='array 0: not an image file'):
        save_search(result, tmp_path / 'none')
    assert not (tmp_path / 'none').exists()                     # nothing half-written
    files = save_search(result, tmp_path / 'out', query_images=query, gallery_images=gallery)
    rows = files['csv'].read_text().splitlines()
    assert rows[1].startswith('array 0,1,array ') and len(rows) == 1 + 2 * 3
    assert Image.open(files['png']).size[1] >= 2 * query[0].shape[0]


def test_bad_input_is_named(predictors, market, tmp_path):
    predictor = predictors['SiameseND']
    (tmp_path / 'notes.jpg').write_text('not an image')
    good = sorted(market.glob('query/*.jpg'))[:2]
    with pytest.raises(BadImageError, match='notes.jpg'):
        extract(predictor, [*good, tmp_path / 'notes.jpg'])
    features = extract(predictor, [*good, tmp_path / 'notes.jpg'], skip_bad=True)
    assert len(features) == 2 and features.skipped[0][0] == str(tmp_path / 'notes.jpg')
    with pytest.raises(BadImageError, match='too small'):
        extract(predictor, [np.zeros((6, 20, 3), np.uint8)])
    grey = np.asarray(Image.open(good[0]).convert('L'))
    rgba = np.asarray(Image.open(good[0]).convert('RGBA'))
    assert extract(predictor, [grey, rgba]).embeddings.shape[0] == 2      # converted to RGB
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match='no image files'):
        extract(predictor, empty)


def test_a_checkpoint_of_another_architecture_is_refused_by_name(world, tmp_path):
    options = tiny_options(world, 'SiameseND')
    checkpoint = save_untrained_checkpoint(CONFIGS['SiameseND'], options, tmp_path / 's.pth')
    with pytest.raises(ValueError, match=r'missing \d+: .*spindle.*unexpected \d+: branch'):
        init_predictor(CONFIGS['SpindleFusion'], checkpoint, 'cpu', tiny_options(world))


def readme_example() -> str:
    text = (REPO / 'README.md').read_text(encoding='utf-8')
    return re.search(r'<!-- api-example -->\n```python\n(.*?)```', text, re.S).group(1)


def test_the_readme_example_runs_as_written(world, tmp_path, capsys):
    """In a working directory laid out as the checkout after make demo: the configs and
    checkpoints, the embedded world (here the small one) and a trained fusion model (here an
    untrained one of the same config)."""
    for name in ('configs', 'checkpoints'):
        (tmp_path / name).symlink_to(REPO / name)
    (tmp_path / 'data').symlink_to(world / 'data')
    save_untrained_checkpoint(CONFIGS['SpindleFusion'], {},
                              tmp_path / 'work_dirs/spindle_fusion_synthetic/epoch_6.pth')
    (tmp_path / 'work_dirs/spindle_fusion_synthetic/last_checkpoint').write_text(
        str(tmp_path / 'work_dirs/spindle_fusion_synthetic/epoch_6.pth'))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(readme_example(), 'README.md', 'exec'), {})
    finally:
        os.chdir(cwd)
    printed = capsys.readouterr().out
    assert re.search(r'\(\d+, 256\)', printed)            # the embeddings' shape


@pytest.mark.slow
def test_the_tools_write_features_and_search_results_and_name_bad_images(world, market,
                                                                         tmp_path):
    options = tiny_options(world, 'SiameseND')
    cfg = load_config(CONFIGS['SiameseND'], options)
    config = tmp_path / 'tiny.py'
    cfg.dump(str(config))
    checkpoint = save_untrained_checkpoint(config, {}, tmp_path / 'tiny.pth')
    crops = tmp_path / 'crops'
    crops.mkdir()
    for path in sorted(market.glob('query/*.jpg'))[:5]:
        (crops / path.name).write_bytes(path.read_bytes())
    (crops / 'broken.jpg').write_bytes(b'garbage')
    out = tmp_path / 'feats.npz'
    run = run_tool('tools/extract_features.py', str(crops), '--config', str(config), '--checkpoint',
                   str(checkpoint), '--out', str(out), cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert 'broken.jpg' in run.stdout and '1 skipped' in run.stdout
    saved = np.load(out)
    assert saved['embeddings'].shape[0] == 5 and len(saved['names']) == 5
    np.testing.assert_allclose(np.linalg.norm(saved['embeddings'], axis=1), 1, atol=1e-5)
    search_out = tmp_path / 'search'
    run = run_tool('tools/search.py', str(sorted(crops.glob('0*.jpg'))[0]), str(market / 'query'),
                   '--config', str(config), '--checkpoint', str(checkpoint), '--out',
                   str(search_out), '--topk', '3', cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    rows = (search_out / 'search.csv').read_text().splitlines()
    assert rows[0] == 'query,rank,gallery,probability,distance' and len(rows) == 1 + 3
    assert Image.open(search_out / 'ranked_lists.png').size[0] > 4 * 64
    run = run_tool('tools/extract_features.py', str(tmp_path / 'nowhere'), '--config', str(config),
                   '--checkpoint', str(checkpoint), '--out', str(tmp_path / 'none.npz'),
                   cwd=tmp_path)
    assert run.returncode == 1 and 'Traceback' not in run.stderr and 'nowhere' in run.stderr
    assert not (tmp_path / 'none.npz').exists()
