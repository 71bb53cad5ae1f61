"""Processes the robustness tests start: `python -m tests.library_procs reader|paused-indexer ...`.

reader LIBRARY N STOPFILE [first]: until STOPFILE exists, open the library afresh (as `qwenrag search`
    does), search `itemNNN` for a random file and check the top hit is that file, with its old or its new
    text ("first": the folder is being indexed for the first time, so a file not reached yet is not found).
    Prints "ready", then one JSON summary line.
indexer LIBRARY FOLDER pause|busy: index FOLDER with 2 parsing workers; after the first file, pause
    indexing (as an answer does) or not, print the worker pids as JSON and wait to be killed.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from indexing.library import Library


def item_word(i: int) -> str:
    """A word only file i contains, in every version ("item" plus letters: no digits to split on)."""
    return "item" + "".join(chr(ord("a") + int(d)) for d in f"{i:04d}")


def reader(library: str, n: int, stop_file: str, first: bool = False) -> None:
    rng = random.Random(7)
    stop = Path(stop_file)
    out = {"searches": 0, "errors": [], "failures": [], "old": 0, "new": 0}
    print("ready", flush=True)
    while not stop.exists():
        i = rng.randrange(n)
        try:
            with Library.open(library) as lib:
                hits = lib.search(item_word(i), k=1)
        except Exception as exc:  # what the test counts: any failure at all
            out["errors"].append(f"{type(exc).__name__}: {exc}")
            continue
        out["searches"] += 1
        if first and (not hits or not hits[0].file.endswith(f"f{i:04d}.txt")):
            continue  # not indexed yet: no hit, or a near spelling's file (indexing.spelling)
        if not hits or not hits[0].file.endswith(f"f{i:04d}.txt"):
            out["failures"].append(f"{item_word(i)}: {hits[0].file if hits else 'no hit'}")
        elif "version old" in hits[0].text:
            out["old"] += 1
        elif "version new" in hits[0].text:
            out["new"] += 1
        else:
            out["failures"].append(f"{item_word(i)}: neither version: {hits[0].text[:80]}")
    print(json.dumps(out), flush=True)


def indexer(library: str, folder: str, mode: str) -> None:
    lib = Library.open(library)
    run = lib.add([folder], workers=2)  # kept referenced: its worker pool lives until we are killed
    while next(run).kind != "file_done":
        pass
    if mode == "pause":
        lib.pause_indexing()
    pool = lib._pool
    print(json.dumps([s.process.pid for s in pool._slots] if pool else []), flush=True)
    if mode == "pause":
        time.sleep(3600)
    for _event in run:  # busy: keep indexing until killed
        pass
    time.sleep(3600)


if __name__ == "__main__":
    if sys.argv[1] == "reader":
        reader(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:] == ["first"])
    elif sys.argv[1] == "indexer":
        indexer(sys.argv[2], sys.argv[3], sys.argv[4])
