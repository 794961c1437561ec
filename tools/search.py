"""Search a gallery folder for one query image or a folder of them: the two-stage ranking of
tools/test.py, as a ranked-list picture and a CSV.

    python tools/search.py QUERY_IMAGE_OR_FOLDER GALLERY_FOLDER --config C --checkpoint K
                           --out DIR [--topk 10] [--rescore 100] [--device cpu|cuda]

Writes DIR/search.csv (query, rank, gallery image, same-person probability of the pair head,
embedding distance) and DIR/ranked_lists.png (the first queries and their matches, green
where the pair head says "same"), atomically.
"""
from __future__ import annotations

import argparse

from posereid.apis import init_predictor, search
from posereid.apis.files import save_search
from posereid.engine.cli import exit_on_user_error
from posereid.engine.config import DEVICES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 2)[2])
    parser.add_argument('query', help='a query image or a folder of them')
    parser.add_argument('gallery', help='a folder of gallery images (searched recursively)')
    parser.add_argument('--config', required=True)
    parser.add_argument('--checkpoint', required=True, help='a .pth file or a work dir')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--topk', type=int, default=10)
    parser.add_argument('--rescore', type=int, default=100,
                        help='shortlist re-scored by the pair head')
    parser.add_argument('--device', choices=DEVICES)
    args = parser.parse_args()
    with exit_on_user_error():
        predictor = init_predictor(args.config, args.checkpoint, args.device)
        result = search(predictor, args.query, args.gallery, args.topk, args.rescore)
        files = save_search(result, args.out)
    print(f'{len(result.query)} queries against {len(result.gallery)} gallery images')
    print('\n'.join(f'{kind}: {path}' for kind, path in files.items()))


if __name__ == '__main__':
    main()
