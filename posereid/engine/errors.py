"""The errors a user can fix (missing data, cache or checkpoint, a bad value, a diverged loss):
their message says what is wrong and what to do, so tools print it without a stack trace, and
the cross-dataset matrix records it as a missing cell."""
from posereid.pose.heatmap_cache import StaleCacheError

from .hooks import InvalidLossError

USER_ERRORS = (FileNotFoundError, NotADirectoryError, ValueError, StaleCacheError,
               InvalidLossError)
