"""The sample documents shipped with the app (samples/), offered when the library is empty.

The README promises that with nothing configured the app runs on the demo model and offers these, so a
first run has something to ask about. From source they sit in the project root; in a packaged build in the
bundle (qwenrag.bundle.bundle_dir()).
"""

from __future__ import annotations

from pathlib import Path

SAMPLES_FOLDER = "samples"
SAMPLE_SUFFIXES = frozenset({".pdf", ".docx", ".xlsx", ".txt", ".md"})
_NOT_SAMPLES = frozenset({"readme.md"})  # describes the samples; not a document to ask about


def samples_folder() -> Path | None:
    """samples/ in the bundle (frozen) or the project root (from source); None when absent."""
    roots: list[Path] = []
    try:
        from qwenrag.bundle import bundle_dir

        roots.append(bundle_dir())
    except (ImportError, AttributeError):  # an older core without qwenrag.bundle
        pass
    roots.append(Path(__file__).resolve().parent.parent)  # the project root, next to the ui package
    for root in roots:
        folder = root / SAMPLES_FOLDER
        if folder.is_dir():
            return folder
    return None


def sample_files(folder: Path | None = None) -> list[Path]:
    """The sample documents to index: the supported files of samples/, without its README."""
    folder = folder if folder is not None else samples_folder()
    if folder is None:
        return []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if p.is_file() and p.suffix.lower() in SAMPLE_SUFFIXES
                  and p.name.lower() not in _NOT_SAMPLES and not p.name.startswith("."))
