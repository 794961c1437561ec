"""Run a re-id model over a dataloader once and keep what ranking needs: embeddings, the
cacheable per-image inputs of the verification head, identities, cameras and paths."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from mmengine.model import is_model_wrapper


@dataclass
class ExtractedFeatures:
    """Per-image outputs, in dataloader order, all on the CPU.

    Attributes:
        embeddings: ``(N, D)``.
        pair_features: ``extract_pair_features`` output, each ``(N, ...)``; empty if not asked.
        pids, camids: ``(N,)`` int64.
        splits, img_paths: ``N`` strings each.
    """

    embeddings: torch.Tensor
    pids: np.ndarray
    camids: np.ndarray
    splits: list[str]
    img_paths: list[str]
    pair_features: dict[str, torch.Tensor] = field(default_factory=dict)

    def select(self, split: str) -> 'ExtractedFeatures':
        """The images of one split (``'query'`` or ``'gallery'``)."""
        index = np.flatnonzero(np.asarray(self.splits) == split)
        if len(index) == 0:
            raise ValueError(f'no {split!r} images among the {len(self.splits)} extracted')
        return self.subset(index)

    def subset(self, index) -> 'ExtractedFeatures':
        """The images at the positions ``index`` (1-D integer array), in that order."""
        index = np.asarray(index, dtype=np.int64)
        rows = torch.from_numpy(index)
        return ExtractedFeatures(
            embeddings=self.embeddings[rows], pids=self.pids[index], camids=self.camids[index],
            splits=[self.splits[i] for i in index], img_paths=[self.img_paths[i] for i in index],
            pair_features={k: v[rows] for k, v in self.pair_features.items()})


def unwrap_model(model: torch.nn.Module) -> torch.nn.Module:
    """The model inside a DDP (or other mmengine) wrapper, else the model itself."""
    return model.module if is_model_wrapper(model) else model


@torch.no_grad()
def extract_features(model: torch.nn.Module, dataloader, pair_features: bool = False
                     ) -> ExtractedFeatures:
    """Embeddings (and, with ``pair_features``, verification features, from the same pass
    through the network) of every image.

    The batches are the ``reid_collate`` dicts; the model's data preprocessor moves them to its
    device. The model is put in eval mode and its previous mode restored afterwards.
    """
    model = unwrap_model(model)
    was_training = model.training
    model.eval()
    embeddings, pair_parts, pids, camids, splits, paths = [], [], [], [], [], []
    try:
        for batch in dataloader:
            data = model.data_preprocessor(batch, False)
            imgs, heatmaps = data['imgs'], data.get('heatmaps')
            if pair_features:      # one pass: the embedding is one of the pair features
                feats = model.extract_pair_features(imgs, heatmaps)
                embedding = model.ranking_embedding(feats['embedding'])
                pair_parts.append({k: v.cpu() for k, v in feats.items()})
            else:
                embedding = model.extract_embedding(imgs, heatmaps)
            embeddings.append(embedding.float().cpu())
            pids.append(torch.as_tensor(batch['pids']).cpu().numpy())
            camids.append(torch.as_tensor(batch['camids']).cpu().numpy())
            splits.extend(batch['splits'])
            paths.extend(batch['img_paths'])
    finally:
        model.train(was_training)
    if not embeddings:
        raise ValueError('the dataloader yielded no images to extract features from')
    return ExtractedFeatures(
        embeddings=torch.cat(embeddings), pids=np.concatenate(pids).astype(np.int64),
        camids=np.concatenate(camids).astype(np.int64), splits=splits, img_paths=paths,
        pair_features={k: torch.cat([p[k] for p in pair_parts]) for k in
                       (pair_parts[0] if pair_parts else {})})
