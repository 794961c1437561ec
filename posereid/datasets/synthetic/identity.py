"""A synthetic person's persistent appearance: what stays the same in every camera.

Colours are RGB tuples. Garment colours come from a shared palette weighted towards the dark
and neutral colours most people wear, so many identities share colours and differ in pattern,
accessories, build and combination, as in real re-identification data.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import ClothingStyle

RGB = tuple[int, int, int]

UPPER_PATTERNS = ('solid', 'stripes', 'logo', 'two_tone')
LOGO_SHAPES = ('circle', 'square', 'triangle', 'bar')

# name: (RGB, how often people wear it, dark?)
GARMENT_COLOURS: dict[str, tuple[RGB, float, bool]] = {
    'black': ((28, 28, 32), 5.0, True),
    'charcoal': ((62, 62, 68), 3.0, True),
    'grey': ((128, 128, 128), 3.0, False),
    'light_grey': ((188, 188, 185), 2.0, False),
    'white': ((232, 232, 226), 3.5, False),
    'navy': ((32, 40, 82), 3.0, True),
    'blue': ((45, 85, 170), 2.0, False),
    'light_blue': ((125, 165, 215), 1.5, False),
    'red': ((175, 32, 38), 1.5, False),
    'maroon': ((105, 28, 38), 1.0, True),
    'pink': ((225, 145, 165), 1.0, False),
    'orange': ((225, 125, 45), 0.7, False),
    'yellow': ((225, 200, 70), 0.7, False),
    'green': ((45, 112, 55), 1.0, False),
    'olive': ((100, 105, 52), 1.0, True),
    'khaki': ((178, 162, 118), 1.2, False),
    'brown': ((112, 76, 46), 1.2, True),
    'purple': ((92, 52, 122), 0.7, False),
    'teal': ((32, 120, 122), 0.7, False),
    'beige': ((212, 196, 166), 1.0, False),
}
LOWER_COLOURS = ('black', 'charcoal', 'navy', 'grey', 'khaki', 'brown', 'blue', 'light_grey',
                 'white', 'olive', 'beige')
JEANS: RGB = (52, 72, 112)
SHOE_COLOURS: tuple[RGB, ...] = ((235, 235, 235), (25, 25, 25), (95, 62, 40), (110, 110, 115),
                                 (170, 40, 40), (40, 60, 120))
SKIN_TONES: tuple[RGB, ...] = ((241, 205, 178), (226, 184, 150), (198, 152, 116),
                               (160, 114, 82), (118, 80, 56), (86, 58, 42))
HAIR_COLOURS: tuple[RGB, ...] = ((20, 18, 18), (20, 18, 18), (48, 32, 24), (92, 62, 38),
                                 (180, 150, 100), (150, 150, 150))


@dataclass(frozen=True)
class Identity:
    """Everything about a person that does not depend on the camera."""

    height: float          # relative body height; tall people fill more of the crop
    girth: float           # relative body width
    skin: RGB
    hair: RGB
    long_hair: bool
    upper: RGB
    upper_pattern: str     # one of UPPER_PATTERNS
    pattern_colour: RGB    # stripes, logo, or the left half of a two-tone top
    logo_shape: str        # one of LOGO_SHAPES (drawn for the 'logo' pattern only)
    stripe_width: float    # in body heights
    short_sleeves: bool
    lower: RGB
    lower_kind: str        # 'trousers', 'shorts' or 'skirt'
    shoes: RGB
    bag: str               # 'none', 'backpack' or 'shoulder_bag'
    bag_side: str          # 'left' or 'right': the side a shoulder bag hangs on
    bag_colour: RGB
    hat: RGB | None


def _jitter(rng: np.random.Generator, colour: RGB, amount: int = 10) -> RGB:
    return tuple(int(c) for c in np.clip(np.asarray(colour) + rng.integers(-amount, amount + 1, 3),
                                         0, 255))


def _garment_colour(rng: np.random.Generator, dark_bias: float, names=None,
                    avoid: str | None = None) -> tuple[str, RGB]:
    names = [n for n in (names or GARMENT_COLOURS) if n != avoid]
    weights = np.array([GARMENT_COLOURS[n][1] * (dark_bias if GARMENT_COLOURS[n][2] else 1.0)
                        for n in names])
    name = names[rng.choice(len(names), p=weights / weights.sum())]
    return name, _jitter(rng, GARMENT_COLOURS[name][0])


def sample_identity(rng: np.random.Generator, clothing: ClothingStyle) -> Identity:
    """Draw one person; ``clothing`` sets how often each garment/accessory is chosen."""
    upper_name, upper = _garment_colour(rng, clothing.dark_bias)
    pattern = UPPER_PATTERNS[rng.choice(4, p=[0.4, 0.2, 0.2, 0.2])]
    _, pattern_colour = _garment_colour(rng, 1.0, avoid=upper_name)
    r = rng.random()
    lower_kind = ('shorts' if r < clothing.shorts else
                  'skirt' if r < clothing.shorts + clothing.skirt else 'trousers')
    if lower_kind == 'trousers' and rng.random() < 0.35:
        lower = _jitter(rng, JEANS)
    else:
        lower = _garment_colour(rng, clothing.dark_bias, names=LOWER_COLOURS)[1]
    r = rng.random()
    bag = ('backpack' if r < clothing.backpack else
           'shoulder_bag' if r < clothing.backpack + clothing.shoulder_bag else 'none')
    hat = _garment_colour(rng, 1.0)[1] if rng.random() < clothing.hat else None
    return Identity(
        height=float(rng.uniform(0.92, 1.06)),
        girth=float(rng.uniform(0.85, 1.2)),
        skin=_jitter(rng, SKIN_TONES[rng.integers(len(SKIN_TONES))], 6),
        hair=_jitter(rng, HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))], 6),
        long_hair=bool(rng.random() < clothing.long_hair),
        upper=upper,
        upper_pattern=pattern,
        pattern_colour=pattern_colour,
        logo_shape=LOGO_SHAPES[rng.integers(len(LOGO_SHAPES))],
        stripe_width=float(rng.uniform(0.022, 0.04)),
        short_sleeves=bool(rng.random() < clothing.short_sleeves),
        lower=lower,
        lower_kind=lower_kind,
        shoes=_jitter(rng, SHOE_COLOURS[rng.integers(len(SHOE_COLOURS))], 8),
        bag=bag,
        bag_side='left' if rng.random() < 0.5 else 'right',
        bag_colour=_garment_colour(rng, 2.0)[1],
        hat=hat,
    )
