"""ONNX export of a trained model: the embedding network and the pair verifier.

* ``embedding.onnx``: ``imgs (B, 3, H, W)`` normalised as the test pipeline does, and for a
  pose model ``heatmaps (B, 14, h, w)``, → ``embedding (B, D)`` (the ranking embedding, as
  ``tools/test.py`` ranks with) and the per-image pair features (``feat_<name>``).
* ``verifier.onnx``: the pair features of ``P`` pairs (``a_<name>``, ``b_<name>``; those the
  pair head does not read are left out of the graph) → ``probability (P,)`` of the same person
  (the pair head's ``sigmoid(z_same − z_different)``).

Both have a dynamic batch axis. The matching layers' fused autograd functions have no ONNX
form; while exporting, they run their definitions in standard operators instead (ND:
``conv2d(relu(neighborhood_difference(f, g)))``; NCC: :func:`correlate_windows`; the NCC
summary: its ``1 × 1`` convolution), the code that the fused layers are tested equal to.
:func:`check_onnx` compares onnxruntime with PyTorch.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from posereid.utils.io import atomic_write

from .predictor import Predictor

OPSET = 17


class EmbeddingNetwork(nn.Module):
    """``(imgs[, heatmaps])`` → ``(embedding, *pair features)`` of a re-id model."""

    def __init__(self, model: nn.Module, feature_names: list[str]):
        super().__init__()
        self.model, self.feature_names = model, feature_names

    def forward(self, imgs: Tensor, heatmaps: Tensor | None = None) -> tuple[Tensor, ...]:
        feats = self.model.extract_pair_features(imgs, heatmaps)
        return (self.model.ranking_embedding(feats['embedding']),
                *(feats[name] for name in self.feature_names))


class PairVerifier(nn.Module):
    """The pair features of ``P`` pairs, side a then side b → ``(P,)`` same-person probability."""

    def __init__(self, model: nn.Module, feature_names: list[str]):
        super().__init__()
        self.model, self.feature_names = model, feature_names

    def forward(self, *features: Tensor) -> Tensor:
        half = len(self.feature_names)
        logits = self.model.verify(dict(zip(self.feature_names, features[:half])),
                                   dict(zip(self.feature_names, features[half:])))
        return torch.sigmoid(logits[:, 1] - logits[:, 0])


def example_inputs(predictor: Predictor, batch: int = 2,
                   generator: torch.Generator | None = None) -> tuple[Tensor, ...]:
    """Random ``imgs`` (and ``heatmaps``) of the predictor's input size, drawn on the CPU from
    ``generator`` (default: a fresh one seeded 0), never from torch's global one, and moved to
    the predictor's device."""
    generator = generator or torch.Generator().manual_seed(0)
    inputs = [torch.randn(batch, 3, *predictor.input_size, generator=generator)]
    if predictor.uses_heatmaps:
        inputs.append(torch.rand(batch, 14, *predictor.heatmap_size, generator=generator))
    return tuple(x.to(predictor.device) for x in inputs)


def export_onnx(predictor: Predictor, out_dir: str | os.PathLike,
                opset: int = OPSET) -> dict[str, Path]:
    """Write ``embedding.onnx`` and ``verifier.onnx`` of the predictor's model into
    ``out_dir``, atomically."""
    out_dir = Path(out_dir)
    model = predictor.model
    inputs = example_inputs(predictor)
    with torch.no_grad():
        feats = model.extract_pair_features(*inputs)
    names = sorted(feats)
    embedding = EmbeddingNetwork(model, names).eval()
    verifier = PairVerifier(model, names).eval()
    batch = {0: 'batch'}
    input_names = ['imgs', 'heatmaps'][:len(inputs)]
    files = {'embedding': out_dir / 'embedding.onnx', 'verifier': out_dir / 'verifier.onnx'}
    pair_inputs = tuple(feats[n] for n in names) * 2
    exports = (
        (embedding, inputs, input_names, ['embedding', *(f'feat_{n}' for n in names)]),
        (verifier, pair_inputs, [f'{side}_{n}' for side in 'ab' for n in names],
         ['probability']))
    for (network, args, inputs_named, outputs_named), path in zip(exports, files.values()):
        with atomic_write(path, 'wb') as f, warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)       # the TorchScript exporter
            warnings.simplefilter('ignore', torch.jit.TracerWarning)
            warnings.filterwarnings('ignore', 'Constant folding')    # strided slices stay
            torch.onnx.export(network, args, f, dynamo=False, opset_version=opset,
                              input_names=inputs_named, output_names=outputs_named,
                              dynamic_axes={name: batch for name in inputs_named + outputs_named})
    return files


def check_onnx(predictor: Predictor, files: dict[str, Path], batch_sizes=(1, 16),
               seed: int = 0) -> dict:
    """Largest absolute difference between onnxruntime and PyTorch, on the embedding and on
    the pair probability, at each batch size: ``{'embedding_max_abs_diff': ...,
    'probability_max_abs_diff': ...}`` (the maximum over the batch sizes)."""
    import onnxruntime as ort

    sessions = {kind: ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
                for kind, path in files.items()}
    generator = torch.Generator().manual_seed(seed)
    worst = {'embedding_max_abs_diff': 0.0, 'probability_max_abs_diff': 0.0}
    model = predictor.model
    for batch in batch_sizes:
        inputs = example_inputs(predictor, batch, generator)
        with torch.no_grad():
            feats = model.extract_pair_features(*inputs)
            names = sorted(feats)
            expected = model.ranking_embedding(feats['embedding']).cpu().numpy()
            flipped = {k: v.flip(0) for k, v in feats.items()}        # pairs (i, B - 1 - i)
            logits = model.verify(feats, flipped)
            probability = torch.sigmoid(logits[:, 1] - logits[:, 0]).cpu().numpy()
        run = sessions['embedding'].run(None, dict(zip(
            [i.name for i in sessions['embedding'].get_inputs()],
            [x.cpu().numpy() for x in inputs])))
        onnx_feats = dict(zip(names, run[1:]))
        pairs = {**{f'a_{n}': onnx_feats[n] for n in names},
                 **{f'b_{n}': np.ascontiguousarray(onnx_feats[n][::-1]) for n in names}}
        used = {i.name for i in sessions['verifier'].get_inputs()}   # unused features dropped
        onnx_probability = sessions['verifier'].run(
            None, {name: value for name, value in pairs.items() if name in used})[0]
        worst['embedding_max_abs_diff'] = max(worst['embedding_max_abs_diff'],
                                              float(np.abs(run[0] - expected).max()))
        worst['probability_max_abs_diff'] = max(worst['probability_max_abs_diff'],
                                                float(np.abs(onnx_probability
                                                             - probability).max()))
    return worst
