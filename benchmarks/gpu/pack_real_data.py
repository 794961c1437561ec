"""Pack the real benchmark's data for a machine that lacks it (a lent GPU machine, with a
transfer limit): CUHK03 camera pair 1 resized to the small models' 160x60 input, VIPeR as
JPEG, and each dataset's BlazePose poses as a keypoints file (keypoints scaled to the packed
images), from which the other machine renders the same heatmaps without MediaPipe.

    python benchmarks/gpu/pack_real_data.py --out PACK [--cuhk03 ../shared/realdata/cuhk03_seed]
        [--viper ../shared/realdata/viper] [--heatmaps work_dirs/heatmaps]

PACK then holds cuhk03_seed/labeled/..., viper/VIPeR/cam_{a,b}/... and
cuhk03_pair1_keypoints.npz, viper_keypoints.npz; on the other machine
``tools/precompute_heatmaps.py --dataset cuhk03_pair1 --root PACK/cuhk03_seed --pose
keypoints_file --keypoints PACK/cuhk03_pair1_keypoints.npz --out work_dirs/heatmaps/cuhk03_pair1``
(and the same for VIPeR) builds the caches. The images are research data under their datasets'
terms: pack them outside any repository's history.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from posereid.datasets import build_source
from posereid.pose.cache import HeatmapCache
from posereid.pose.keypoints_file import save_keypoints
from posereid.utils.image_io import read_image, write_jpeg

SHARED = Path(__file__).resolve().parents[3] / 'shared' / 'realdata'
#: dataset → (source name, packed size (H, W) or None to keep the size, JPEG quality)
DATASETS = {'cuhk03_seed': ('cuhk03_pair1', (160, 60), 90), 'viper': ('viper', None, 95)}


def pack(name: str, root: Path, cache_dir: Path, out: Path) -> int:
    """Write the images of dataset ``name`` under ``out/<root's name>`` and its keypoints
    file ``out/<source>_keypoints.npz``; return the number of images."""
    source_name, size, quality = DATASETS[name]
    source = build_source(source_name, root=root)
    cache = HeatmapCache(cache_dir)
    names, keypoints, scores = [], [], []
    for record in {r.img_path: r for split in (source.train, source.query, source.gallery)
                   for r in split}.values():
        path = Path(record.img_path)
        relative = path.relative_to(root).with_suffix('.jpg')
        image = read_image(str(path))
        if size is not None:
            image = np.asarray(Image.fromarray(image).resize(size[::-1], Image.BILINEAR))
        write_jpeg(out / name / relative, image, quality)
        _, joints, joint_scores = cache.lookup(path)
        with Image.open(path) as original:
            scale = np.array([image.shape[1], image.shape[0]]) / original.size
        names.append(relative.as_posix())
        keypoints.append(joints * scale)
        scores.append(joint_scores)
    save_keypoints(out / f'{source_name}_keypoints.npz', names, np.stack(keypoints),
                   np.stack(scores))
    return len(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', required=True, type=Path)
    parser.add_argument('--cuhk03', type=Path, default=SHARED / 'cuhk03_seed')
    parser.add_argument('--viper', type=Path, default=SHARED / 'viper')
    parser.add_argument('--heatmaps', type=Path, default=Path('work_dirs/heatmaps'))
    args = parser.parse_args()
    for name, root in (('cuhk03_seed', args.cuhk03), ('viper', args.viper)):
        count = pack(name, root, args.heatmaps / DATASETS[name][0], args.out)
        print(f'{name}: {count} images packed')


if __name__ == '__main__':
    main()
