"""File output that is never half-written (write to a temporary sibling, then rename, or append
whole lines in one write), and reading it back."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import IO, Iterator


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = 'w', **open_kwargs) -> Iterator[IO]:
    """Open a temporary file next to ``path``; on success rename it onto ``path``.

    On an exception the temporary file is removed and ``path`` is left as it was, so a
    reader never sees partial output. Parent folders are created. The file gets the usual
    permissions (``0o666`` less the process's umask, applied by the kernel).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f'.{path.name}.{secrets.token_hex(8)}.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def append_lines(path: str | os.PathLike, text: str) -> None:
    """Append ``text`` (whole lines, each ending in a newline) to ``path`` in one ``write`` of a
    file opened for appending, so that a reader sees the lines before or after, never a part
    (a write to a local file is not split). Parent folders are created."""
    if text and not text.endswith('\n'):
        raise ValueError(f'{path}: append whole lines (the text must end with a newline)')
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    try:
        data = text.encode('utf-8')
        while data:                       # a short write (a full disk) continues, or raises
            data = data[os.write(fd, data):]
    finally:
        os.close(fd)


def atomic_save_json(obj, path: str | os.PathLike, **dump_kwargs) -> None:
    """``json.dump`` ``obj`` to ``path`` atomically (indent 2 unless given)."""
    dump_kwargs.setdefault('indent', 2)
    with atomic_write(path, 'w', encoding='utf-8') as f:
        json.dump(obj, f, **dump_kwargs)
        f.write('\n')


def read_json(path: str | os.PathLike):
    """The JSON document in ``path`` (UTF-8); a ValueError naming the file if it is not JSON."""
    try:
        return json.loads(Path(path).read_text(encoding='utf-8'))
    except json.JSONDecodeError as error:
        raise ValueError(f'{path} is not valid JSON ({error}); delete or mend it') from None


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    """Hex SHA-256 of a file's bytes, read in ``chunk``-byte blocks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()
