"""Tracklet embeddings on the tiny video world: tracks grouped from MOT rows, crops chosen by
pose quality, one unit-length mean embedding per track, named errors."""
from __future__ import annotations

import numpy as np
import pytest

from posereid.apis import extract
from posereid.datasets.boxes import Boxes
from posereid.datasets.frames import open_frames
from posereid.datasets.mot import read_mot_boxes
from posereid.tracking.tracklets import (CandidateSampler, SpreadWindow, Tracklet,
                                         select_frames, tracklet_embeddings,
                                         tracklets_from_boxes)

def test_tracklets_group_boxes_by_id_in_frame_order(video):
    boxes = read_mot_boxes(video / 'c1' / 'gt' / 'gt.txt')
    shuffled = boxes[np.random.default_rng(0).permutation(len(boxes))]
    tracklets = tracklets_from_boxes(shuffled)
    assert [t.track_id for t in tracklets] == boxes.unique_ids().tolist()
    assert sum(len(t.frames) for t in tracklets) == len(boxes)
    for t in tracklets:
        assert (np.diff(t.frames) > 0).all()
        mine = boxes[boxes.ids == t.track_id]
        np.testing.assert_array_equal(t.boxes, mine.xywh[np.argsort(mine.frame)])


def test_the_sampler_keeps_a_bounded_evenly_spread_set_of_crops():
    image = np.zeros((40, 60, 3), np.uint8)
    sampler = CandidateSampler(candidates=4)
    for frame in range(1, 101):                       # track 1: 100 boxes; track 2: 3 boxes
        ids = [1, 2] if frame <= 3 else [1]
        sampler.add(image, Boxes.create([frame] * len(ids), [[0, 0, 20, 30]] * len(ids),
                                        ids=ids))
        assert all(len(t.items) <= 8 for t in sampler._tracks.values())
    kept = [frame for _, (frame, _) in sampler._tracks[1].items]
    assert kept == list(range(1, 101, 16))           # stride 16 after three halvings
    tracks = Boxes.create(list(range(1, 101)) + [1, 2, 3], [[0, 0, 20, 30]] * 103,
                          ids=[1] * 100 + [2] * 3)
    sampled, empty = sampler.sampled(tracks, fps=5)
    assert not empty and [t.track_id for t in sampled.tracklets] == [1, 2]
    assert sampled.frame[sampled.owner == 0].tolist() == [1, 33, 65, 97]
    assert sampled.frame[sampled.owner == 1].tolist() == [1, 2, 3]
    # a track whose boxes are all too small has no candidate
    tiny = CandidateSampler(candidates=4)
    tiny.add(image, Boxes.create([1], [[0, 0, 4, 30]], ids=[5]))
    assert tiny.sampled(Boxes.create([1], [[0, 0, 4, 30]], ids=[5]), 5)[1] == [5]


def test_a_spread_window_says_what_it_kept_and_makes_only_that():
    window, made = SpreadWindow(2), []
    kept = [window.offer(lambda k=k: made.append(k) or k) for k in range(9)]
    assert kept == [True] * 5 + [False, True, False, True]
    assert made == [0, 1, 2, 3, 4, 6, 8] and [k for k, _ in window.items] == [0, 4, 8]
    assert window.stride == 4
    with pytest.raises(ValueError, match='size must be >= 1'):
        SpreadWindow(0)


def test_frame_selection():
    quality = np.array([0.1, 0.9, 0.5, 0.9, 0.2, 0.7])
    np.testing.assert_array_equal(select_frames(quality, 3, 'pose'), [1, 3, 5])
    np.testing.assert_array_equal(select_frames(quality, 3, 'uniform'), [0, 2, 5])
    np.testing.assert_array_equal(select_frames(np.ones(6), 3, 'pose'), [0, 2, 5])
    np.testing.assert_array_equal(select_frames(quality, 10, 'pose'), np.arange(6))
    with pytest.raises(ValueError, match='select must be one of'):
        select_frames(quality, 2, 'best')


def test_a_tracklet_embedding_is_the_mean_of_its_best_crops(video, fusion):
    source = open_frames(video / 'c1')
    tracklets = tracklets_from_boxes(read_mot_boxes(video / 'c1' / 'gt' / 'gt.txt'))
    by_pose = tracklet_embeddings(fusion, source, tracklets, frames_per_tracklet=3,
                                  candidates=8)
    uniform = tracklet_embeddings(fusion, source, tracklets, frames_per_tracklet=3,
                                  candidates=8, select='uniform')
    assert by_pose.embeddings.shape == (len(tracklets), uniform.embeddings.shape[1])
    np.testing.assert_allclose(np.linalg.norm(by_pose.embeddings, axis=1), 1, atol=1e-5)
    # the best 3 of the same 8 candidates score at least as well as any other 3
    assert (by_pose.quality >= uniform.quality - 1e-6).all()
    assert (by_pose.quality > uniform.quality + 1e-4).any()
    # recompute one tracklet by hand from its chosen frames' crops
    frames = dict(iter(source))
    t, chosen = by_pose.tracklets[0], by_pose.chosen[0]
    crops = []
    for frame in chosen:
        x, y, w, h = t.boxes[np.searchsorted(t.frames, frame)].astype(int)
        crops.append(frames[frame][y:y + h, x:x + w])
    mean = extract(fusion, crops).embeddings.mean(axis=0)
    np.testing.assert_allclose(by_pose.embeddings[0], mean / np.linalg.norm(mean), atol=1e-5)


def test_a_tracklet_with_no_usable_box_is_named(video, fusion):
    tiny = Tracklet(77, np.array([1, 2]), np.array([[10, 10, 4, 30], [10, 10, 30, 5]], float))
    with pytest.raises(ValueError, match=r'c1: track 77 has no box of at least 8 x 8'):
        tracklet_embeddings(fusion, open_frames(video / 'c1'), [tiny])
