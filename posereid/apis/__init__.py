"""Use a trained model on your own images: :func:`init_model`, :func:`extract`,
:func:`compare`, :func:`search` (see :mod:`posereid.apis.inference`). Following people
through cameras is :mod:`posereid.tracking`."""
from .inference import ImageFeatures, SearchResult, compare, extract, init_model, search

__all__ = ['init_model', 'extract', 'compare', 'search', 'ImageFeatures', 'SearchResult']
