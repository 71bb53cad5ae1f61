"""Indexing throughput per format: the bare parser against the whole library path on the same files.

    bare     open_document() + iterate blocks, in this process (what extraction alone costs)
    lib/1p   Library.add(workers=0): parse + chunk + analyze + SQLite + search index, in this process
    lib/Np   Library.add() with the default parsing worker processes (all cores)

Also: the 55-page Chinese manual (alibaba-p3c) and a generated 100k-row sheet through `qwenrag index`.

    .venv/bin/python tests/bench/bench_indexing.py
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, SHARED, table

from indexing.errors import FileProblem
from indexing.library import Library
from indexing.parsers import open_document


def _files(kind: str, limit: int) -> list[Path]:
    folder = SHARED / kind
    if not folder.is_dir():
        return []
    suffixes = {"pdf": {".pdf"}, "docx": {".docx"}, "xlsx": {".xlsx"}}[kind]
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in suffixes)
    return files[:limit]


def bare(files: list[Path]) -> tuple[float, int]:
    t0 = time.perf_counter()
    chars = 0
    for f in files:
        with contextlib.suppress(FileProblem):
            chars += sum(len(b.text) for b in open_document(f).blocks)
    return time.perf_counter() - t0, chars


def through_library(files: list[Path], workers: int | None) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp, Library.open(Path(tmp) / "lib") as lib:
        t0 = time.perf_counter()
        list(lib.add(files, workers=workers))
        return time.perf_counter() - t0, lib.store.count_chunks()


def cli_index(path: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "qwenrag", "index", str(path), "--library", f"{tmp}/lib"],
                       cwd=ROOT, check=True, capture_output=True)
        return time.perf_counter() - t0


def make_sheet(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Assets")
    ws.append(["Asset ID", "Name", "Owner", "Department", "Bought", "Price"])
    import datetime as dt

    for i in range(rows):
        ws.append([f"A{i:06d}", f"Laptop model {i % 97}", f"Employee {i % 5000}", f"Dept {i % 40}",
                   dt.date(2020, 1, 1) + dt.timedelta(days=i % 1500), 1000 + (i % 3000) * 1.5])
    wb.save(path)


def main() -> None:
    rows = []
    for kind, limit in (("pdf", 120), ("docx", 120), ("xlsx", 60)):
        files = _files(kind, limit)
        if not files:
            continue
        b, chars = bare(files)
        one, chunks = through_library(files, 0)
        many, _ = through_library(files, None)
        rows.append([kind, len(files), chars, chunks, b, one, many, f"{one / b:.2f}", f"{many / b:.2f}"])
    if rows:
        print(table(["format", "files", "chars", "chunks", "bare s", "lib/1p s", "lib/Np s", "1p/bare",
                     "Np/bare"], rows))
    else:
        print("../shared/corpora is absent: per-format comparison skipped")
    print()
    manual = next((SHARED / "pdf" / "alibaba-p3c").glob("*.pdf"), None) if SHARED.is_dir() else None
    extra = []
    if manual:
        extra.append(["alibaba-p3c manual (55 p.) via qwenrag index", cli_index(manual), "< 2 s"])
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "assets_100k.xlsx"
        make_sheet(sheet, 100_000)
        extra.append(["100k-row sheet via qwenrag index", cli_index(sheet), "< 5 s"])
    print(table(["what", "seconds (process start to exit)", "bar"], extra))


if __name__ == "__main__":
    main()
