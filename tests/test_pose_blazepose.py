"""BlazePose on a real photograph (skimage's astronaut), mapped to the 14 AIC joints."""
import numpy as np
import pytest

pytest.importorskip('mediapipe', reason='mediapipe (optional blazepose extra) is not installed')
skimage_data = pytest.importorskip('skimage.data')

from posereid.pose.blazepose import BLAZEPOSE_TO_COCO, BlazePoseBackend  # noqa: E402
from posereid.pose.coco_to_aic import COCO_NAMES  # noqa: E402
from posereid.pose.keypoints import KEYPOINT_INDEX  # noqa: E402


@pytest.fixture(scope='module')
def backend():
    return BlazePoseBackend(heatmap_size=(64, 64))


@pytest.fixture(scope='module')
def astronaut():
    return skimage_data.astronaut()              # (512, 512, 3) RGB photograph


def joint(out, name):
    return out.keypoints[0, KEYPOINT_INDEX[name]], out.scores[0, KEYPOINT_INDEX[name]]


def test_astronaut_upper_body_is_found(backend, astronaut):
    out = backend([astronaut])
    (rsho, rsho_s), (lsho, lsho_s) = joint(out, 'right_shoulder'), joint(out, 'left_shoulder')
    (neck, _), (head, head_s) = joint(out, 'neck'), joint(out, 'head_top')
    assert min(rsho_s, lsho_s, head_s) > 0.5
    # she faces the camera: her right shoulder is on the image's left, at a plausible width
    assert rsho[0] < lsho[0] and 80 < lsho[0] - rsho[0] < 350
    assert abs(rsho[1] - lsho[1]) < 60                           # shoulders roughly level
    assert head[1] < neck[1] - 60                                # head top well above the neck
    assert rsho[0] < head[0] < lsho[0]
    xy, _ = backend.landmarks(astronaut)
    nose = xy[BLAZEPOSE_TO_COCO[COCO_NAMES.index('nose')]]
    assert head[1] < nose[1] < neck[1]                            # the nose between the two


def test_heatmaps_peak_at_confident_joints(backend, astronaut):
    out = backend([astronaut])
    assert out.heatmaps.shape == (1, 14, 64, 64)
    for k in np.flatnonzero(out.scores[0] > 0.5):
        v, u = np.unravel_index(out.heatmaps[0, k].argmax(), (64, 64))
        assert np.abs((np.array([u, v]) + 0.5) * 8 - out.keypoints[0, k]).max() <= 8
        assert out.heatmaps[0, k].max() == pytest.approx(out.scores[0, k], rel=0.25)


def test_small_crops_and_empty_images(backend, astronaut):
    crop = astronaut[::4, ::4]                                   # 128x128: upscaled internally
    full, small = backend([astronaut]).keypoints[0], backend([crop]).keypoints[0]
    shoulders = [KEYPOINT_INDEX['right_shoulder'], KEYPOINT_INDEX['left_shoulder']]
    np.testing.assert_allclose(small[shoulders] * 4, full[shoulders], atol=20)
    blank = backend([np.full((128, 64, 3), 127, np.uint8)])
    assert blank.scores.max() == 0 and blank.heatmaps.max() == 0


def test_models_that_would_need_a_download_are_refused():
    with pytest.raises((FileNotFoundError, ValueError), match='model_complexity'):
        BlazePoseBackend(model_complexity=2)
