"""tools/precompute_heatmaps.py end to end on the small embedded world."""
import importlib.util
import json
import re
import shlex
from pathlib import Path

import pytest

from posereid.pose.cache import HeatmapCache

TOOL = Path(__file__).resolve().parents[1] / 'tools' / 'precompute_heatmaps.py'


def load_tool():
    spec = importlib.util.spec_from_file_location('precompute_heatmaps', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = load_tool()


def test_images_glob_builds_a_cache_whose_recorded_command_rebuilds_it(synthetic_world, tmp_path,
                                                                       capsys):
    pattern = str(synthetic_world / 'cuhk01' / 'campus' / '*.png')
    out = tmp_path / 'cache'
    argv = ['--images', pattern, '--out', str(out), '--heatmap-size', '20', '10',
            '--batch-size', '4', '--no-progress']
    assert tool.main(argv) == 0
    cache = HeatmapCache(out)
    assert len(cache) == len(list((synthetic_world / 'cuhk01' / 'campus').glob('*.png')))
    assert cache.heatmap_size == (20, 10)
    assert cache.pose['type'] == 'ground_truth'
    command = shlex.split(cache.command)
    assert command[:2] == ['python', 'tools/precompute_heatmaps.py']
    manifest_before = (out / 'manifest.json').read_bytes()
    (out / 'manifest.json').unlink()
    (out / 'heatmaps.npy').unlink()
    assert tool.main(command[2:] + ['--no-progress']) == 0
    assert (out / 'manifest.json').read_bytes() == manifest_before
    capsys.readouterr()
    assert tool.main(['--out', str(out), '--verify']) == 0
    assert f'OK, {len(cache)} images' in capsys.readouterr().out


def test_shards_then_merge_then_verify(synthetic_world, tmp_path, capsys):
    common = ['--images', str(synthetic_world / 'market' / '*' / '*.jpg'), '--out', str(tmp_path),
              '--no-progress']
    assert tool.main(common + ['--shard', '1/2']) == 0
    assert 'once every shard is, run' in capsys.readouterr().out
    assert tool.main(['--out', str(tmp_path), '--merge']) == 1
    assert 'shards of' in capsys.readouterr().err and not (tmp_path / 'manifest.json').exists()
    assert tool.main(common + ['--shard', '0/2']) == 0
    assert tool.main(['--out', str(tmp_path), '--merge']) == 0
    assert tool.main(['--out', str(tmp_path), '--verify']) == 0
    manifest = json.loads((tmp_path / 'manifest.json').read_text())
    assert len(manifest['images']) == len(list((synthetic_world / 'market').glob('*/*.jpg')))


def test_bad_input_gives_a_one_line_error(synthetic_world, tmp_path, capsys):
    assert tool.main(['--images', str(tmp_path / '*.jpg'), '--out', str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith('error: --images')
    assert tool.main(['--out', str(tmp_path / 'none'), '--verify']) == 1
    assert 'no heatmap cache at' in capsys.readouterr().err
    for bad in (['--shard', '2/2'], []):
        with pytest.raises(SystemExit):
            tool.parse_args(['--images', 'x', '--out', str(tmp_path)] + bad if bad else
                            ['--out', str(tmp_path)])


def test_dataset_by_name_covers_train_query_and_gallery(synthetic_world, tmp_path):
    from posereid.datasets import build_source
    source = build_source('synthetic_market', root=synthetic_world / 'market')
    assert tool.main(['--dataset', 'synthetic_market', '--root', str(synthetic_world / 'market'),
                      '--out', str(tmp_path), '--no-progress']) == 0
    cache = HeatmapCache(tmp_path)
    paths = {r.img_path for split in (source.train, source.query, source.gallery) for r in split}
    assert len(cache) == len(paths)
    cache.check_images(paths)
    assert '--dataset synthetic_market --root' in cache.command


def test_a_config_gets_exactly_its_sources_caches_and_a_stale_one_names_the_command(
        synthetic_world, tmp_path, capsys):
    from posereid import engine
    from posereid.engine.cli import exit_on_user_error
    from posereid.pose.cache import StaleCacheError

    data = tmp_path / 'data'
    data.mkdir()
    (data / 'synthetic').symlink_to(synthetic_world)
    config = str(Path(__file__).resolve().parents[1] / 'configs' / 'spindle_synthetic.py')
    options = ['data_root=' + str(data), 'heatmap_root=' + str(tmp_path / 'heatmaps')]
    argv = ['--config', config, '--pose', 'ground_truth', '--no-progress', '--cfg-options',
            *options]
    assert tool.main(argv) == 0
    # train, validation and test read the market domain: one cache, of all its images
    assert sorted(p.name for p in (tmp_path / 'heatmaps').iterdir()) == ['synthetic_market']
    cache = HeatmapCache(tmp_path / 'heatmaps' / 'synthetic_market')
    assert len(cache) == len(list((synthetic_world / 'market').glob('*/*.jpg'))) - len(
        list((synthetic_world / 'market').glob('*/-1_*.jpg')))      # junk is no source image
    assert shlex.split(cache.command)[2:4] == ['--config', config]
    # a run that finds a cache missing fails naming it; the tool adds the command that builds
    # all of its config's caches
    cfg_options = dict(option.split('=', 1) for option in options)
    cfg_options['heatmap_root'] = str(tmp_path / 'none')
    with pytest.raises(StaleCacheError, match=r'no heatmap cache at .*none'):
        engine.train(config, work_dir=tmp_path / 'run', cfg_options=cfg_options)
    with pytest.raises(SystemExit), exit_on_user_error(config, cfg_options):
        engine.train(config, work_dir=tmp_path / 'run', cfg_options=cfg_options)
    assert re.search(r'precompute_heatmaps.py --config .*spindle_synth.* --cfg-options '
                     r'.*heatmap_root=.*none', capsys.readouterr().err)


def test_cache_folders_are_per_source_variant():
    from posereid.datasets.sources import source_cache_name

    names = {source_cache_name(source) for source in (
        dict(name='cuhk03', labeled=True), dict(name='cuhk03', labeled=False),
        dict(name='cuhk03', labeled=True, classic_split=True), 'cuhk03',
        dict(name='cuhk01', split_id=3), 'cuhk01', dict(name='folder', root='/data/shop_a'))}
    assert names == {'cuhk03_labeled', 'cuhk03_detected', 'cuhk03_labeled_classic', 'cuhk01',
                     'folder_shop_a'}
