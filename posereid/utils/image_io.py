"""Reading images with errors that name the file: :class:`BadImageError`."""
from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np


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
