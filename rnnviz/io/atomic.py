"""Atomic file writes: the file on disk is either the old one or the new one.

A crash, a full disk or an exception while serialising must never leave a
half-written session file behind (a teacher's lecture would be lost). So we

1. write into a temporary file in the *same directory* (``os.replace`` is
   only atomic within one file system),
2. flush Python's buffer and ``fsync`` the data to the disk,
3. ``os.replace`` the temporary file onto the target (atomic on POSIX and
   Windows), then ``fsync`` the directory so the rename itself is durable.

On any failure, including KeyboardInterrupt, the temporary file is removed
and the original file is untouched. The new file keeps the permissions of
the file it replaces; a new file gets the usual ``0o666 & ~umask``. A symlink
is followed, so the link keeps pointing at the (updated) real file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterable

__all__ = ["atomic_write_bytes", "atomic_write_text"]


def atomic_write_text(path: str | os.PathLike, text: str | Iterable[str]) -> None:
    """Write ``text`` (a string, or chunks of one) as UTF-8, atomically.

    Chunks let a serialiser stream its output; if it raises halfway, the
    original file is kept as it was.
    """
    if isinstance(text, str):
        atomic_write_bytes(path, text.encode("utf-8"))
    else:
        atomic_write_bytes(path, (chunk.encode("utf-8") for chunk in text))


def atomic_write_bytes(path: str | os.PathLike, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (bytes, or chunks of bytes) to ``path`` atomically."""
    target = os.path.realpath(os.fspath(path))  # follow a symlink to the real file
    directory = os.path.dirname(target)
    fd, tmp = _create_temp(directory, os.path.basename(target))
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in [data] if isinstance(data, bytes | bytearray) else data:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        _copy_mode(target, tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _create_temp(directory: str, base: str) -> tuple[int, str]:
    """A new, exclusively created file next to the target (mode 0o666 & ~umask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # astronomically unlikely: try another name
            continue
    raise FileExistsError(f"could not create a temporary file in {directory}")


def _copy_mode(target: str, tmp: str) -> None:
    # Replacing a file should not silently change who may read it.
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    os.chmod(tmp, mode)


def _fsync_directory(directory: str) -> None:
    """Make the rename durable (POSIX); harmless where directories cannot be opened."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the data itself is safe
    finally:
        os.close(fd)
