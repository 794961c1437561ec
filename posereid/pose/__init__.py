"""Pose: the AIC-14 body model, pose backends, Spindle Net body regions and the heatmap cache.

Names are imported on first use, so ``import posereid.pose.keypoints`` (e.g. in the synthetic
world's worker processes) does not pay for torch; mmpose and MediaPipe are imported only when
their backend is built.
"""
import importlib

_EXPORTS = {
    'build_pose_backend': 'backends',
    'PoseBackend': 'base', 'PoseOutput': 'base', 'render_gaussian_heatmaps': 'base',
    'HeatmapCache': 'cache', 'StaleCacheError': 'cache', 'verify_cache': 'cache',
    'build_cache_for_images': 'cache_build', 'merge_shards': 'cache_build',
    'precompute_heatmaps': 'cache_build', 'predict_images': 'predict',
    'REGION_NAMES': 'regions', 'keypoints_from_heatmaps': 'regions', 'region_boxes': 'regions',
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(f'.{_EXPORTS[name]}', __name__), name)
