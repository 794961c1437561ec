"""The errors a user can fix (missing or stale data, a bad value, a diverged loss): their
message says what is wrong and what to do, so the tools print it without a stack trace, the
tracking pipeline marks the camera it belongs to, and the cross-dataset matrix records a
missing cell. :data:`USER_ERRORS` is the one list of them."""


class UserError(Exception):
    """An error of posereid's own that the user can fix; its message says how."""


#: Everything the tools report in one line instead of a stack trace.
USER_ERRORS = (FileNotFoundError, NotADirectoryError, ValueError, UserError)
