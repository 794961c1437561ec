"""Reading images with errors that name the file (:class:`BadImageError`), and writing JPEGs."""
from __future__ import annotations

import contextlib
import os
from typing import Iterator

import cv2
import numpy as np

from .io import atomic_write


class BadImageError(ValueError):
    """An image file is missing, unreadable or corrupt; the message names the file."""


@contextlib.contextmanager
def open_image(path: str) -> Iterator:
    """``PIL.Image.open(path)``, any failure to open or decode it raised as
    :class:`BadImageError` naming ``path``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            yield image
    except FileNotFoundError:
        raise BadImageError(f'image file not found: {path}') from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise BadImageError(f'unreadable or corrupt image: {path} ({error})') from None


def read_image(path: str) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB pixels of ``path`` (a truncated file raises)."""
    with open_image(path) as image:
        return np.array(image.convert('RGB'))


def check_image(path: str, level: str = 'header') -> None:
    """Raise :class:`BadImageError` unless ``path`` opens (``'header'``: its header parses) or
    fully decodes (``'decode'``) as an image."""
    with open_image(path) as image:
        if level == 'decode':
            image.load()


def encode_jpeg(rgb: np.ndarray, quality: int = 95) -> np.ndarray:
    """The JPEG bytes (a uint8 array) of an ``(H, W, 3)`` uint8 RGB image at ``quality``."""
    ok, data = cv2.imencode('.jpg', cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f'JPEG encoding of a {rgb.shape} {rgb.dtype} image failed')
    return data


def write_jpeg(path: str | os.PathLike, rgb: np.ndarray, quality: int = 95) -> None:
    """Write an ``(H, W, 3)`` uint8 RGB image as a JPEG at ``quality``, atomically."""
    with atomic_write(path, 'wb') as f:
        f.write(encode_jpeg(rgb, quality).tobytes())
