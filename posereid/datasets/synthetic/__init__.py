"""The embedded synthetic pedestrian world: posereid's default data, generated, not downloaded.

Seeded and deterministic: identities with a persistent appearance (:mod:`.identity`) walk past
cameras with their own look (:mod:`.camera`), are drawn with 14 ground-truth AIC keypoints
(:mod:`.render`) and written in Market-1501 / CUHK01 layouts with COCO keypoint annotations
(:mod:`.world`). :mod:`.video` films them walking along a street of cameras: MOTChallenge
sequences with global identities. Sizes and styles are :mod:`.config` dataclasses;
``PRESETS`` names the ``small``, ``default`` and ``market`` (full Market-1501 scale) worlds.
"""
from .camera import Camera, View, sample_camera, sample_view
from .config import (PRESETS, ClothingStyle, DomainConfig, SceneStyle, WorldConfig,
                     default_world, market_scale_world, small_world)
from .identity import Identity, sample_identity
from .render import render_view
from .video import VideoWorldConfig, generate_video_world, is_video_world_complete, render_frame
from .world import generate_world, is_complete

__all__ = [
    'WorldConfig', 'DomainConfig', 'ClothingStyle', 'SceneStyle', 'PRESETS', 'default_world',
    'small_world', 'market_scale_world', 'Identity', 'sample_identity', 'Camera', 'View',
    'sample_camera', 'sample_view', 'render_view', 'generate_world', 'is_complete',
    'VideoWorldConfig', 'generate_video_world', 'is_video_world_complete', 'render_frame',
]
