import csv
import json
import sys

import numpy as np
import pytest
import torch

from common import TINY_MODELS, tiny_options

from experiments import ablation
from posereid.engine import study
from posereid.engine.study import Variant, variant_config
from posereid.engine.tester import read_checkpoint

SOURCES = ('synthetic_market', 'synthetic_cuhk01')   # the small world's domains
TINY_SPINDLE = dict(input_size=TINY_MODELS['SpindleFusion']['input_size'], head_dim=16,
                    branch=TINY_MODELS['SpindleFusion']['spindle'])


def dotted(prefix: str, options: dict) -> dict:
    """``{'a': {'b': 1}}`` → ``{'prefix.a.b': 1}``, so that it merges with other dotted keys."""
    flat = {}
    for key, value in options.items():
        if isinstance(value, dict):
            flat.update(dotted(f'{prefix}.{key}', value))
        else:
            flat[f'{prefix}.{key}'] = value
    return flat


def tiny_variants(names) -> dict:
    """The shipped variants with the tiny models of ``common.TINY_MODELS``."""
    tiny = {'SiameseND': TINY_MODELS['SiameseND'], 'Spindle': TINY_SPINDLE}
    variants = {}
    for name in names:
        variant = ablation.VARIANTS[name]
        model = tiny.get(name, TINY_MODELS['SpindleFusion'])
        variants[name] = Variant(variant.config,
                                 {**dotted('model', model), **variant.cfg_options})
    return variants


def shared_options(world, max_epochs=1) -> dict:
    options = tiny_options(world, max_epochs=max_epochs)
    del options['model']
    return options


def test_variants_differ_only_in_what_they_ablate():
    shared = ablation.shared_options({'train_cfg.max_epochs': 3}, train_source='synthetic_duke')
    configs = {name: variant_config(variant, shared)
               for name, variant in ablation.VARIANTS.items()}
    assert {c.model.type for c in configs.values()} == {'SiameseND', 'SpindleNet', 'SpindleFusion'}
    for name, cfg in configs.items():
        assert cfg.train_cfg == configs['SpindleFusion'].train_cfg and cfg.train_cfg.max_epochs == 3
        assert cfg.optim_wrapper == configs['SpindleFusion'].optim_wrapper
        assert cfg.custom_hooks == configs['SpindleFusion'].custom_hooks
        assert cfg.train_dataloader.dataset.source == 'synthetic_duke'
        assert cfg.val_dataloader.dataset.source == 'synthetic_duke'
        cache = cfg.train_dataloader.dataset.heatmap_cache
        assert (cache is None) == (name == 'SiameseND')
        assert cache is None or cache.endswith('synthetic_duke')
        ratio = cfg.train_dataloader.sampler.hard_negative_ratio
        assert (ratio == 0) == (name == 'SpindleFusion-noHNM')
    matching = {name: cfg.model.siamese.matching for name, cfg in configs.items()
                if cfg.model.type == 'SpindleFusion'}
    assert matching == {'SpindleFusion': 'both', 'SpindleFusion-noHNM': 'both',
                        'SpindleFusion-ND': 'nd', 'SpindleFusion-NCC': 'ncc'}
    with pytest.raises(ValueError, match='SpindleFusion-NCC'):
        ablation.select_variants(['SpindleFusion-XYZ'])


def fake_runs(rng, variants, seeds=(0, 1, 2)) -> dict:
    """Runs whose test results hold random values where the study's metrics are read."""
    return {v: {s: {'results': {src: {'two_stage': {'rank1': float(rng.random()),
                                                    'mAP': float(rng.random())},
                                      'pairs': {'accuracy': float(rng.random())}}
                                for src in SOURCES}} for s in seeds} for v in variants}


def test_summary_statistics_and_fusion_verdict():
    rng = np.random.default_rng(0)
    runs = fake_runs(rng, ['SiameseND', 'Spindle', 'SpindleFusion'])
    rows = study.summarize(runs)
    assert [(r['variant'], r['test_set']) for r in rows] == [
        (v, s) for v in ('SiameseND', 'Spindle', 'SpindleFusion') for s in SOURCES]
    for row in rows:
        values = [runs[row['variant']][s]['results'][row['test_set']]['two_stage']['mAP']
                  for s in range(3)]
        assert row['mAP_mean'] == pytest.approx(np.mean(values))
        assert row['mAP_std'] == pytest.approx(np.std(values, ddof=1))
        assert row['num_seeds'] == 3 and row['seeds'] == '0 1 2'

    table = study.format_table(rows, {'mAP': 'mAP'})
    assert table.count(' ± ') == len(rows)
    one_seed = study.summarize({'SiameseND': {0: runs['SiameseND'][0]}})
    assert '± ' not in study.format_table(one_seed, {'mAP': 'mAP'})
    assert '(one run)' in study.format_table(one_seed, {'mAP': 'mAP'})

    def set_in_domain(variant, value, mAP=None):
        for record in runs[variant].values():
            result = record['results']['synthetic_market']
            result['two_stage'] = {'rank1': value, 'mAP': value if mAP is None else mAP}

    set_in_domain('SpindleFusion', 0.9)
    set_in_domain('SiameseND', 0.5)
    set_in_domain('Spindle', 0.6)
    verdict = ablation.fusion_verdict(study.summarize(runs), 'synthetic_market')
    assert verdict['beats_both'] is True and verdict['sentence'].startswith('SpindleFusion beats')
    assert 'rank-1 90.0% vs SiameseND 50.0%, Spindle 60.0%' in verdict['sentence']
    set_in_domain('Spindle', 0.6, mAP=0.95)           # one single branch wins on one metric
    verdict = ablation.fusion_verdict(study.summarize(runs), 'synthetic_market')
    assert verdict['beats_both'] is False and 'does not beat' in verdict['sentence']
    del runs['Spindle']
    verdict = ablation.fusion_verdict(study.summarize(runs), 'synthetic_market')
    assert verdict['beats_both'] is None and "['Spindle']" in verdict['sentence']


@pytest.mark.slow
def test_ablation_trains_tests_aggregates_and_reuses_runs(world, tmp_path, monkeypatch):
    variants = tiny_variants(['SiameseND', 'SpindleFusion-NCC'])
    out = tmp_path / 'ablation'
    report = ablation.run_ablation(out, seeds=(0, 1), variants=variants,
                                   test_sources=SOURCES, cfg_options=shared_options(world))
    for name in variants:
        for seed in (0, 1):
            work_dir = out / name / f'seed{seed}'
            results = report['runs'][name][seed]['results']
            assert set(results) == set(SOURCES)
            for source in SOURCES:
                tested = json.loads((work_dir / 'test' / source / 'results.json').read_text())
                assert tested == {source: results[source]}
            assert report['runs'][name][seed]['checkpoint'].endswith('epoch_1.pth')
    weights = {seed: read_checkpoint(report['runs']['SpindleFusion-NCC'][seed]['checkpoint'])
               ['state_dict'] for seed in (0, 1)}
    assert 'siamese.ncc_summary.weight' in weights[0]                  # the NCC variant
    assert 'siamese.neighborhood_difference.weight' not in weights[0]
    assert not torch.equal(weights[0]['head.0.weight'], weights[1]['head.0.weight'])  # seeds

    saved = json.loads((out / 'ablation.json').read_text())
    assert saved['summary'] == report['summary'] and len(report['summary']) == 4
    for row in report['summary']:
        values = [report['runs'][row['variant']][s]['results'][row['test_set']]['two_stage']
                  ['rank1'] for s in (0, 1)]
        assert row['rank1_mean'] == pytest.approx(np.mean(values))
    rows = list(csv.DictReader((out / 'ablation.csv').open()))
    assert [(r['variant'], r['test_set']) for r in rows] == [
        (r['variant'], r['test_set']) for r in report['summary']]
    markdown = (out / 'ablation.md').read_text()
    assert report['markdown'] in markdown and report['fusion_verdict']['sentence'] in markdown
    assert report['fusion_verdict']['beats_both'] is None     # Spindle and SpindleFusion absent

    # a second call reuses every finished run and its test results
    def must_not_run(*args, **kwargs):
        raise AssertionError('a finished run was redone')
    monkeypatch.setattr(study, 'train', must_not_run)
    monkeypatch.setattr(study, 'test', must_not_run)
    again = ablation.run_ablation(out, seeds=(0, 1), variants=variants, test_sources=SOURCES,
                                  cfg_options=shared_options(world))
    assert again['summary'] == report['summary']
    run_file = out / 'SiameseND' / 'seed1' / study.RUN_FILE
    run_file.write_text('{')
    with pytest.raises(ValueError, match=str(run_file)):
        ablation.run_ablation(out, seeds=(1,), variants=variants, test_sources=SOURCES,
                              cfg_options=shared_options(world))


@pytest.mark.slow
def test_a_larger_budget_continues_a_run_and_a_smaller_one_retrains(world, tmp_path,
                                                  monkeypatch):
    variants = tiny_variants(['SiameseND'])
    out = tmp_path / 'ablation'
    ablation.run_ablation(out, seeds=(0,), variants=variants, test_sources=SOURCES[:1],
                          cfg_options=shared_options(world, max_epochs=1))
    calls = []
    train = study.train
    monkeypatch.setattr(study, 'train', lambda *a, **kw: calls.append(kw) or train(*a, **kw))
    report = ablation.run_ablation(out, seeds=(0,), variants=variants, test_sources=SOURCES[:1],
                                   cfg_options=shared_options(world, max_epochs=2))
    assert [kw['resume'] for kw in calls] == [True]
    assert report['runs']['SiameseND'][0]['checkpoint'].endswith('epoch_2.pth')
    report = ablation.run_ablation(out, seeds=(0,), variants=variants, test_sources=SOURCES[:1],
                                   cfg_options=shared_options(world, max_epochs=1))
    assert [kw['resume'] for kw in calls] == [True, False]     # a smaller budget: retrained
    assert report['runs']['SiameseND'][0]['train_seconds'] > 0


def test_tool_parses_its_arguments(monkeypatch, capsys):
    seen = {}

    def fake_run_ablation(out, **kwargs):
        seen.update(kwargs, out=out)
        return {'markdown': '| table |', 'fusion_verdict': {'sentence': 'verdict.'},
                'files': {'md': f'{out}/ablation.md'}}
    monkeypatch.setattr(ablation, 'run_ablation', fake_run_ablation)
    monkeypatch.setattr(sys, 'argv', [
        'ablation.py', '--out', 'somewhere', '--seeds', '3', '4', '--variants', 'Spindle',
        'SpindleFusion-ND', '--no-results', '--cfg-options', 'train_cfg.max_epochs=2',
        'heatmap_root=h'])
    ablation.main()
    assert seen == {'out': 'somewhere', 'seeds': [3, 4],
                    'variants': ['Spindle', 'SpindleFusion-ND'],
                    'cfg_options': {'train_cfg.max_epochs': 2, 'heatmap_root': 'h'}}
    assert capsys.readouterr().out.startswith('| table |\n\nverdict.')
    monkeypatch.setattr(sys, 'argv', ['ablation.py', '--variants', 'Nope'])
    with pytest.raises(SystemExit):
        ablation.main()
