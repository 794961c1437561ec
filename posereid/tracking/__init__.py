"""Multi-camera tracking: people followed through several cameras under one global identity.

The pieces, bottom up: detections (:mod:`.detections`), single-camera tracks by ByteTrack
(:mod:`.single_camera`), one embedding per tracklet (:mod:`.tracklets`), global identities by
constrained clustering (:mod:`.association`), the pipeline that chains them
(:mod:`.pipeline`), its metrics through TrackEval (:mod:`.metrics`), its pictures
(:mod:`.pictures`) and ``tools/track.py`` as a function (:mod:`.run`). Live, while the frames
arrive: camera feeds (:mod:`.feeds`), online identities (:mod:`.live`), the event stream
(:mod:`.events`), ``tools/live.py`` as a function (:mod:`.live_run`) and its web page
(:mod:`.live_view`); the tools' shared command line (:mod:`.cli`).

    from posereid.apis import init_predictor
    from posereid.tracking import MultiCameraConfig, run_tracking
"""
from .association import Association, associate
from .pipeline import MultiCameraConfig, MultiCameraTracks, evaluate_tracks, relabel, track_cameras
from .run import camera_names, run_tracking
from .single_camera import TrackerConfig, track_detections
from .tracklets import Tracklet, TrackletEmbeddings, tracklet_embeddings, tracklets_from_boxes

__all__ = ['Association', 'associate', 'MultiCameraConfig', 'MultiCameraTracks',
           'evaluate_tracks', 'relabel', 'track_cameras', 'camera_names', 'run_tracking',
           'TrackerConfig', 'track_detections', 'Tracklet', 'TrackletEmbeddings',
           'tracklet_embeddings', 'tracklets_from_boxes']
