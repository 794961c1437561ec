"""The heatmap cache: build, read, stale detection, resume after a kill, shards, verify."""
import os
import pickle
import random
from pathlib import Path

import numpy as np
import pytest

from posereid.pose.ground_truth import GroundTruthBackend
from posereid.pose import cache_build
from posereid.pose.cache import HeatmapCache, StaleCacheError, verify_cache
from posereid.pose.cache_build import merge_shards, precompute_heatmaps

SIZE = (16, 8)
COMMAND = 'python tools/precompute_heatmaps.py --dataset test'


@pytest.fixture()
def images(market):
    return sorted(str(p) for p in market.glob('*/*.jpg'))


class CountingBackend(GroundTruthBackend):
    """Ground truth that counts the images it is asked for and can die after ``fail_after``."""

    def __init__(self, root, fail_after=None, **kwargs):
        super().__init__(root, heatmap_size=SIZE, **kwargs)
        self.seen, self.fail_after = 0, fail_after

    def predict_files(self, paths):
        if self.fail_after is not None and self.seen + len(paths) > self.fail_after:
            raise KeyboardInterrupt('killed')
        self.seen += len(paths)
        return super().predict_files(paths)


def build(images, backend, out, **kwargs):
    kwargs = dict(heatmap_size=SIZE, batch_size=8, command=COMMAND, progress=False) | kwargs
    return precompute_heatmaps(images, backend, out, **kwargs)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_lookup_returns_each_images_pose_in_float16(market, images, tmp_path):
    backend = GroundTruthBackend(market, heatmap_size=SIZE)
    shuffled = random.Random(0).sample(images, len(images))
    result = build(shuffled + images[:3], backend, tmp_path / 'cache')  # order and repeats
    assert result == dict(cache_dir=str(tmp_path / 'cache'), num_images=len(images),
                          rows=[0, len(images)], complete=True)
    cache = HeatmapCache(tmp_path / 'cache')
    assert len(cache) == len(images) and cache.heatmap_size == SIZE
    for path in images[::7]:
        heatmaps, keypoints, scores = cache.lookup(path)
        expected = backend.predict_files([path])
        assert heatmaps.dtype == np.float16 and heatmaps.shape == (14, *SIZE)
        np.testing.assert_array_equal(heatmaps, expected.heatmaps[0].astype(np.float16))
        np.testing.assert_array_equal(keypoints, expected.keypoints[0])
        np.testing.assert_array_equal(scores, expected.scores[0])
    # rows are memory-mapped, and pickling (data-loader workers) does not copy them
    assert isinstance(cache.arrays()['heatmaps'], np.memmap)
    clone = pickle.loads(pickle.dumps(cache))
    assert len(pickle.dumps(cache)) < cache.arrays()['heatmaps'].nbytes
    np.testing.assert_array_equal(clone.lookup(images[5])[0], cache.lookup(images[5])[0])


def test_killed_build_resumes_without_redoing_work_to_identical_bytes(market, images, tmp_path):
    build(images, CountingBackend(market), tmp_path / 'whole')
    dying = CountingBackend(market, fail_after=20)
    with pytest.raises(KeyboardInterrupt):
        build(images, dying, tmp_path / 'resumed')
    assert dying.seen == 16  # two batches of 8 were done and recorded
    assert not (tmp_path / 'resumed' / 'manifest.json').exists()
    with pytest.raises(StaleCacheError, match='manifest.json missing'):
        HeatmapCache(tmp_path / 'resumed')
    finishing = CountingBackend(market)
    build(images, finishing, tmp_path / 'resumed')
    assert finishing.seen == len(images) - 16
    assert files(tmp_path / 'resumed') == files(tmp_path / 'whole')
    again = CountingBackend(market)
    build(images, again, tmp_path / 'resumed')  # complete: nothing to do
    assert again.seen == 0


def test_killed_before_the_manifest_finishes_without_recomputing(market, images, tmp_path,
                                                                monkeypatch):
    build(images, CountingBackend(market), tmp_path / 'whole')
    write_manifest = cache_build._write_manifest

    def killed(*args):
        raise KeyboardInterrupt('killed')
    monkeypatch.setattr(cache_build, '_write_manifest', killed)
    with pytest.raises(KeyboardInterrupt):
        build(images, CountingBackend(market), tmp_path / 'resumed')
    monkeypatch.setattr(cache_build, '_write_manifest', write_manifest)
    finishing = CountingBackend(market)
    build(images, finishing, tmp_path / 'resumed')
    assert finishing.seen == 0
    assert files(tmp_path / 'resumed') == files(tmp_path / 'whole')


def test_changed_inputs_rebuild_the_cache(market, images, tmp_path):
    build(images, CountingBackend(market), tmp_path)
    bigger = CountingBackend(market)
    bigger.heatmap_size = (32, 16)
    build(images, bigger, tmp_path, heatmap_size=(32, 16))
    assert bigger.seen == len(images)
    assert HeatmapCache(tmp_path).lookup(images[0])[0].shape == (14, 32, 16)


def test_stale_or_mismatched_cache_is_refused_with_the_rebuild_command(market, images, tmp_path):
    backend = GroundTruthBackend(market, heatmap_size=SIZE)
    build(images[:-1], backend, tmp_path)
    cache = HeatmapCache(tmp_path)
    cache.check_images(images[:-1], pose_identity=backend.identity(), heatmap_size=SIZE)
    with pytest.raises(StaleCacheError, match=f'{images[-1]} is not in it.*Rebuild it with: '
                                              f'{COMMAND}'):
        cache.check_images(images)
    with pytest.raises(StaleCacheError, match='built with pose model'):
        cache.check_images(images[:3], pose_identity={**backend.identity(), 'sigma': 3.0})
    with pytest.raises(StaleCacheError, match=r'heatmaps are \(16, 8\), not \(32, 16\)'):
        cache.check_images(images[:3], heatmap_size=(32, 16))
    stat = os.stat(images[2])
    os.utime(images[2], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    cache.check_images(images[:3])                    # touched, not changed: still good
    original = Path(images[2]).read_bytes()
    try:
        Path(images[2]).write_bytes(original + b'\0')
        with pytest.raises(StaleCacheError, match=f'{Path(images[2]).name} changed since'):
            cache.check_images(images[:3])
    finally:
        Path(images[2]).write_bytes(original)
    with pytest.raises(StaleCacheError, match='no heatmap cache at .*tools/precompute_heatmaps'):
        HeatmapCache(tmp_path / 'nowhere')


def test_a_cache_survives_moving_the_dataset_and_hashes_catch_a_same_size_change(
        market, images, tmp_path):
    import shutil

    backend = GroundTruthBackend(market, heatmap_size=SIZE)
    build(images, backend, tmp_path / 'cache', content_hash=True)
    copy = tmp_path / 'moved' / 'market'
    shutil.copytree(market, copy)                            # new mtimes, new absolute paths
    moved = [str(copy / Path(p).relative_to(market)) for p in images]
    cache = HeatmapCache(tmp_path / 'cache')
    cache.check_images(moved[::-1])
    np.testing.assert_array_equal(cache.lookup(moved[3])[0], cache.lookup(images[3])[0])
    assert verify_cache(tmp_path / 'cache', images_root=copy)['num_images'] == len(images)
    again = CountingBackend(copy)              # building it for the moved images: nothing to do
    assert build(moved, again, tmp_path / 'cache', content_hash=True)['complete']
    assert again.seen == 0
    data = bytearray(Path(moved[5]).read_bytes())
    data[-3] ^= 1                                             # same size, other bytes
    Path(moved[5]).write_bytes(bytes(data))
    cache.check_images(moved)                                 # sizes only: not seen
    with pytest.raises(StaleCacheError, match=f'{Path(moved[5]).name} changed since'):
        verify_cache(tmp_path / 'cache', images_root=copy)


def test_shards_merge_into_the_same_cache(market, images, tmp_path):
    build(images, CountingBackend(market), tmp_path / 'whole')
    out = tmp_path / 'sharded'
    done = []
    for index in (2, 0):
        backend = CountingBackend(market)
        result = build(images, backend, out, shard=(index, 3))
        assert result['complete'] is False
        done.append(backend.seen)
    assert done == [len(images) - 2 * len(images) // 3, len(images) // 3]
    with pytest.raises(StaleCacheError, match=r'1 of 3 shards .* unfinished: 1/3'):
        merge_shards(out)
    build(images, CountingBackend(market), out, shard=(1, 3))
    merge_shards(out)
    assert files(out) == files(tmp_path / 'whole')
    assert not (out / 'shards').exists()


def test_verify_finds_corrupt_arrays_and_missing_images(market, images, tmp_path):
    build(images, GroundTruthBackend(market, heatmap_size=SIZE), tmp_path)
    summary = verify_cache(tmp_path)
    assert summary['num_images'] == len(images) and summary['heatmap_size'] == list(SIZE)
    array = np.load(tmp_path / 'heatmaps.npy', mmap_mode='r+')
    array[3, 2, 1, 1] += 1
    array.flush()
    del array
    moved = Path(images[4]).with_suffix('.moved')
    os.rename(images[4], moved)
    try:
        with pytest.raises(StaleCacheError, match=r'2 problem\(s\): heatmaps.npy does not '
                                                  r'match its sha256.*is missing'):
            verify_cache(tmp_path)
    finally:
        os.rename(moved, images[4])


def test_bad_arguments_are_refused(market, images, tmp_path):
    backend = GroundTruthBackend(market, heatmap_size=SIZE)
    with pytest.raises(ValueError, match='no images'):
        build([], backend, tmp_path)
    with pytest.raises(ValueError, match=r'0 <= i < n; got \(3, 3\)'):
        build(images, backend, tmp_path, shard=(3, 3))
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        build([str(tmp_path / 'missing.jpg')], backend, tmp_path)
