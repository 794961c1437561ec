"""Use a trained model on your own images: :func:`init_model`, :func:`extract`,
:func:`compare`, :func:`search` (see :mod:`posereid.apis.inference`), and one embedding per
tracklet of a video, :func:`tracklet_embeddings` (:mod:`posereid.apis.tracklets`)."""
from .inference import ImageFeatures, SearchResult, compare, extract, init_model, search
from .tracklets import Tracklet, TrackletEmbeddings, tracklet_embeddings, tracklets_from_mot

__all__ = ['init_model', 'extract', 'compare', 'search', 'ImageFeatures', 'SearchResult',
           'Tracklet', 'TrackletEmbeddings', 'tracklet_embeddings', 'tracklets_from_mot']
