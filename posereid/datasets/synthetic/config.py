"""Sizes and looks of a synthetic world: :class:`WorldConfig`, :class:`DomainConfig`, presets.

A *world* is a seed plus a few *domains*; each domain is one dataset-like camera network (its own
identities, cameras, crop size, file layout, clothing fashion and scene style). Everything that
changes the generated files is a field here, so :meth:`WorldConfig.config_hash` identifies a world.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field

#: Bumped whenever the generator draws different pixels for the same config.
GENERATOR_VERSION = 1

#: File layouts of real datasets: Market-1501 folders/names and CUHK01's ``campus/PPPPCCC.png``.
LAYOUTS = ('market1501', 'cuhk01')

_NAME_PATTERN = re.compile(r'^[A-Za-z0-9_-]+$')


def short_hash(config: dict) -> str:
    """16 hex digits of the SHA-256 of a JSON-able ``config`` (keys sorted)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def _check_range(name: str, value: tuple, low: float, high: float) -> None:
    if len(value) != 2 or not low <= value[0] <= value[1] <= high:
        raise ValueError(f'{name} must be a (min, max) pair with {low} <= min <= max <= {high}; '
                         f'got {value}')


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f'{name} must be a probability in [0, 1]; got {value}')


@dataclass(frozen=True)
class ClothingStyle:
    """How the people of a domain dress: probabilities of each garment/accessory choice."""

    short_sleeves: float = 0.4
    shorts: float = 0.2
    skirt: float = 0.1
    hat: float = 0.15
    backpack: float = 0.25
    shoulder_bag: float = 0.2
    long_hair: float = 0.3
    #: > 1 favours dark garment colours (winter coats), < 1 bright ones (summer).
    dark_bias: float = 1.0

    def __post_init__(self):
        for f in dataclasses.fields(self):
            if f.name != 'dark_bias':
                _check_probability(f'ClothingStyle.{f.name}', getattr(self, f.name))
        if self.shorts + self.skirt > 1:
            raise ValueError(f'ClothingStyle.shorts + skirt must be <= 1; '
                             f'got {self.shorts} + {self.skirt}')
        if self.backpack + self.shoulder_bag > 1:
            raise ValueError(f'ClothingStyle.backpack + shoulder_bag must be <= 1; '
                             f'got {self.backpack} + {self.shoulder_bag}')
        if self.dark_bias <= 0:
            raise ValueError(f'ClothingStyle.dark_bias must be > 0; got {self.dark_bias}')


#: Background textures a camera can see: the wall behind the walkway and the ground under it.
WALLS = ('building', 'brick', 'foliage', 'glass', 'indoor')
GROUNDS = ('tiles', 'asphalt', 'grass', 'floor')


@dataclass(frozen=True)
class SceneStyle:
    """Ranges from which every camera of a domain draws its own persistent look."""

    walls: tuple[str, ...] = ('building', 'brick', 'foliage')
    grounds: tuple[str, ...] = ('tiles', 'asphalt')
    #: Overall gain of a camera (< 1 darker, > 1 brighter).
    brightness: tuple[float, float] = (0.6, 1.3)
    #: Largest per-channel gain deviation of a camera's colour cast.
    colour_cast: float = 0.2
    #: Gaussian blur sigma, in output pixels.
    blur: tuple[float, float] = (0.0, 0.9)
    #: Sensor noise standard deviation, in grey levels.
    noise: tuple[float, float] = (1.0, 6.0)
    jpeg_quality: tuple[int, int] = (55, 95)
    #: Probability that a view has an occluder (pole, car, another pedestrian) in front.
    occlusion: float = 0.3
    #: Person height as a fraction of the crop height.
    person_scale: tuple[float, float] = (0.8, 0.97)
    #: Largest horizontal offset of the person, as a fraction of the crop width.
    shift: float = 0.08

    def __post_init__(self):
        for name, allowed in (('walls', WALLS), ('grounds', GROUNDS)):
            value = getattr(self, name)
            if not value or any(v not in allowed for v in value):
                raise ValueError(f'SceneStyle.{name} must be a non-empty subset of {allowed}; '
                                 f'got {value}')
        _check_range('SceneStyle.brightness', self.brightness, 0.05, 4.0)
        _check_range('SceneStyle.blur', self.blur, 0.0, 10.0)
        _check_range('SceneStyle.noise', self.noise, 0.0, 100.0)
        _check_range('SceneStyle.jpeg_quality', self.jpeg_quality, 1, 100)
        _check_range('SceneStyle.person_scale', self.person_scale, 0.3, 1.2)
        if not 0 <= self.colour_cast < 1:
            raise ValueError(f'SceneStyle.colour_cast must be in [0, 1); got {self.colour_cast}')
        _check_probability('SceneStyle.occlusion', self.occlusion)
        if not 0 <= self.shift <= 0.5:
            raise ValueError(f'SceneStyle.shift must be in [0, 0.5]; got {self.shift}')


@dataclass(frozen=True)
class DomainConfig:
    """One camera network: identities, cameras, crop size, layout and style.

    Identities ``1 .. num_ids`` are drawn per domain; the last ``num_test_ids`` of them are held
    out (Market-1501 layout: query / bounding_box_test; both layouts: the keypoint ``val`` split).
    Each identity is seen by ``cameras_per_id`` (min, max) cameras, ``images_per_camera``
    (min, max) times each. The CUHK01 layout is fixed by its file names: 2 cameras, 2 images each.
    ``num_distractors`` / ``num_junk`` add Market's pid ``0000`` / ``-1`` gallery images.
    """

    name: str
    layout: str = 'market1501'
    num_ids: int = 100
    num_test_ids: int = 50
    num_cameras: int = 6
    cameras_per_id: tuple[int, int] = (2, 6)
    images_per_camera: tuple[int, int] = (1, 3)
    height: int = 128
    width: int = 64
    num_distractors: int = 0
    num_junk: int = 0
    clothing: ClothingStyle = field(default_factory=ClothingStyle)
    scene: SceneStyle = field(default_factory=SceneStyle)

    def __post_init__(self):
        if not _NAME_PATTERN.match(self.name):
            raise ValueError(f'DomainConfig.name must be a folder name of letters, digits, _ '
                             f'or -; got {self.name!r}')
        if self.layout not in LAYOUTS:
            raise ValueError(f'DomainConfig.layout must be one of {LAYOUTS}; got {self.layout!r}')
        if not 2 <= self.num_ids <= 9999:
            raise ValueError(f'DomainConfig.num_ids must be in [2, 9999] (4-digit pids); '
                             f'got {self.num_ids}')
        if not 1 <= self.num_test_ids < self.num_ids:
            raise ValueError(f'DomainConfig.num_test_ids must be in [1, num_ids - 1]; '
                             f'got {self.num_test_ids} of {self.num_ids}')
        if not 2 <= self.num_cameras <= 9:
            raise ValueError(f'DomainConfig.num_cameras must be in [2, 9] (one-digit camera '
                             f'numbers); got {self.num_cameras}')
        _check_range('DomainConfig.cameras_per_id', self.cameras_per_id, 2, self.num_cameras)
        _check_range('DomainConfig.images_per_camera', self.images_per_camera, 1, 99)
        if not (32 <= self.height <= 1024 and 16 <= self.width <= 512):
            raise ValueError(f'DomainConfig.height must be in [32, 1024] and width in [16, 512]; '
                             f'got {self.height} x {self.width}')
        if self.num_distractors < 0 or self.num_junk < 0:
            raise ValueError(f'DomainConfig.num_distractors and num_junk must be >= 0; '
                             f'got {self.num_distractors}, {self.num_junk}')
        if self.layout == 'cuhk01':
            fixed = dict(num_cameras=2, cameras_per_id=(2, 2), images_per_camera=(2, 2),
                         num_distractors=0, num_junk=0)
            for name, value in fixed.items():
                if getattr(self, name) != value:
                    raise ValueError(f'DomainConfig.{name} must be {value} in the cuhk01 layout '
                                     f'(campus/PPPPCCC.png names); got {getattr(self, name)}')

    @classmethod
    def from_dict(cls, d: dict) -> 'DomainConfig':
        d = dict(d)
        d['clothing'] = ClothingStyle(**d.get('clothing', {}))
        scene = dict(d.get('scene', {}))
        d['scene'] = SceneStyle(**{k: tuple(v) if isinstance(v, list) else v
                                   for k, v in scene.items()})
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


@dataclass(frozen=True)
class WorldConfig:
    """A seed and the domains generated from it (each domain in ``<world>/<domain.name>/``)."""

    domains: tuple[DomainConfig, ...]
    seed: int = 0

    def __post_init__(self):
        if not self.domains:
            raise ValueError('WorldConfig.domains must name at least one domain')
        names = [d.name for d in self.domains]
        if len(set(names)) != len(names):
            raise ValueError(f'WorldConfig.domains must have distinct names; got {names}')
        if not 0 <= self.seed < 2 ** 32:
            raise ValueError(f'WorldConfig.seed must be in [0, 2**32); got {self.seed}')

    def to_dict(self) -> dict:
        return dict(generator_version=GENERATOR_VERSION, **dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, d: dict) -> 'WorldConfig':
        return cls(domains=tuple(DomainConfig.from_dict(x) for x in d['domains']),
                   seed=d['seed'])

    def config_hash(self) -> str:
        """Short SHA-256 of the config (and generator version): equal hashes, equal files."""
        return short_hash(self.to_dict())

    def with_num_ids(self, num_ids: int) -> 'WorldConfig':
        """The same world with ``num_ids`` identities per domain (same held-out fraction)."""
        if num_ids < 2:
            raise ValueError(f'num_ids must be >= 2; got {num_ids}')
        domains = tuple(
            dataclasses.replace(d, num_ids=num_ids, num_test_ids=min(
                num_ids - 1, max(1, round(num_ids * d.num_test_ids / d.num_ids))))
            for d in self.domains)
        return dataclasses.replace(self, domains=domains)

    def with_seed(self, seed: int) -> 'WorldConfig':
        return dataclasses.replace(self, seed=seed)


# Domain styles: a sunny campus (Market-1501), indoor campus corridors (CUHK01), a winter
# street (DukeMTMC-reID).
MARKET_CLOTHING = ClothingStyle(short_sleeves=0.6, shorts=0.25, skirt=0.1, hat=0.12,
                                backpack=0.25, shoulder_bag=0.2, long_hair=0.3, dark_bias=0.9)
MARKET_SCENE = SceneStyle(walls=('building', 'brick', 'glass'), grounds=('tiles', 'asphalt'),
                          brightness=(0.75, 1.25), colour_cast=0.12, blur=(0.0, 0.8),
                          noise=(1.0, 6.0), jpeg_quality=(55, 95), occlusion=0.3,
                          person_scale=(0.84, 0.98))
CUHK01_CLOTHING = ClothingStyle(short_sleeves=0.35, shorts=0.1, skirt=0.12, hat=0.05,
                                backpack=0.4, shoulder_bag=0.25, long_hair=0.35, dark_bias=1.2)
CUHK01_SCENE = SceneStyle(walls=('indoor', 'glass'), grounds=('floor', 'tiles'),
                          brightness=(0.65, 1.15), colour_cast=0.15, blur=(0.2, 1.0),
                          noise=(2.0, 8.0), jpeg_quality=(50, 90), occlusion=0.15,
                          person_scale=(0.86, 0.98), shift=0.05)
DUKE_CLOTHING = ClothingStyle(short_sleeves=0.1, shorts=0.03, skirt=0.05, hat=0.25,
                              backpack=0.3, shoulder_bag=0.2, long_hair=0.3, dark_bias=2.0)
DUKE_SCENE = SceneStyle(walls=('building', 'foliage', 'brick'), grounds=('asphalt', 'tiles'),
                        brightness=(0.55, 1.05), colour_cast=0.12, blur=(0.2, 1.2),
                        noise=(2.0, 8.0), jpeg_quality=(45, 90), occlusion=0.4,
                        person_scale=(0.8, 0.97))


def default_world(seed: int = 0) -> WorldConfig:
    """The project's default data: three small domains, generated in well under a minute."""
    return WorldConfig(seed=seed, domains=(
        DomainConfig('market', layout='market1501', num_ids=300, num_test_ids=150,
                     num_cameras=6, cameras_per_id=(2, 6), images_per_camera=(1, 3),
                     height=128, width=64, num_distractors=60, num_junk=30,
                     clothing=MARKET_CLOTHING, scene=MARKET_SCENE),
        DomainConfig('cuhk01', layout='cuhk01', num_ids=160, num_test_ids=40,
                     num_cameras=2, cameras_per_id=(2, 2), images_per_camera=(2, 2),
                     height=160, width=60, clothing=CUHK01_CLOTHING, scene=CUHK01_SCENE),
        DomainConfig('duke', layout='market1501', num_ids=200, num_test_ids=100,
                     num_cameras=8, cameras_per_id=(2, 5), images_per_camera=(1, 3),
                     height=128, width=64, num_distractors=40, num_junk=20,
                     clothing=DUKE_CLOTHING, scene=DUKE_SCENE),
    ))


def small_world(seed: int = 0) -> WorldConfig:
    """A few identities per domain (tests, smoke runs): a couple of seconds."""
    return WorldConfig(seed=seed, domains=(
        DomainConfig('market', layout='market1501', num_ids=12, num_test_ids=6,
                     num_cameras=3, cameras_per_id=(2, 3), images_per_camera=(1, 2),
                     height=64, width=32, num_distractors=3, num_junk=2,
                     clothing=MARKET_CLOTHING, scene=MARKET_SCENE),
        DomainConfig('cuhk01', layout='cuhk01', num_ids=6, num_test_ids=2,
                     num_cameras=2, cameras_per_id=(2, 2), images_per_camera=(2, 2),
                     height=80, width=30, clothing=CUHK01_CLOTHING, scene=CUHK01_SCENE),
    ))


def market_scale_world(seed: int = 0) -> WorldConfig:
    """One domain the size of Market-1501: 1501 identities (751 train), ~32k images."""
    return WorldConfig(seed=seed, domains=(
        DomainConfig('market', layout='market1501', num_ids=1501, num_test_ids=750,
                     num_cameras=6, cameras_per_id=(2, 6), images_per_camera=(1, 8),
                     height=128, width=64, num_distractors=2793, num_junk=3819,
                     clothing=MARKET_CLOTHING, scene=MARKET_SCENE),
    ))


#: ``--config`` choices of ``tools/generate_world.py``.
PRESETS = {'small': small_world, 'default': default_world, 'market': market_scale_world}
