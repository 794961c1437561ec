"""DukeMTMC-reID (Zheng et al., ICCV 2017): 1404 identities (+ 408 distractor ids), 8 cameras.

Market-1501 layout and naming (``0001_c2_f0046182.jpg``), so :class:`Market1501` reads it.
"""
from __future__ import annotations

from .market1501 import Market1501


class DukeMTMC(Market1501):
    """DukeMTMC-reID in its release layout (default root ``data_root() / 'dukemtmc-reid'``)."""

    name = 'dukemtmc'
    default_folder = 'dukemtmc-reid'
    release_folder = 'DukeMTMC-reID'
    layout = """
dukemtmc-reid/                               (or dukemtmc-reid/DukeMTMC-reID/)
  bounding_box_train/0001_c2_f0046182.jpg      PPPP_cC_fFFFFFFF.jpg
  query/0005_c2_f0046985.jpg
  bounding_box_test/0002_c1_f0044158.jpg
"""
