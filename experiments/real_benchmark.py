"""The real-data benchmark: CUHK03 labeled camera pair 1 in the talk's split, and VIPeR.

    python experiments/real_benchmark.py [--rows headline|all] [--budget cpu|gpu]
        [--seeds 0 1 2] [--cuhk03 ../shared/realdata/cuhk03_seed]
        [--viper ../shared/realdata/viper] [--out work_dirs/real_benchmark]
        [--results docs/results] [--device cpu|cuda]
    python experiments/real_benchmark.py --viper-splits [...]   # VIPeR 10 x 316/316
    python experiments/real_benchmark.py --recipe r50 --device cuda [...]  # ResNet-50 fusion

The talk "Person Re-Identification" (M. Kolla) trains a Siamese neighborhood-difference network
on the pairs of 743 CUHK03 identities (camera pair 1) and reports pair accuracy on 100
validation identities. Here every model is trained on those 743 identities from scratch (no
ImageNet weights, no pose checkpoint: pose comes from MediaPipe BlazePose) and its last
checkpoint is tested on

* the 100 validation identities, camera 1 querying camera 2 and the other way round
  (single-gallery-shot): rank-1/5/10 and mAP of the two-stage ranking, and the pair accuracy
  and confusion matrix of the talk's balanced pair set (every positive pair, one random
  negative each);
* all 632 VIPeR identities as a cross-dataset test.

Rows (:data:`ROWS`): SiameseND (the talk's network), Spindle, SpindleFusion with ND, NCC and
ND + NCC matching, each with and without hard-negative mining, and the pose control: Spindle
and SpindleFusion (ND) trained and tested with no pose (every region at its fixed box). The
budgets (:data:`BUDGETS`) are the settings that fit a 2-core CPU and a GPU. The study
(:mod:`posereid.engine.study`) resumes where it stopped; after every run the table is written
to ``<out>/real_benchmark.{md,csv,json}`` and the results file
``<results>/real_benchmark.{json,md}`` (the committed one, with the commit and command that
made it). Pictures (seed 0 of every row): ranked lists, the four pair galleries and the CMC of
camera 1 → 2, the confusion matrices, BlazePose heatmaps on real crops.
"""
from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

if __package__ in (None, ''):   # run as a script: its siblings are importable as experiments.*
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posereid.engine.cli import add_cfg_options, exit_on_user_error, precompute_command
from posereid.engine.config import DEVICES, default_heatmap_cache
from posereid.datasets import build_source
from posereid.engine.heatmaps import build_cache_for_source, source_images, source_records
from posereid.engine.study import (Variant, format_table, mean_std, run_study, variant_config,
                                   write_report)
from posereid.models.region_pooling import boxes_from_heatmaps
from posereid.pose.cache import HeatmapCache, StaleCacheError
from posereid.pose.keypoints import facing
from posereid.pose.regions import REGION_NAMES, overlap_with_fixed_boxes
from posereid.utils.io import atomic_save_json, atomic_write
from posereid.utils.machine import cpu_model
from posereid.visualization.heatmaps import visualize_heatmaps
from posereid.visualization.matrix import draw_matrix_heatmap

from experiments.results_page import DOCS, write_results_page

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / 'shared' / 'realdata'
CONFIGS = {'SiameseND': REPO / 'configs/siamese_nd/siamese_nd_cuhk03_pair1.py',
           'Spindle': REPO / 'configs/spindle/spindle_cuhk03_pair1.py',
           'SpindleFusion': REPO / 'configs/spindle_fusion/spindle_fusion_cuhk03_pair1.py',
           'SpindleFusion-R50': REPO / 'configs/spindle_fusion/spindle_fusion_r50_cuhk03_pair1.py'}
MATCHING = {'SpindleFusion-ND': 'nd', 'SpindleFusion-NCC': 'ncc', 'SpindleFusion-ND+NCC': 'both'}
#: Rows of the table. ``headline``: the talk's network, the pose branch and the fusion (ND),
#: with hard-negative mining; ``all``: every model with and without mining, and the no-pose
#: control of the two pose models.
ROWS = {'headline': ['SiameseND', 'Spindle', 'SpindleFusion-ND'],
        'all': ['SiameseND', 'Spindle', *MATCHING,
                *(f'{name} no-mining' for name in ('SiameseND', 'Spindle', *MATCHING)),
                'Spindle no-pose', 'SpindleFusion-ND no-pose']}
#: cfg_options of every row: the CPU budget fits 3 seeds of the headline rows in about an
#: hour and a half on 2 cores (README); the GPU budget is 4 times its pairs, in larger batches,
#: sized to fit the 3 seeds of the headline rows in a few minutes of a lent GPU.
BUDGETS = {
    'cpu': {'train_cfg.max_epochs': 2, 'train_dataloader.sampler.max_positive_pairs_per_id': 10,
            'optim_wrapper.optimizer.lr': 1e-3, 'param_scheduler.0.milestones': [10],
            'custom_hooks.1.start_epoch': 1, 'custom_hooks.1.interval': 1,
            'retrieval.top_k': 20, 'train_dataloader.num_workers': 1},
    'gpu': {'train_cfg.max_epochs': 8, 'train_dataloader.sampler.max_positive_pairs_per_id': 20,
            'train_dataloader.batch_size': 128, 'optim_wrapper.optimizer.lr': 1e-3,
            'param_scheduler.0.milestones': [6], 'custom_hooks.1.start_epoch': 4,
            'custom_hooks.1.interval': 2, 'retrieval.top_k': 100,
            'train_dataloader.num_workers': 5},
}
#: What VIPeR's splits train on top of a budget: 316 identities give 316 positive pairs an
#: epoch, so many more epochs.
VIPER_EPOCHS = {'cpu': 20, 'gpu': 60}
#: The ResNet-50 fusion recipe's budget (GPU, mixed precision): a few epochs.
R50_BUDGET = {'train_cfg.max_epochs': 4, 'param_scheduler.0.end': 1,
              'param_scheduler.1.milestones': [3], 'retrieval.top_k': 100}
#: reported metric → where it is in a test result (the confusion matrix: rows true different /
#: same, columns predicted different / same).
METRICS = {'pair_accuracy': ('pairs', 'accuracy'), 'rank1': ('two_stage', 'rank1'),
           'rank5': ('two_stage', 'rank5'), 'rank10': ('two_stage', 'rank10'),
           'mAP': ('two_stage', 'mAP'), 'embedding_rank1': ('embedding', 'rank1'),
           'different_as_different': ('pairs', 'confusion_matrix', 0, 0),
           'different_as_same': ('pairs', 'confusion_matrix', 0, 1),
           'same_as_different': ('pairs', 'confusion_matrix', 1, 0),
           'same_as_same': ('pairs', 'confusion_matrix', 1, 1)}
COLUMNS = {'pair_accuracy': 'pair accuracy', 'rank1': 'rank-1', 'rank5': 'rank-5',
           'rank10': 'rank-10', 'mAP': 'mAP', 'embedding_rank1': 'rank-1 (embedding only)'}
NO_POSE_ROOT = 'work_dirs/heatmaps_no_pose'


def row_variant(row: str) -> Variant:
    """The config and options of a row of :data:`ROWS`."""
    name, _, flags = row.partition(' ')
    options = {}
    if name in MATCHING:
        options['model.siamese.matching'] = MATCHING[name]
        name = 'SpindleFusion'
    if 'no-mining' in flags:
        options['train_dataloader.sampler.hard_negative_ratio'] = 0.0
    if 'no-pose' in flags:
        options.update({'pose': dict(_delete_=True, type='no_pose'),
                        'heatmap_root': NO_POSE_ROOT})
    return Variant(CONFIGS[name], options)


def select_rows(names: list[str]) -> list[str]:
    """Rows by preset (:data:`ROWS`) or by name, in the order given, each once."""
    rows = []
    for name in names:
        if name not in ROWS and name not in ROWS['all']:
            raise ValueError(f'unknown row {name!r}: give {" or ".join(ROWS)}, or rows of '
                             f'{", ".join(ROWS["all"])}')
        rows += [row for row in ROWS.get(name, [name]) if row not in rows]
    return rows


def test_sets(cuhk03: Path, viper: Path) -> dict[str, dict]:
    return {'CUHK03 cam1→cam2': dict(name='cuhk03_pair1', root=str(cuhk03), split_id=0),
            'CUHK03 cam2→cam1': dict(name='cuhk03_pair1', root=str(cuhk03), split_id=1),
            'VIPeR all 632': dict(name='viper', root=str(viper), num_train_ids=0, split_id=0)}


def data_options(cuhk03: Path) -> dict:
    """Where the training source and the config's own test source find CUHK03."""
    return {'train_dataloader.dataset.source.root': str(cuhk03),
            'test_dataloader.dataset.source.root': str(cuhk03)}


def viper_split_variants(variants: dict[str, Variant], out_dir: Path,
                         cuhk03_epochs: int) -> dict[str, Variant]:
    """Each row trained on VIPeR from scratch, and fine-tuned from its CUHK03 model of seed 0
    (Ahmed et al.'s recipe)."""
    out = {}
    for row, variant in variants.items():
        out[f'{row} from scratch'] = variant
        checkpoint = out_dir / row / 'seed0' / f'epoch_{cuhk03_epochs}.pth'
        out[f'{row} fine-tuned'] = Variant(variant.config,
                                           {**variant.cfg_options, 'load_from': str(checkpoint)})
    return out


def viper_split(viper: Path):
    """seed → the cfg_options that train and test on VIPeR's split ``2 seed`` (camera A
    querying camera B; 10 seeds, 10 random 316/316 splits)."""
    def options(seed: int) -> dict:
        source = dict(_delete_=True, name='viper', root=str(viper), split_id=2 * seed)
        return {'train_dataloader.dataset.source': source,
                'test_dataloader.dataset.source': source}
    return options


def build_caches(variants: dict[str, Variant], shared: dict, sources: dict[str, dict]) -> dict:
    """Every heatmap cache the rows read (their pose model on every image of each source),
    built where none serves the source's images yet; returns ``{cache folder: what the pose
    gave its crops}`` (:func:`pose_on_crops`)."""
    pose = {}
    for variant in variants.values():
        cfg = variant_config(variant, shared)
        if not cfg.train_dataloader.dataset.get('heatmap_cache'):
            continue
        for source in sources.values():
            cache_dir = default_heatmap_cache(cfg, source)
            if cache_dir in pose:
                continue
            if not serves(cache_dir, source):
                build_cache_for_source(source['name'], source['root'], dict(cfg.pose),
                                       cache_dir, heatmap_size=tuple(cfg.heatmap_size),
                                       command=precompute_command(
                                           variant.config, {**shared, **variant.cfg_options}))
            pose[cache_dir] = pose_on_crops(cache_dir, tuple(cfg.image_size), source)
    return pose


def pose_on_crops(cache_dir: str, image_size: tuple[int, int], source: dict,
                  chunk: int = 1024) -> dict:
    """What the pose gave a cache's crops: the share with a person found; for each Spindle
    region the mean IoU of the box the pose places with the fixed box the no-pose control uses
    (1: the pose moved nothing; :func:`posereid.pose.regions.overlap_with_fixed_boxes`); and,
    of the identities of ``source`` whose facing the pose tells in both cameras, the share
    facing opposite ways in the two (their left-limb regions lie on opposite image sides)."""
    cache = HeatmapCache(cache_dir)
    arrays = cache.arrays()
    overlaps = [overlap_with_fixed_boxes(boxes_from_heatmaps(torch.from_numpy(np.asarray(
        arrays['heatmaps'][start:start + chunk], np.float32)), image_size), image_size)
        for start in range(0, len(arrays['heatmaps']), chunk)]
    ways = facing(np.asarray(arrays['keypoints']), np.asarray(arrays['scores']))
    facings: dict = {}
    for record in source_records(build_source(**source)):
        way = ways[cache.row(record.img_path)]
        if way:
            facings.setdefault(record.pid, {}).setdefault(record.camid, []).append(way)
    both = [cams for cams in facings.values() if len(cams) == 2]
    opposite = sum(len({np.mean(ways) > 0 for ways in cams.values()}) == 2 for cams in both)
    return {'person_found': float((arrays['scores'].max(axis=1) > 0).mean()),
            'region_iou_with_fixed_box': dict(zip(REGION_NAMES,
                                                  torch.cat(overlaps).mean(dim=0).tolist())),
            'identities_facing_known_in_both_cameras': len(both),
            'facing_opposite_ways': opposite / len(both) if both else None}


def serves(cache_dir: str, source: dict) -> bool:
    """Whether a cache exists that holds every image of ``source`` as it is on disk (e.g. one
    built elsewhere, or for the same images under another folder)."""
    try:
        HeatmapCache(cache_dir).check_images(source_images(build_source(**source)))
    except StaleCacheError:
        return False
    return True


def git_commit() -> str:
    """HEAD, and whether the code differs from it (the results pages the experiments write are
    outputs, not code)."""
    run = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no', '--', '.',
                            ':!docs/results', ':!docs/results.md'], cwd=REPO,
                           capture_output=True, text=True).stdout.strip()
    return run.stdout.strip() + (' (with uncommitted changes)' if dirty else '')


def results_file(report: dict, meta: dict) -> dict:
    """What ``<results>/real_benchmark.json`` holds: for each row and test set the mean and std
    over seeds of every metric, and ``num_seeds``."""
    table: dict = {}
    for r in report['summary']:
        cell = {'num_seeds': r['num_seeds']}
        cell.update({m: {'mean': r[f'{m}_mean'], 'std': r[f'{m}_std']} for m in METRICS})
        table.setdefault(r['variant'], {})[r['test_set']] = cell
    seconds = {name: {'train_s': float(np.mean([run['train_seconds'] for run in by_seed.values()])),
                      'test_s': float(np.mean([run['test_seconds'] for run in by_seed.values()]))}
               for name, by_seed in report['runs'].items() if by_seed}
    return {**meta, 'seeds': report['seeds'], 'rows': table, 'seconds_per_run': seconds}


def markdown(report: dict, meta: dict) -> str:
    """The table and how it was made, for ``real_benchmark.md``."""
    confusion = ['| row | test set | different → different | different → same | same → '
                 'different | same → same |', '|---|---|---:|---:|---:|---:|']
    for r in report['summary']:
        confusion.append(f'| {r["variant"]} | {r["test_set"]} | ' + ' | '.join(
            mean_std(r[f'{m}_mean'], r[f'{m}_std'], r['num_seeds'], digits=0) for m in
            ('different_as_different', 'different_as_same', 'same_as_different',
             'same_as_same')) + ' |')
    pose = ['| heatmap cache | person found | ' + ' | '.join(REGION_NAMES)
            + ' | identities facing opposite ways in the two cameras |',
            '|---|---:|' + '---:|' * (len(REGION_NAMES) + 1)]
    for cache, crops in meta['pose'].items():
        opposite = crops['facing_opposite_ways']
        pose.append(f'| `{cache}` | {crops["person_found"]:.1%} | ' + ' | '.join(
            f'{iou:.2f}' for iou in crops['region_iou_with_fixed_box'].values())
            + (f' | {opposite:.0%} of {crops["identities_facing_known_in_both_cameras"]} |'
               if opposite is not None else ' | |'))
    return (f'# Real-data benchmark ({meta["budget"]} budget)\n\n'
            f'Made by `{meta["command"]}` at commit {meta["commit"]} on {meta["processor"]} '
            f'({meta["device"]}); mean ± sample std over seeds {report["seeds"]} in percent, '
            f'the last checkpoint of every run, from scratch.'
            + (f' Seed s trains and tests VIPeR\'s random split s (camera A querying camera B): '
               f'{len(report["seeds"])} of the 10 splits; the fine-tuned rows start from the '
               f'CUHK03 model of seed 0.' if meta.get('viper_splits') else '')
            + (' The runs were made by several processes, each running some of them, and '
               'gathered with `--finished-only`.' if meta['gathered_from_finished_runs'] else '')
            + '\n\n'
            f'{format_table(report["summary"], COLUMNS)}\n\n'
            f'Pair confusion matrices (the talk\'s balanced pair set; counts, mean ± std):\n\n'
            + '\n'.join(confusion) + '\n\nPose on the crops: the share with a person found; '
            'how far the pose moves each region from the fixed box of the no-pose control (mean '
            'IoU with it; 1: not moved); and how often it sees a person facing the camera in one '
            'camera and away in the other (the left-limb regions then lie on opposite image '
            'sides):\n\n' + '\n'.join(pose) + '\n')


def save_pictures(report: dict, out_dir: Path, cuhk03: Path, viper: Path,
                  pose_caches: dict) -> None:
    """The confusion matrix of every row (mean over seeds, each true class's share) and
    BlazePose's heatmaps on real crops; the ranked lists and pair galleries are the test's."""
    for r in report['summary']:
        counts = np.array([[r['different_as_different_mean'], r['different_as_same_mean']],
                           [r['same_as_different_mean'], r['same_as_same_mean']]])
        png = draw_matrix_heatmap(counts / counts.sum(axis=1, keepdims=True),
                                  ['true different', 'true same'],
                                  ['predicted different', 'predicted same'],
                                  title=f'{r["variant"]}, {r["test_set"]}')
        name = f'{r["variant"]}_{r["test_set"]}'.replace(' ', '_').replace('→', 'to')
        with atomic_write(out_dir / 'pictures' / f'confusion_{name}.png', 'wb') as f:
            f.write(png)
    for label, images in (('cuhk03', sorted((cuhk03 / 'labeled' / 'val').glob('*.jpg'))[:60:10]),
                          ('viper', sorted(viper.glob('**/cam_a/*.*'))[:60:10])):
        cache = next((c for c in pose_caches
                      if Path(c).name.startswith(label) and NO_POSE_ROOT not in c), None)
        if images and cache:
            visualize_heatmaps([str(p) for p in images],
                               out_dir / 'pictures' / f'heatmaps_{label}.png', cache_dir=cache)


def run(args: argparse.Namespace) -> dict:
    cuhk03, viper, out_dir = Path(args.cuhk03), Path(args.viper), Path(args.out)
    budget = R50_BUDGET if args.recipe == 'r50' else BUDGETS[args.budget]
    shared = {**budget, **data_options(cuhk03), **args.cfg_options}
    rows = ['SpindleFusion-R50'] if args.recipe == 'r50' else select_rows(args.rows)
    variants = {row: row_variant(row) for row in rows}
    sources = test_sets(cuhk03, viper)
    seed_options = None
    if args.viper_splits:
        variants = viper_split_variants(variants, out_dir, shared['train_cfg.max_epochs'])
        shared = {**shared, 'train_cfg.max_epochs': VIPER_EPOCHS[args.budget],
                  **args.cfg_options}
        sources = {'VIPeR 316 (its split)': None}
        seed_options = viper_split(viper)
        out_dir = out_dir / 'viper_splits'
    pose = build_caches(variants, shared, test_sets(cuhk03, viper))
    # the command that makes these runs; --finished-only only gathers them
    argv = [arg for arg in sys.argv[1:] if arg != '--finished-only']
    meta = {'command': shlex.join(['python', 'experiments/real_benchmark.py', *argv]),
            'gathered_from_finished_runs': args.finished_only,
            'commit': git_commit(), 'processor': cpu_model(),
            'device': args.device or 'default', 'budget': args.recipe or args.budget,
            'shared_options': shared, 'pose': pose, 'viper_splits': args.viper_splits}
    name = 'real_benchmark' + ('_viper_splits' if args.viper_splits else '') + (
        f'_{args.recipe}' if args.recipe else '')

    def write(report: dict) -> None:
        text = markdown(report, meta)
        write_report(out_dir, name, report, text)
        if args.results:
            results = Path(args.results)
            atomic_save_json(results_file(report, meta), results / f'{name}.json')
            with atomic_write(results / f'{name}.md', encoding='utf-8') as f:
                f.write(text)
            if (DOCS / 'results').resolve() in (results.resolve(), *results.resolve().parents):
                write_results_page()

    start = time.perf_counter()
    report = run_study(out_dir, variants, args.seeds, sources, shared, METRICS,
                       device=args.device, seed_options=seed_options,
                       pictures_seed=args.seeds[0], finished_only=args.finished_only,
                       on_run=write)
    write(report)
    save_pictures(report, out_dir, cuhk03, viper, pose)
    print(f'{time.perf_counter() - start:.0f} s')
    return report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 2)[2])
    parser.add_argument('--rows', nargs='+', default=['headline'], metavar='ROW',
                        help=f'{" or ".join(ROWS)}, or rows by name: {", ".join(ROWS["all"])}')
    parser.add_argument('--budget', choices=list(BUDGETS), default='cpu')
    parser.add_argument('--recipe', choices=['r50'], help='the ResNet-50 fusion recipe instead')
    parser.add_argument('--viper-splits', action='store_true',
                        help="VIPeR's 10 splits, from scratch and fine-tuned from seed 0")
    parser.add_argument('--seeds', nargs='+', type=int,
                        help='default: 0 1 2 (with --viper-splits: 0 .. 9, one split each)')
    parser.add_argument('--cuhk03', default=str(SHARED / 'cuhk03_seed'),
                        help='the folder that holds labeled/{train,val}/')
    parser.add_argument('--viper', default=str(SHARED / 'viper'),
                        help='the folder that holds VIPeR/cam_{a,b}/ (or cam_{a,b}/)')
    parser.add_argument('--out', default='work_dirs/real_benchmark')
    parser.add_argument('--results', help="where the results files go ('' for none; default "
                                          'docs/results, docs/results/gpu for the GPU budget '
                                          'and the ResNet-50 recipe)')
    parser.add_argument('--device', choices=DEVICES)
    parser.add_argument('--finished-only', action='store_true',
                        help='train and test nothing: report the runs already tested (e.g. by '
                             'several processes, each running some of the seeds)')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    args.seeds = args.seeds or list(range(10 if args.viper_splits else 3))
    if args.results is None:
        gpu = args.budget == 'gpu' or args.recipe is not None
        args.results = str(DOCS / 'results' / ('gpu' if gpu else ''))
    with exit_on_user_error():
        report = run(args)
    print(format_table(report['summary'], COLUMNS))


if __name__ == '__main__':
    main()
