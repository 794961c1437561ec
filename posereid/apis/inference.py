"""Run a trained model on your own images: features, pair scores, gallery search.

A :class:`~posereid.apis.predictor.Predictor` (:func:`~posereid.apis.predictor.init_predictor`)
holds the model, its test pipeline and its pose backend. Images are paths, a folder, or
``(H, W, 3)`` uint8 RGB arrays, with no labels. Heatmaps are computed on the fly by the pose
backend, a batch at a time, and the crops go through the test pipeline — the same resize and
normalisation as ``tools/test.py``. ``search`` is ``tools/test.py``'s two-stage ranking: the
embedding shortlist (through faiss for a large gallery,
:class:`~posereid.retrieval.index.EmbeddingIndex`), re-scored by the pair head.

    predictor = init_predictor('configs/spindle_fusion_synthetic.py',
                               'work_dirs/spindle_fusion_synthetic')
    query = extract(predictor, ['a.jpg', 'b.jpg'])      # query.embeddings: (2, D), unit norm
    same = compare(predictor, ['a.jpg'], ['c.jpg'])      # probability of the same person
    result = search(predictor, 'query/', 'gallery/', topk=10)
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
from tqdm import tqdm

from posereid.datasets import reid_collate
from posereid.datasets.folder import IMAGE_EXTENSIONS
from posereid.retrieval.index import EmbeddingIndex
from posereid.retrieval.two_stage import PAIR_BATCH_SIZE, shortlist_log_odds, verification_log_odds
from posereid.pose.predict import predict_images
from posereid.utils.image_io import BadImageError, read_image

from .predictor import Predictor

#: Crops smaller than this (either side, pixels) are refused: no pose or re-id is possible.
MIN_CROP = 8

ImageInput = str | os.PathLike | np.ndarray


@dataclass
class ImageFeatures:
    """What :func:`extract` computes for each image that could be read.

    Attributes:
        ranking: ``(N, D)`` float32 embeddings as ranking uses them (before normalisation).
        keypoints, scores: ``(N, 14, 2)`` (crop pixels) and ``(N, 14)``: the pose that was used
            (zeros for a model without pose).
        names: the path of each image, or ``'array <i>'``.
        skipped: ``(name, reason)`` of each image that could not be read (with ``skip_bad``).
        pair_features: the model's per-image pair features (CPU tensors), for the pair head.
        embeddings: ``(N, D)`` float32 numpy, the ranking embeddings L2-normalised.
    """

    ranking: torch.Tensor
    keypoints: np.ndarray
    scores: np.ndarray
    names: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    pair_features: dict[str, torch.Tensor] = field(default_factory=dict)

    @functools.cached_property
    def embeddings(self) -> np.ndarray:
        return torch.nn.functional.normalize(self.ranking, dim=1).numpy()

    def __len__(self) -> int:
        return len(self.names)

    def rows(self, index: np.ndarray) -> ImageFeatures:
        """The features of the images ``index`` ``(K,)`` (an index array), in that order."""
        rows = torch.as_tensor(np.asarray(index, np.int64))
        return ImageFeatures(self.ranking[rows], self.keypoints[index], self.scores[index],
                             [self.names[i] for i in index],
                             pair_features={k: v[rows] for k, v in self.pair_features.items()})


@dataclass
class SearchResult:
    """The ``topk`` gallery items of each query, best first.

    Attributes:
        indices: ``(Q, k)`` int64 rows of the gallery.
        scores: ``(Q, k)`` same-person probabilities of the re-scored shortlist (NaN past it).
        distances: ``(Q, k)`` embedding distances.
        query, gallery: the :class:`ImageFeatures` of both sides.
    """

    indices: np.ndarray
    scores: np.ndarray
    distances: np.ndarray
    query: ImageFeatures
    gallery: ImageFeatures


def image_list(images: ImageInput | Iterable[ImageInput]) -> list[ImageInput]:
    """Paths, a folder (its image files, sorted, sub-folders included) or arrays as a list."""
    if isinstance(images, np.ndarray) and images.ndim == 3:
        return [images]
    if isinstance(images, (str, os.PathLike)):
        path = Path(images)
        if path.is_dir():
            files = sorted(p for p in path.rglob('*') if p.suffix.lower() in IMAGE_EXTENSIONS)
            if not files:
                raise ValueError(f'{path} holds no image files ({", ".join(IMAGE_EXTENSIONS)})')
            return [str(p) for p in files]
        return [str(path)]
    images = list(images)
    if not images:
        raise ValueError('no images given')
    return images


def load_rgb(image: ImageInput, name: str) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB of a path or an array (grey → RGB, RGBA → RGB), or
    :class:`~posereid.utils.image_io.BadImageError` naming it."""
    if isinstance(image, (str, os.PathLike)):
        rgb = read_image(str(image))
    else:
        rgb = np.asarray(image)
        if rgb.ndim == 2:
            rgb = np.repeat(rgb[..., None], 3, axis=2)
        elif rgb.ndim == 3 and rgb.shape[2] == 4:
            rgb = rgb[..., :3]
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise BadImageError(f'{name}: expected an (H, W, 3) uint8 RGB array, got '
                                f'{rgb.dtype} {rgb.shape}')
    if min(rgb.shape[:2]) < MIN_CROP:
        raise BadImageError(f'{name}: a {rgb.shape[0]}x{rgb.shape[1]} crop is too small (at '
                            f'least {MIN_CROP} pixels each side)')
    return np.ascontiguousarray(rgb)


@torch.no_grad()
def extract(predictor: Predictor, images: ImageInput | Iterable[ImageInput], batch_size: int = 32,
            skip_bad: bool = False, progress: bool = False) -> ImageFeatures:
    """Features of unlabelled images (see the module doc).

    Args:
        predictor: the model, its pipeline and pose backend.
        images: paths, a folder, one array or a list of ``(H, W, 3)`` uint8 RGB arrays.
        batch_size: images per pose and network batch.
        skip_bad: skip an unreadable or unusable image (named in ``skipped``) instead of
            raising :class:`~posereid.utils.image_io.BadImageError`.
        progress: a tqdm bar over the images.
    Returns:
        :class:`ImageFeatures`.
    """
    items = image_list(images)
    names = [str(item) if isinstance(item, (str, os.PathLike)) else f'array {i}'
             for i, item in enumerate(items)]
    parts: dict[str, list] = {'ranking': [], 'keypoints': [], 'scores': [], 'names': []}
    pair_parts: list[dict] = []
    skipped = []
    with tqdm(total=len(items), unit='img', disable=not progress, desc='features') as bar:
        for start in range(0, len(items), batch_size):
            crops, kept = [], []
            for item, name in zip(items[start:start + batch_size],
                                  names[start:start + batch_size]):
                try:
                    crops.append(load_rgb(item, name))
                    kept.append(name)
                except BadImageError as error:
                    if not skip_bad:
                        raise
                    skipped.append((name, str(error)))
            if crops:
                ranking, feats, keypoints, scores = _forward(predictor, crops, kept)
                parts['ranking'].append(ranking)
                pair_parts.append(feats)
                parts['keypoints'].append(keypoints)
                parts['scores'].append(scores)
                parts['names'] += kept
            bar.update(min(batch_size, len(items) - start))
    if not parts['names']:
        raise BadImageError('none of the images could be read: ' +
                            '; '.join(reason for _, reason in skipped[:3]))
    return ImageFeatures(
        ranking=torch.cat(parts['ranking']),
        keypoints=np.concatenate(parts['keypoints']), scores=np.concatenate(parts['scores']),
        names=parts['names'], skipped=skipped,
        pair_features={k: torch.cat([p[k] for p in pair_parts]) for k in pair_parts[0]})


def _forward(predictor: Predictor, crops: list[np.ndarray], names: list[str]):
    """Ranking embeddings, pair features, keypoints and scores of one batch of RGB crops."""
    results = [dict(img=crop, pid=-1, camid=-1, split='query', img_path=name)
               for crop, name in zip(crops, names)]
    keypoints = np.zeros((len(crops), 14, 2), np.float32)
    scores = np.zeros((len(crops), 14), np.float32)
    if predictor.pose is not None:
        heatmaps, keypoints, scores = predict_images(predictor.pose, crops,
                                                     predictor.heatmap_size)
        for result, maps in zip(results, heatmaps):
            result['heatmaps'] = np.asarray(maps, np.float32)
    for transform in predictor.pipeline:
        results = [transform(result) for result in results]
    model = predictor.model
    data = model.data_preprocessor(reid_collate(results), False)
    feats = model.extract_pair_features(data['imgs'], data.get('heatmaps'))
    ranking = model.ranking_embedding(feats['embedding']).float().cpu()
    return (ranking, {k: v.cpu() for k, v in feats.items()}, np.asarray(keypoints, np.float32),
            np.asarray(scores, np.float32))


def _features(predictor: Predictor, images, batch_size: int) -> ImageFeatures:
    return images if isinstance(images, ImageFeatures) else extract(predictor, images,
                                                                    batch_size)


def compare(predictor: Predictor, a: ImageInput | Sequence[ImageInput] | ImageFeatures,
            b: ImageInput | Sequence[ImageInput] | ImageFeatures,
            batch_size: int = 32) -> np.ndarray:
    """The pair head's same-person probability of each pair ``(a[i], b[i])``: ``(P,)``."""
    a, b = _features(predictor, a, batch_size), _features(predictor, b, batch_size)
    if len(a) != len(b):
        raise ValueError(f'compare needs as many images on each side; got {len(a)} and {len(b)}')
    index = torch.arange(len(a))
    return torch.sigmoid(verification_log_odds(predictor.model, a.pair_features,
                                               b.pair_features, index, index,
                                               PAIR_BATCH_SIZE)).numpy()


def search(predictor: Predictor, query, gallery, topk: int = 10, rescore: int = 100,
           batch_size: int = 32, index_kind: str = 'auto') -> SearchResult:
    """``tools/test.py``'s two-stage ranking of a gallery for each query: the ``rescore``
    nearest by embedding distance, ordered by the pair head's probability, ahead of the rest
    in embedding order (module doc). ``query`` and ``gallery`` are images (as :func:`extract`
    takes them) or :class:`ImageFeatures`; ``index_kind`` as :class:`EmbeddingIndex`'s."""
    query = _features(predictor, query, batch_size)
    gallery = _features(predictor, gallery, batch_size)
    if topk < 1 or rescore < 0:
        raise ValueError(f'need topk >= 1 and rescore >= 0; got {topk} and {rescore}')
    index = EmbeddingIndex(gallery.ranking, 'euclidean', index_kind)
    distances, nearest = index.search(query.ranking, max(topk, rescore))
    shortlist = min(rescore, nearest.shape[1])
    log_odds = shortlist_log_odds(predictor.model, query.pair_features, gallery.pair_features,
                                  torch.from_numpy(nearest[:, :shortlist])).numpy()
    # the shortlist by descending log-odds (ties: gallery order), then the embedding order
    order = np.lexsort((nearest[:, :shortlist], -log_odds), axis=1)
    rows = np.arange(len(query))[:, None]
    indices = np.concatenate([nearest[rows, order], nearest[:, shortlist:]], axis=1)[:, :topk]
    scores = np.full(indices.shape, np.nan, np.float32)
    scores[:, :min(topk, shortlist)] = torch.sigmoid(
        torch.from_numpy(log_odds[rows, order][:, :topk])).numpy()
    distances = np.concatenate([distances[rows, order], distances[:, shortlist:]], axis=1)
    return SearchResult(indices, scores, distances[:, :topk], query, gallery)
