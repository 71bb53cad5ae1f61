"""What a library owns on disk, and who may change it.

- The library folder carries a marker file; a folder that holds other files and no marker is refused, so
  the library never writes into (or deletes from) a folder that is not its own.
- One process at a time changes a library: it holds an OS file lock on `writer.lock`. Readers never take
  it. The lock goes away with the process (a kill included), so a dead writer never blocks the next one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO

from indexing.errors import LibraryError

MARKER = "qwenrag-library.json"
LOCK_FILE = "writer.lock"
DATABASE = "library.sqlite3"
# What file managers leave in any folder they show: not "other files".
_SYSTEM_FILES = {".DS_Store", "Thumbs.db", "desktop.ini", ".directory", ".localized"}


def claim_folder(folder: Path) -> None:
    """Create or accept `folder` as a library folder, or refuse it when it holds someone else's files."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if (folder / MARKER).is_file():
            return
        others = [p.name for p in folder.iterdir() if p.name not in _SYSTEM_FILES]
    except OSError as exc:
        raise LibraryError(f"The library folder {folder} cannot be created: {exc}") from exc
    # A library made before the marker existed holds its database: adopt it.
    if others and DATABASE not in others:
        shown = ", ".join(sorted(others)[:3]) + (", …" if len(others) > 3 else "")
        raise LibraryError(
            f"The folder {folder} already holds other files ({shown}). QwenRAG keeps its library in a folder "
            "of its own: choose an empty or new folder."
        )
    note = {"qwenrag_library": 1, "note": "This folder is a QwenRAG library. Files QwenRAG did not create "
            "here are never touched."}
    try:
        (folder / MARKER).write_text(json.dumps(note, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise LibraryError(f"The library folder {folder} is not writable: {exc}") from exc


class WriterLock:
    """An inter-process, non-blocking lock; also excludes a second holder in the same process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def try_acquire(self) -> bool:
        if self._fh is not None:
            return True
        try:
            fh = open(self.path, "a+b")  # noqa: SIM115 - kept open while the lock is held
        except OSError as exc:
            raise LibraryError(f"The library at {self.path.parent} is not writable: {exc}") from exc
        try:
            _lock(fh)
        except OSError:
            fh.close()
            return False
        self._fh = fh
        return True

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            try:
                _unlock(fh)
            finally:
                fh.close()


if sys.platform == "win32":
    import msvcrt

    def _lock(fh: IO[bytes]) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(fh: IO[bytes]) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fh: IO[bytes]) -> None:
        # flock locks belong to the open file: two Library objects in one process exclude each other too.
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fh: IO[bytes]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

