"""Expanding what the user dropped (files and folders) into the files to index."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Found:
    path: Path  # absolute, resolved
    root: Path | None  # the folder the user added, when it came from one


def expand(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Found]:
    """Files as given, folders recursively (sorted, no hidden entries, symlink loops avoided)."""
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw).expanduser()
        try:
            p = p.resolve()
        except OSError:
            p = p.absolute()
        if p.is_dir():
            for file in _walk(p):
                if file not in seen:
                    seen.add(file)
                    yield Found(file, p)
        elif p not in seen:
            seen.add(p)
            yield Found(p, None)


def _walk(root: Path) -> Iterator[Path]:
    visited: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
            key = (st.st_dev, st.st_ino)
            if key in visited:
                continue
            visited.add(key)
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        subdirs: list[Path] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue  # hidden files and folders (.git, .DS_Store) are not the user's documents
            try:
                if entry.is_dir():
                    subdirs.append(Path(entry.path))
                elif entry.is_file():
                    yield Path(entry.path).resolve()
            except OSError:
                continue
        stack.extend(reversed(subdirs))
