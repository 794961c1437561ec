import cv2
import numpy as np
import pytest

from posereid.visualization.curves import draw_cmc_curves
from posereid.visualization.matrix import draw_matrix_heatmap
from posereid.visualization.pair_gallery import draw_pair_gallery, pair_outcome_indices
from posereid.visualization.ranked_list import MATCH, MISMATCH, draw_ranked_lists, framed


def grey(h=16, w=8):
    return np.full((h, w, 3), 128, np.uint8)


def test_ranked_list_frames_matches_green_and_others_red():
    sheet = draw_ranked_lists([grey()], [[grey(), grey()]], [[True, False]], scale=1)
    middle = 16 + 4 + 8                   # column labels, gap, half a cell
    frames = [tuple(int(c) for c in px) for px in sheet[middle, :]]
    assert MATCH in frames and MISMATCH in frames
    assert frames.index(MATCH) < frames.index(MISMATCH)              # rank 1 before rank 2
    with pytest.raises(ValueError, match='match flags'):
        draw_ranked_lists([grey()], [[grey(), grey()]], [[True]])


def test_framed_keeps_the_inside():
    image = framed(grey(), MATCH, width=2)
    assert tuple(image[0, 0]) == MATCH and tuple(image[8, 4]) == (128, 128, 128)


def test_pair_outcomes_are_split_by_label_and_prediction_most_confident_first():
    labels = [1, 1, 0, 0, 1, 0]
    scores = [0.9, 0.2, 0.8, 0.1, 0.95, 0.4]
    chosen = pair_outcome_indices(labels, scores)
    assert chosen['true_positive'].tolist() == [4, 0]
    assert chosen['false_negative'].tolist() == [1]
    assert chosen['false_positive'].tolist() == [2]
    assert chosen['true_negative'].tolist() == [3, 5]


def test_pair_gallery_has_a_row_per_group_of_pairs():
    one_row = draw_pair_gallery([(grey(), grey())] * 2, [0.5, 0.6], pairs_per_row=2, scale=1)
    two_rows = draw_pair_gallery([(grey(), grey())] * 3, [0.5, 0.6, 0.7], pairs_per_row=2,
                                 scale=1)
    assert two_rows.shape[0] > one_row.shape[0]
    with pytest.raises(ValueError, match='scores'):
        draw_pair_gallery([(grey(), grey())], [0.5, 0.6])


def test_matrix_heatmap_is_a_png_and_checks_its_labels():
    png = draw_matrix_heatmap([[0.5, np.nan]], ['a'], ['a', 'b'])
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[1] > image.shape[0]
    with pytest.raises(ValueError, match='labels'):
        draw_matrix_heatmap([[0.5, 0.1]], ['a'], ['a'])


def test_cmc_curves_need_at_least_one_curve():
    png = draw_cmc_curves({'a': [0.5, 0.7, 1.0]})
    assert cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR) is not None
    with pytest.raises(ValueError, match='no CMC curves'):
        draw_cmc_curves({})
