"""Opening files of an import folder: regular files only, never through a symbolic link.

An import folder is input like any upload: ``NAME.webm -> /etc/passwd`` must not be
archived, a FIFO must not block the import, ``NAME.info.json -> /dev/zero`` must not be read
until memory runs out. A check before opening is not enough (the name can be swapped in
between), so the open itself refuses links (``O_NOFOLLOW``) and never waits for a writer
(``O_NONBLOCK``), and what was opened is checked with ``fstat``.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from pathlib import Path
from typing import BinaryIO


class NotRegularFile(OSError):
    """A path that is a symbolic link, a FIFO, a device or a folder."""


def why_not_regular(path: Path) -> str | None:
    """Why ``path`` is not read as a regular file (``"is a FIFO"``), or None if it is one."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return exc.strerror or "cannot be read"
    if stat.S_ISREG(mode):
        return None
    return "is a symbolic link" if stat.S_ISLNK(mode) else f"is {_describe(mode)}"


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file; else NotRegularFile."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile(errno.ELOOP, "is a symbolic link, not a regular file") from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, f"is {_describe(mode)}, not a regular file")
        # O_NONBLOCK means nothing for a regular file, so reads behave as usual.
        return io.BufferedReader(io.FileIO(fd, "rb", closefd=True))
    except BaseException:
        os.close(fd)
        raise


def read_capped(path: Path, max_bytes: int) -> bytes:
    """A regular file's bytes, refused while reading once there are more than ``max_bytes``.

    The cap holds while reading, not by a size looked up beforehand, so a file that grows
    (or a name swapped for another) cannot make the import read more.
    """
    with open_regular(path) as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooLarge(max_bytes)
    return data


class FileTooLarge(ValueError):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"is larger than {max_bytes // 1024 // 1024} MiB")
        self.max_bytes = max_bytes


def _describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
