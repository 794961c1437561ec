"""Features of a folder of crops (or image files): embeddings, file names, keypoints, written to
one .npz.

    python tools/extract_features.py FOLDER_OR_IMAGES... --config C --checkpoint K
                                     --out feats.npz [--batch-size 32] [--device cpu|cuda]

Pose is computed on the fly by the config's pose model (BlazePose when it names none). An
unreadable image is named and skipped, and counted at the end; the .npz is written
atomically, only when every readable image is done.
"""
from __future__ import annotations

import argparse

from posereid.apis import extract, init_predictor
from posereid.apis.files import save_features
from posereid.engine.cli import exit_on_user_error
from posereid.engine.config import DEVICES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 2)[2])
    parser.add_argument('images', nargs='+', help='a folder (searched recursively) or files')
    parser.add_argument('--config', required=True)
    parser.add_argument('--checkpoint', required=True, help='a .pth file or a work dir')
    parser.add_argument('--out', required=True, help='output .npz')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--device', choices=DEVICES)
    args = parser.parse_args()
    with exit_on_user_error():
        predictor = init_predictor(args.config, args.checkpoint, args.device)
        images = args.images[0] if len(args.images) == 1 else args.images
        features = extract(predictor, images, args.batch_size, skip_bad=True, progress=True)
        path = save_features(features, args.out)
    for name, reason in features.skipped:
        print(f'skipped: {reason}')
    print(f'{path}: {len(features)} images, embeddings {features.embeddings.shape[1]}-d'
          + (f'; {len(features.skipped)} skipped' if features.skipped else ''))


if __name__ == '__main__':
    main()
