"""A kill at any moment leaves a library that opens, with no half-indexed file, and the next run continues."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexing.library import Library
from tests.conftest import PROJECT_ROOT
from tests.helpers import write_text


def _corpus(folder: Path, n: int) -> None:
    for i in range(n):
        body = "\n\n".join(f"File {i} paragraph {p}: the unique marker is zeta{i}x{p}." for p in range(40))
        write_text(folder, f"f{i:03d}.txt", body)


def _integrity(library: Path) -> dict[str, int]:
    """Every document's recorded chunk count matches its stored chunks; nothing is half-written."""
    db = sqlite3.connect(library / "library.sqlite3")
    try:
        rows = db.execute(
            "SELECT d.path, d.status, d.chunks, (SELECT count(*) FROM chunks c WHERE c.doc_id = d.id) FROM documents d"
        ).fetchall()
    finally:
        db.close()
    statuses: dict[str, int] = {}
    for path, status, recorded, actual in rows:
        assert recorded == actual, f"{path}: {recorded} recorded, {actual} stored"
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [3, 17])
def test_kill_during_indexing_leaves_usable_library(tmp_path: Path, kill_after: int) -> None:
    folder = tmp_path / "docs"
    _corpus(folder, 40)
    library = tmp_path / "lib"
    proc = subprocess.Popen(
        [sys.executable, "-m", "qwenrag", "index", str(folder), "--library", str(library), "--json", "--workers", "0"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert proc.stdout is not None
    done = 0
    for line in proc.stdout:
        if json.loads(line)["status"] == "indexed":
            done += 1
        if done >= kill_after:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the indexer finished before it could be killed"

    before = _integrity(library)
    assert sum(before.values()) >= kill_after
    with Library.open(library) as lib:  # opening recovers: files left 'indexing' become searchable
        statuses = {d.status for d in lib.documents()}
        assert statuses == {"indexed"}
        indexed = len(lib.documents())
        assert indexed >= kill_after
        hit = lib.search("zeta1x5", k=1)
        assert hit and hit[0].file.endswith("f001.txt")
        events = [e for e in lib.add([folder], workers=0) if e.kind == "file_done"]
    assert sum(e.status == "unchanged" for e in events) == indexed
    assert sum(e.status == "indexed" for e in events) == 40 - indexed
    assert _integrity(library) == {"indexed": 40}
    with Library.open(library) as lib:
        for i in (0, 20, 39):
            assert lib.search(f"zeta{i}x7", k=1)[0].file.endswith(f"f{i:03d}.txt")


def test_damaged_search_index_is_rebuilt_from_the_store(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    _corpus(folder, 3)
    with Library.open(tmp_path / "lib") as lib:
        list(lib.add([folder], workers=0))
    for f in (tmp_path / "lib" / "bm25").iterdir():
        if f.is_file() and f.name.endswith(".json"):
            f.write_text("{ not json")
    start = time.perf_counter()
    with Library.open(tmp_path / "lib") as lib:
        assert lib.search("zeta2x3", k=1)[0].file.endswith("f002.txt")
    assert time.perf_counter() - start < 30
