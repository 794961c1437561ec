"""VIPeR (Gray et al., PETS 2007): 632 identities, one image in each of 2 cameras.

``cam_a/NNN_AAA.bmp`` and ``cam_b/NNN_AAA.bmp`` (``NNN`` the identity, ``AAA`` the viewing
angle) are camera 0 and 1 (a copy saved as ``.png`` or ``.jpg`` reads the same). Evaluated single-gallery-shot (``'single_gallery_shot'``) over 10
random 316/316 splits in both query directions (``split_id`` 0..19, see
:func:`~posereid.datasets.two_view.split_two_views`). Pair metrics pair every test identity's
two images, each pair with one random negative (``'balanced_all_pairs'``).
"""
from __future__ import annotations

from .base import DatasetFormatError, ReIDRecord, ReIDSource
from .folder import IMAGE_EXTENSIONS
from .two_view import TEN_RANDOM_SPLITS, split_two_views


class VIPeR(ReIDSource):
    """VIPeR from ``root/VIPeR/cam_{a,b}`` or ``root/cam_{a,b}`` (default root
    ``data_root() / 'viper'``).

    Args:
        split_id: which split (0..19).
        num_train_ids: training identities (default: half, 316).
        seed: seed of the random splits.
        **kwargs: ``verify_images``, ``skip_bad_images`` of :class:`ReIDSource`.
    """

    name = 'viper'
    protocol = 'single_gallery_shot'
    pair_protocol = 'balanced_all_pairs'
    default_folder = 'viper'
    layout = """
viper/
  VIPeR/                 (the release zip's folder; or cam_a/ and cam_b/ directly in viper/)
    cam_a/000_45.bmp     NNN_AAA.bmp: identity NNN, angle AAA
    cam_b/000_45.bmp
"""

    @classmethod
    def protocol_splits(cls, **options) -> list[int]:
        """10 random splits, camera A querying camera B (``TEN_RANDOM_SPLITS``)."""
        return list(TEN_RANDOM_SPLITS)

    def __init__(self, root=None, split_id: int = 0, num_train_ids: int | None = None,
                 seed: int = 0, **kwargs) -> None:
        self.root = self.resolve_root(root)
        if (self.root / 'VIPeR').is_dir():
            self.root = self.root / 'VIPeR'
        cameras = [self.root / 'cam_a', self.root / 'cam_b']
        self.require(*cameras)
        records = []
        for camid, folder in enumerate(cameras):
            for path in sorted(p for p in folder.iterdir()
                               if p.suffix.lower() in IMAGE_EXTENSIONS):
                identity = path.stem.split('_')[0]
                if not identity.isdigit():
                    raise DatasetFormatError(f'{self.name}: {path} is not named NNN_AAA.bmp')
                records.append(ReIDRecord(str(path), int(identity), camid))
        ids_a, ids_b = ({r.pid for r in records if r.camid == c} for c in (0, 1))
        if not ids_a or ids_a != ids_b:
            raise DatasetFormatError(
                f'{self.name}: {cameras[0]} and {cameras[1]} must hold one NNN_*.bmp image of '
                f'each identity NNN; identities in one camera only: '
                f'{sorted(ids_a ^ ids_b)[:10] or "no images"}')
        super().__init__(*split_two_views(records, split_id, num_train_ids, seed=seed),
                         **kwargs)
