"""Opening an OLE2 compound file (the container of .doc/.xls/.ppt and WPS files) with olefile.

Every failure comes out as a FileProblem, and a stream is read only when its size is within the limits:
a damaged directory can declare any size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexing.errors import FileProblem, ProblemKind
from indexing.limits import Limits


def open_ole(path: Path | Any) -> Any:
    """An olefile.OleFileIO for a path or a file-like object; CORRUPT if the container cannot be read."""
    import olefile

    try:
        return olefile.OleFileIO(path if not isinstance(path, Path) else str(path))
    except OSError as exc:
        if getattr(exc, "errno", None):
            raise FileProblem(ProblemKind.UNREADABLE, f"{type(exc).__name__}: {exc}") from exc
        raise FileProblem(ProblemKind.CORRUPT, f"OLE2 container: {exc}") from exc
    except (ValueError, IndexError, TypeError, AssertionError) as exc:
        raise FileProblem(ProblemKind.CORRUPT, f"OLE2 container: {exc!r}") from exc


def read_stream(ole: Any, name: str, limits: Limits) -> bytes:
    try:
        size = ole.get_size(name)
        if size > limits.max_member_bytes:
            raise FileProblem(ProblemKind.TOO_LARGE, f"stream {name!r} declares {size} bytes")
        with ole.openstream(name) as fh:
            return fh.read()
    except FileProblem:
        raise
    except (OSError, ValueError, IndexError, TypeError, AssertionError) as exc:
        raise FileProblem(ProblemKind.CORRUPT, f"stream {name!r}: {exc!r}") from exc


def stream_names(ole: Any) -> dict[str, str]:
    """Lower-cased path -> real path of every stream ('WORKBOOK' and 'Workbook' both occur)."""
    return {"/".join(entry).lower(): "/".join(entry) for entry in ole.listdir()}
