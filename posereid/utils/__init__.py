from .io import atomic_save_json, atomic_write
from .paths import checkpoints_root, data_root

__all__ = ['atomic_write', 'atomic_save_json', 'data_root', 'checkpoints_root']
