"""Evaluate a trained model on one or more datasets: what ``tools/test.py CONFIG CKPT`` does.

For each dataset (query + gallery of its test split):

* ranking by embedding distance, and two-stage ranking (:mod:`posereid.retrieval.two_stage`):
  rank-1/5/10, mAP and mINP under the dataset's protocol, and the pair passes spent;
* pair verification on the dataset's test pairs (``ReIDSource.pair_protocol``): the positive
  (query, gallery) pairs of different cameras (at most 1000) and as many random negative
  pairs, or every positive pair of the test images and one random negative each: accuracy,
  confusion matrix and ROC AUC;
* pictures: ranked lists of sampled queries, the four galleries of true/false
  positive/negative pairs, and the CMC curves of both rankings.

Results go to ``<out_dir>/results.json`` (atomically) and are returned.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from posereid.evaluation import (PAIR_PROTOCOLS, RANKS, RankAccumulator,
                                 balanced_verification_pairs, compute_distance_matrix,
                                 evaluate_pairs, sample_verification_pairs, summarize)
from posereid.evaluation.rerank import k_reciprocal_rerank_blocks, rerank_memory_bytes
from posereid.registry import MODELS
from posereid.utils.checkpoint import load_checkpoint_safely, load_weights, state_dict_of
from posereid.utils.image_io import read_image
from posereid.utils.io import atomic_save_json, atomic_write
from posereid.visualization.curves import draw_cmc_curves
from posereid.visualization.png import save_png
from posereid.visualization.pair_gallery import draw_pair_gallery, pair_outcome_indices
from posereid.visualization.ranked_list import draw_ranked_lists

from .features import ExtractedFeatures, extract_features
from posereid.retrieval.two_stage import (PAIR_BATCH_SIZE, streamed_rank_metrics, two_stage_rows,
                        verification_log_odds)
from .config import default_heatmap_cache, load_config, select_device, source_name
from .work_dir import resolve_checkpoint


def read_checkpoint(path: str | os.PathLike) -> dict:
    """A checkpoint (weights and mmengine metadata) loaded on the CPU with weights_only."""
    return load_checkpoint_safely(path, map_location='cpu')


def load_model(cfg: Config, checkpoint: str | os.PathLike, device: str | None = None,
               which: str = 'last', allow_partial: bool = False) -> torch.nn.Module:
    """Build ``cfg.model``, load the weights of ``checkpoint`` (a file, or the ``which``
    checkpoint of a work dir: :func:`resolve_checkpoint`) and move it to ``device`` (default:
    the config's ``device``, else a GPU if there is one). A counted ``num_classes`` is read
    from the checkpoint's classifier. A
    checkpoint that lacks some of the model's weights, or has others, is refused naming them
    (:func:`~posereid.utils.checkpoint.load_weights`) unless ``allow_partial``."""
    path = resolve_checkpoint(checkpoint, cfg.filename or 'CONFIG', which)
    state = state_dict_of(read_checkpoint(path), path)
    model_cfg = cfg.model.copy()
    if model_cfg.get('num_classes') is None and 'classifier.weight' in state:
        model_cfg['num_classes'] = state['classifier.weight'].shape[0]
    model = MODELS.build(model_cfg)
    load_weights(model, state, path, allow_partial)
    return model.to(select_device(device or cfg.get('device'))).eval()


def build_test_dataloader(cfg: Config, dataset_name: str | None = None):
    """The config's ``test_dataloader`` on the test split of ``dataset_name`` (default: the
    config's own test dataset), in order, with that dataset's heatmap cache if the config
    uses heatmaps."""
    loader = copy.deepcopy(cfg.test_dataloader.to_dict())
    dataset = loader['dataset']
    if dataset_name is not None and dataset_name != source_name(dataset['source']):
        dataset['source'] = dataset_name
        if dataset.get('heatmap_cache'):
            dataset['heatmap_cache'] = default_heatmap_cache(cfg, dataset_name)
    dataset['split'] = 'test'
    loader['sampler'] = dict(type='DefaultSampler', shuffle=False)
    loader.pop('persistent_workers', None)
    with DefaultScope.overwrite_default_scope('posereid'):
        return Runner.build_dataloader(loader, seed=0)


def evaluate_dataset(model, cfg: Config, dataset_name: str | None = None, top_k: int = 100,
                     out_dir: str | os.PathLike | None = None, num_ranked_lists: int = 8,
                     batch_size: int = PAIR_BATCH_SIZE, rerank: bool = False) -> dict:
    """All metrics of ``model`` on one dataset (see the module doc); pictures in ``out_dir``.

    Each image goes through the network once (embeddings and pair features from one pass);
    rankings are computed a block of queries at a time, so memory grows with the gallery,
    not with query × gallery. With ``rerank`` the embedding ranking is also k-reciprocally
    re-ranked (:func:`~posereid.evaluation.rerank.k_reciprocal_rerank_blocks`, its memory
    estimate printed first), reported as ``'rerank'``.
    """
    loader = build_test_dataloader(cfg, dataset_name)
    features = extract_features(model, loader, pair_features=True)
    query, gallery = features.select('query'), features.select('gallery')
    protocol = loader.dataset.source.protocol
    rankings = streamed_rank_metrics(model, query, gallery, protocol, top_k, batch_size)
    pair_protocol = loader.dataset.source.pair_protocol
    first, second, (a_index, b_index, labels) = verification_pairs(pair_protocol, features,
                                                                    query, gallery)
    scores = torch.sigmoid(verification_log_odds(
        model, first.pair_features, second.pair_features, torch.from_numpy(a_index),
        torch.from_numpy(b_index), batch_size)).numpy()
    pairs = evaluate_pairs(scores, labels)
    if rerank:
        rankings['rerank'] = reranked_metrics(query, gallery, protocol)
    result = {
        'dataset': loader.dataset.source.name, 'protocol': protocol,
        'num_query': len(query.pids), 'num_gallery': len(gallery.pids),
        'num_identities': int(len(np.unique(query.pids))),
        'embedding': rankings['embedding'],
        'two_stage': dict(rankings['two_stage'], top_k=min(top_k, len(gallery.pids)),
                          num_pair_passes=rankings['num_pair_passes'],
                          all_pairs_passes=len(query.pids) * len(gallery.pids)),
        'pairs': {'protocol': pair_protocol, 'num_pairs': len(labels),
                  'num_positive': int(labels.sum()), 'num_negative': int((labels == 0).sum()),
                  'accuracy': pairs['accuracy'], 'auc': pairs['auc'],
                  'confusion_matrix': pairs['confusion_matrix'].tolist()},
    }
    if rerank:
        result['rerank'] = rankings['rerank']
    if out_dir is not None:
        out_dir = Path(out_dir)
        save_ranked_lists(out_dir / 'ranked_lists.png', model, query, gallery, top_k,
                          batch_size, num_ranked_lists)
        save_pair_galleries(out_dir, first, second, a_index, b_index, labels, scores)
        with atomic_write(out_dir / 'cmc.png', 'wb') as f:
            f.write(draw_cmc_curves({'embedding': result['embedding']['cmc'],
                                     f'two-stage (K={result["two_stage"]["top_k"]})':
                                     result['two_stage']['cmc']}, title=result['dataset']))
    return result


def verification_pairs(protocol: str, features: ExtractedFeatures, query: ExtractedFeatures,
                       gallery: ExtractedFeatures) -> tuple:
    """The test pairs of a pair ``protocol`` (:data:`~posereid.evaluation.PAIR_PROTOCOLS`):
    ``'balanced_all_pairs'`` pairs all the test images (query and gallery together),
    ``'cross_camera_sample'`` pairs queries with gallery images.

    Returns:
        ``(first images, second images, (first index, second index, labels))``.
    """
    if protocol == 'balanced_all_pairs':
        return features, features, balanced_verification_pairs(features.pids)
    if protocol == 'cross_camera_sample':
        return query, gallery, sample_verification_pairs(query.pids, query.camids,
                                                         gallery.pids, gallery.camids)
    raise ValueError(f'unknown pair protocol {protocol!r}; known: {", ".join(PAIR_PROTOCOLS)}')


def reranked_metrics(query: ExtractedFeatures, gallery: ExtractedFeatures, protocol: str) -> dict:
    """Rank metrics of the k-reciprocally re-ranked embedding distances, fed to a
    :class:`~posereid.evaluation.RankAccumulator` a block of queries at a time."""
    print(f're-ranking {len(query.pids)} queries x {len(gallery.pids)} gallery images: about '
          f'{rerank_memory_bytes(len(query.pids), len(gallery.pids)) / 2 ** 30:.1f} GiB',
          flush=True)
    ranking = RankAccumulator(gallery.pids, gallery.camids, max(20, *RANKS), protocol)
    for rows, distances in k_reciprocal_rerank_blocks(query.embeddings, gallery.embeddings):
        ranking.add(distances, query.pids[rows], query.camids[rows])
    return summarize(ranking.result())


def save_ranked_lists(path: Path, model, query: ExtractedFeatures, gallery: ExtractedFeatures,
                      top_k: int, batch_size: int = PAIR_BATCH_SIZE, num_queries: int = 8,
                      top: int = 10) -> None:
    """Two-stage ranked lists of ``num_queries`` evenly spaced queries, same-camera matches
    left out as in the evaluation."""
    picked = np.linspace(0, len(query.pids) - 1, min(num_queries, len(query.pids))).astype(int)
    shown = query.subset(picked)
    distmat = two_stage_rows(model, compute_distance_matrix(shown.embeddings,
                                                            gallery.embeddings).float(),
                             shown.pair_features, gallery.pair_features, top_k, batch_size)
    queries, ranked, matches, labels = [], [], [], []
    for row, q in enumerate(picked):
        order = torch.argsort(distmat[row], stable=True).numpy()
        junk = (gallery.pids[order] == query.pids[q]) & (gallery.camids[order] == query.camids[q])
        order = order[~junk][:top]
        queries.append(read_image(query.img_paths[q]))
        ranked.append([read_image(gallery.img_paths[g]) for g in order])
        matches.append(list(gallery.pids[order] == query.pids[q]))
        labels.append(f'{query.pids[q]}')
    save_png(draw_ranked_lists(queries, ranked, matches, row_labels=labels), path)


def save_pair_galleries(out_dir: Path, query: ExtractedFeatures, gallery: ExtractedFeatures,
                        q_index, g_index, labels, scores, per_outcome: int = 8) -> None:
    """``<outcome>_pairs.png`` for true/false positives/negatives (skipped when empty)."""
    for outcome, index in pair_outcome_indices(labels, scores, per_outcome=per_outcome).items():
        if len(index):
            pairs = [(read_image(query.img_paths[q_index[i]]),
                      read_image(gallery.img_paths[g_index[i]])) for i in index]
            save_png(draw_pair_gallery(pairs, [float(scores[i]) for i in index]),
                     out_dir / f'{outcome}_pairs.png')


def format_results_table(results: dict) -> str:
    """Markdown table of :func:`test` results: per dataset, the embedding and the two-stage
    ranking, and the pair metrics."""
    lines = ['| dataset | ranking | query × gallery | rank-1 | rank-5 | rank-10 | mAP | mINP '
             '| pair passes | pair acc. | AUC |', '|' + '---|' * 11]
    for name, r in results.items():
        rankings = (('embedding', r['embedding'], 0),
                    *((('embedding, re-ranked', r['rerank'], 0),) if 'rerank' in r else ()),
                    (f'two-stage (K={r["two_stage"]["top_k"]})', r['two_stage'],
                     r['two_stage']['num_pair_passes']))
        for label, m, passes in rankings:
            lines.append(
                f'| {name} | {label} | {r["num_query"]} × {r["num_gallery"]} | '
                f'{m["rank1"]:.1%} | {m["rank5"]:.1%} | {m["rank10"]:.1%} | {m["mAP"]:.1%} | '
                f'{m["mINP"]:.1%} | {passes} | {r["pairs"]["accuracy"]:.1%} | '
                f'{r["pairs"]["auc"]:.3f} |')
    return '\n'.join(lines)


def test(config, checkpoint, datasets: list[str] | None = None,
         out_dir: str | os.PathLike | None = None, top_k: int | None = None,
         cfg_options: dict | None = None, device: str | None = None,
         pictures: bool = True, which: str = 'last', rerank: bool = False) -> dict:
    """Evaluate ``checkpoint`` (a file, or the ``which`` checkpoint of a work dir: ``'last'``
    unless told ``'best'``) of ``config`` on ``datasets`` (names; default: the config's test
    dataset).

    Returns:
        ``{dataset name: result}`` (see :func:`evaluate_dataset`, plus the ``checkpoint`` file
        evaluated), also written to ``<out_dir>/results.json``; ``out_dir`` defaults to
        ``<work_dir>/test``.
    """
    cfg = load_config(config, cfg_options)
    checkpoint = resolve_checkpoint(checkpoint, cfg.filename or 'CONFIG', which)
    model = load_model(cfg, checkpoint, device)
    retrieval = cfg.get('retrieval') or {}
    top_k = top_k or retrieval.get('top_k', 100)
    if out_dir is None:
        out_dir = Path(cfg.get('work_dir') or Path('work_dirs') / Path(cfg.filename).stem) / 'test'
    out_dir = Path(out_dir)
    results = {}
    for name in datasets or [source_name(cfg.test_dataloader.dataset.source)]:
        results[name] = evaluate_dataset(
            model, cfg, name, top_k, out_dir / name if pictures else None,
            batch_size=retrieval.get('batch_size', PAIR_BATCH_SIZE), rerank=rerank)
        results[name]['checkpoint'] = str(checkpoint)
    atomic_save_json(results, out_dir / 'results.json')
    return results
