"""Heatmap pictures: panel layout, where boxes and peaks are drawn, PNG output, the tool."""
import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from posereid.pose.base import render_gaussian_heatmaps
from posereid.pose.regions import REGION_NAMES, region_boxes
from posereid.visualization.heatmaps import (PANELS, REGION_COLORS, draw_heatmap_sheet,
                                             heatmap_overlay, heatmap_panels)
from posereid.visualization.png import save_png

H, W, SCALE = 128, 64, 2
# AIC order: r-shoulder, r-elbow, r-wrist, l-shoulder, l-elbow, l-wrist, r-hip, r-knee,
# r-ankle, l-hip, l-knee, l-ankle, head top, neck; at (32, 16)-heatmap pixel centres (4u + 2)
# so that the drawn peaks decode exactly.
JOINTS = np.array([[18, 30], [18, 46], [18, 58], [46, 30], [46, 46], [46, 58], [22, 62],
                   [22, 90], [22, 114], [42, 62], [42, 90], [42, 114], [30, 6], [30, 22]],
                  np.float32)
TOOL = Path(__file__).resolve().parents[1] / 'tools' / 'visualize_heatmaps.py'


def person_heatmaps(size=(32, 16)):
    return render_gaussian_heatmaps(JOINTS[None], np.ones((1, 14)), (H, W), size)[0]


def grey_image():
    return np.full((H, W, 3), 90, np.uint8)


def test_overlay_colours_only_where_the_heatmap_is_high():
    image = grey_image()
    heatmap = np.zeros((32, 16), np.float32)
    np.testing.assert_array_equal(heatmap_overlay(image, heatmap), image)
    heatmap[16, 8] = 1.0
    out = heatmap_overlay(image, heatmap)
    peak = out[16 * 4 + 2, 8 * 4 + 2].astype(int)
    assert peak[0] > 90 + 20 and peak[2] < 90  # jet's top end is red
    np.testing.assert_array_equal(out[:40], image[:40])


def test_panels_draw_regions_and_peaks_where_they_are():
    panels = heatmap_panels(grey_image(), person_heatmaps(), scale=SCALE)
    assert len(panels) == len(PANELS)
    assert all(p.shape == (H * SCALE, W * SCALE, 3) for p in panels)
    big = (H * SCALE, W * SCALE)
    boxes = region_boxes(torch.from_numpy(JOINTS[None] * SCALE), torch.ones(1, 14), big)[0]
    for panel, region in ((panels[3], 'head_shoulder'), (panels[4], 'left_leg')):
        r = REGION_NAMES.index(region)
        x0, y0, x1, _ = (int(round(float(v))) for v in boxes[r])
        np.testing.assert_array_equal(panel[y0, (x0 + x1) // 2], REGION_COLORS[r])
    head_top = (JOINTS[12] * SCALE).astype(int)
    assert tuple(panels[2][head_top[1], head_top[0]]) == (51, 153, 255)  # a centre joint
    assert len(heatmap_panels(grey_image(), person_heatmaps(), SCALE, per_joint=True)) == 19


def test_sheet_has_a_row_per_image_and_a_column_per_panel():
    sheet = draw_heatmap_sheet([grey_image()] * 3, [person_heatmaps()] * 3, scale=SCALE)
    gap, top = 4, 16
    assert sheet.shape == (top + 3 * (H * SCALE + gap) + gap, 5 * (W * SCALE + gap) + gap, 3)
    with pytest.raises(ValueError, match='as many heatmaps as images'):
        draw_heatmap_sheet([grey_image()], [], scale=SCALE)


def test_png_is_written_exactly_or_with_a_small_palette(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)
    save_png(image, tmp_path / 'exact.png')
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / 'exact.png')), image)
    save_png(image, tmp_path / 'small.png', colors=16)
    with Image.open(tmp_path / 'small.png') as small:
        assert small.mode == 'P' and len(small.getcolors()) <= 16
    with pytest.raises(ValueError, match='2..256'):
        save_png(image, tmp_path / 'bad.png', colors=1000)


@pytest.fixture()
def domain(tmp_path):
    """A one-image embedded-world-like domain folder: a crop and its keypoints.json."""
    (tmp_path / 'query').mkdir()
    cv2.imwrite(str(tmp_path / 'query' / 'a.jpg'), grey_image())
    triples = np.concatenate([JOINTS, np.full((14, 1), 2)], 1).tolist()
    (tmp_path / 'keypoints.json').write_text(json.dumps({'query/a.jpg': triples}))
    return tmp_path


def load_tool():
    spec = importlib.util.spec_from_file_location('visualize_heatmaps', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_draws_files_with_ground_truth_and_reports_bad_input(domain, tmp_path, capsys):
    tool = load_tool()
    out = tmp_path / 'sheet.png'
    image = str(domain / 'query' / 'a.jpg')
    assert tool.main([image, '--out', str(out), '--scale', '2', '--per-joint']) == 0
    with Image.open(out) as sheet:
        assert sheet.size == (19 * (W * 2 + 4) + 4, 16 + H * 2 + 8)
    assert tool.main([image, '--cache', str(tmp_path / 'none'), '--out', str(out)]) == 1
    assert 'no heatmap cache at' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.parse_args(['--out', str(out)])


def test_dataset_images_are_spread_identities_and_drawn(tmp_path):
    from posereid.datasets.synthetic import generate_world, small_world
    from posereid.visualization.heatmaps import dataset_images
    generate_world(small_world(), tmp_path / 'world', workers=1)
    root = tmp_path / 'world' / 'market'
    paths = dataset_images('synthetic_market', root, 4)
    assert len(paths) == 4 and len(set(paths)) == 4
    names = [Path(p).name for p in paths]
    assert not any(n.startswith(('0000_', '-1_')) for n in names)
    assert {Path(p).parent.name for p in paths} >= {'query', 'bounding_box_test'}
    out = tmp_path / 'sheet.png'
    assert load_tool().main(['--dataset', 'synthetic_market', '--root', str(root), '--num', '4',
                             '--scale', '1', '--out', str(out)]) == 0
    h, w = small_world().domains[0].height, small_world().domains[0].width
    with Image.open(out) as sheet:
        assert sheet.size == (5 * (w + 4) + 4, 16 + 4 * (h + 4) + 4)
