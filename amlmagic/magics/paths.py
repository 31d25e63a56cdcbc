"""The folder a command writes into (`--download-path`, `export --dir`): refused in one line when
it is a file or lies under one, and a write the system refuses (no permission, a read-only or
special filesystem) is one line naming the folder, not a traceback."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from ..errors import BackendError, UsageError

__all__ = ["output_folder", "writing_into"]


def output_folder(cwd: Path, given: str | None, default: Path, flag: str) -> Path:
    """`given` (relative to the notebook's folder) or `default`, once nothing on the way to it is
    a file."""
    folder = (cwd / Path(given).expanduser()) if given else default
    for ancestor in (folder, *folder.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                where = "is" if ancestor == folder else f"is under {ancestor}, which is"
                raise UsageError(f"{flag} {folder} {where} a file, not a folder: give a folder")
            break
    return folder


@contextlib.contextmanager
def writing_into(folder: Path, flag: str) -> Iterator[Path]:
    try:
        yield folder
    except OSError as exc:
        at = f" at {exc.filename}" if exc.filename and str(exc.filename) != str(folder) else ""
        raise BackendError(f"could not write into {folder} ({exc.strerror or exc}{at}): give another {flag}") from None
