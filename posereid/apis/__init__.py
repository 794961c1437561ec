"""Use a trained model on your own images: :func:`init_predictor` (a
:class:`~posereid.apis.predictor.Predictor`: the model, its test pipeline and pose backend),
then :func:`extract`, :func:`compare`, :func:`search` (:mod:`posereid.apis.inference`).
Following people through cameras is :mod:`posereid.tracking`."""
from .inference import ImageFeatures, SearchResult, compare, extract, search
from .predictor import Predictor, init_predictor

__all__ = ['init_predictor', 'Predictor', 'extract', 'compare', 'search', 'ImageFeatures',
           'SearchResult']
