"""Writing pictures: RGB arrays to PNG files, atomically."""
from __future__ import annotations

import os

import numpy as np
from PIL import Image

from posereid.utils.io import atomic_write


def save_png(image: np.ndarray, path: str | os.PathLike, colors: int | None = None) -> None:
    """Write an ``(H, W, 3)`` uint8 RGB image as PNG, atomically; ``colors`` (2..256) reduces
    it to a palette of that many colours, a much smaller file (e.g. for the docs)."""
    picture = Image.fromarray(np.ascontiguousarray(image))
    if colors is not None:
        if not 2 <= colors <= 256:
            raise ValueError(f'colors must be in 2..256; got {colors}')
        picture = picture.quantize(colors, method=Image.Quantize.MEDIANCUT)
    with atomic_write(path, 'wb') as f:
        picture.save(f, format='PNG', optimize=True)
