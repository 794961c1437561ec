"""The exported embedding network under onnxruntime against the same network in PyTorch, on
the CPU, in one run: images per second.

    python benchmarks/bench_export.py [--json PATH] [--config C] [--batch 32] [--repeats 7]
                                      [--threads 2]

Default model: ``configs/spindle_fusion_synthetic.py`` (the demo's SpindleFusion, 128×64 crops,
heatmaps as input) with freshly initialised weights (speed does not depend on them), exported
by :func:`posereid.apis.export.export_onnx` into a temporary folder. Both run ``--batch`` random
crops per call with ``--threads`` intra-op threads; medians of ``--repeats`` calls after a
warm-up call.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from posereid.apis import init_predictor
from posereid.apis.export import check_onnx, example_inputs, export_onnx
from posereid.engine import load_config
from posereid.registry import MODELS
from machine import describe_machine
from posereid.utils import atomic_save_json


def median_s(function, repeats: int) -> float:
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--json', help='write the figures to this JSON file')
    parser.add_argument('--config', default='configs/spindle_fusion_synthetic.py')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    import onnxruntime as ort

    torch.set_num_threads(args.threads)
    machine = describe_machine()
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        checkpoint = Path(tmp) / 'model.pth'
        torch.save({'state_dict': MODELS.build(load_config(args.config).model).state_dict()},
                   checkpoint)
        predictor = init_predictor(args.config, checkpoint, 'cpu')
        model = predictor.model
        files = export_onnx(predictor, tmp)
        differences = check_onnx(predictor, files)
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        session = ort.InferenceSession(str(files['embedding']), options,
                                       providers=['CPUExecutionProvider'])
        inputs = example_inputs(predictor, args.batch)
        feeds = {i.name: x.numpy() for i, x in zip(session.get_inputs(), inputs)}

        @torch.no_grad()
        def pytorch():
            feats = model.extract_pair_features(*inputs)
            return model.ranking_embedding(feats['embedding'])

        torch_s = median_s(pytorch, args.repeats)
        onnx_s = median_s(lambda: session.run(None, feeds), args.repeats)
    figures = dict(machine=machine, config=args.config, batch=args.batch, threads=args.threads,
                   pytorch_images_per_s=args.batch / torch_s,
                   onnxruntime_images_per_s=args.batch / onnx_s, speedup=torch_s / onnx_s,
                   **differences)
    for key, value in figures.items():
        print(f'  {key:<28} {value:.4g}' if isinstance(value, float) else f'  {key:<28} {value}')
    if args.json:
        atomic_save_json(figures, args.json)


if __name__ == '__main__':
    main()
