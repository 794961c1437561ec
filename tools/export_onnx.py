"""Export a trained model to ONNX: the embedding network and the pair verifier.

    python tools/export_onnx.py CONFIG CHECKPOINT --out DIR [--opset 17] [--no-check]

Writes DIR/embedding.onnx (imgs [, heatmaps] -> embedding and the per-image pair features) and
DIR/verifier.onnx (the pair features of two sides -> same-person probability), both with a
dynamic batch axis, then runs them with onnxruntime at batch 1 and 16 against PyTorch and
prints the largest differences.
"""
from __future__ import annotations

import argparse

from posereid.apis import init_predictor
from posereid.apis.export import OPSET, check_onnx, export_onnx
from posereid.engine.cli import add_cfg_options, exit_on_user_error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 2)[2])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help='a .pth file or a work dir (its last checkpoint)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--opset', type=int, default=OPSET)
    parser.add_argument('--no-check', action='store_true', help='skip the onnxruntime check')
    add_cfg_options(parser)
    args = parser.parse_args()
    with exit_on_user_error():
        predictor = init_predictor(args.config, args.checkpoint, 'cpu', args.cfg_options)
        files = export_onnx(predictor, args.out, args.opset)
        print('\n'.join(f'{kind}: {path}' for kind, path in files.items()))
        if not args.no_check:
            for key, value in check_onnx(predictor, files).items():
                print(f'{key} (onnxruntime vs PyTorch, batch 1 and 16): {value:.2e}')


if __name__ == '__main__':
    main()
