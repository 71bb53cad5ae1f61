"""The sample documents shipped with the app (samples/), offered when the library is empty.

The README promises that with nothing configured the app runs on the demo model and offers these, so a
first run has something to ask about. Where they are (project root from source, the bundle when packaged)
is qwenrag.bundle's business.
"""

from __future__ import annotations

from pathlib import Path

from indexing.filetypes import is_supported_name
from qwenrag.bundle import samples_dir

_NOT_SAMPLES = frozenset({"readme.md"})  # describes the samples; not a document to ask about


def sample_files(folder: Path | None = None) -> list[Path]:
    """The sample documents to index: the supported files of samples/, without its README."""
    folder = folder if folder is not None else samples_dir()
    if folder is None:
        return []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if p.is_file() and is_supported_name(p)
                  and p.name.lower() not in _NOT_SAMPLES and not p.name.startswith("."))
