"""Issue 11's bars for the library, measured through real processes:

    searches   `qwenrag index` on a 1,500-file folder (first time, then with every file changed) while a
               second process searches it over and over (opening the library afresh each time, as
               `qwenrag search` does) and `qwenrag search` itself runs now and then: how many succeed
               (no error; and for the re-index, the right file with its old or its new text)
    orphans    SIGKILL a process that indexes with 2 parsing workers (paused as during an answer, and busy):
               how long until no worker is left
    repair     `qwenrag repair` on the 1,500-file library

    .venv/bin/python tests/bench/bench_library_robustness.py [--files 1500]
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from common import ROOT, table

from tests.helpers import write_text
from tests.library_procs import item_word


def _corpus(folder: Path, n: int, version: str) -> None:
    for i in range(n):
        body = "\n\n".join(f"Report {item_word(i)} version {version}, part {p}: figures for the quarter."
                           for p in range(12))
        write_text(folder, f"f{i:04d}.txt", body)


def searches_during_index(folder: Path, library: Path, n: int, first: bool) -> list[object]:
    stop = library.parent / "stop"
    stop.unlink(missing_ok=True)
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.library_procs", "reader", str(library), str(n), str(stop)]
        + (["first"] if first else []),
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
    t0 = time.perf_counter()
    writer = subprocess.Popen([sys.executable, "-m", "qwenrag", "index", str(folder), "--library", str(library),
                               "--json"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    cli_ok = cli_total = 0
    while writer.poll() is None:
        r = subprocess.run([sys.executable, "-m", "qwenrag", "search", item_word(cli_total % n), "--library",
                            str(library), "--json"], cwd=ROOT, capture_output=True, text=True)
        cli_total += 1
        cli_ok += r.returncode == 0
    seconds = time.perf_counter() - t0
    stop.touch()
    out = json.loads(reader.communicate(timeout=120)[0].splitlines()[-1])
    ok = out["searches"] - len(out["failures"])
    attempts = out["searches"] + len(out["errors"])
    return [
        "first index" if first else "re-index, all changed", n, f"{seconds:.1f}", writer.returncode,
        f"{ok}/{attempts} ({100 * ok / max(1, attempts):.1f}%)", f"{out['old']}/{out['new']}",
        f"{cli_ok}/{cli_total}", "; ".join((out["errors"] + out["failures"])[:2]) or "-",
    ]


def orphans(folder: Path, tmp: Path, mode: str) -> list[object]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.library_procs", "indexer", str(tmp / f"lib-{mode}"),
                             str(folder), mode], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    workers = [psutil.Process(p) for p in json.loads(proc.stdout.readline())]
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    t0 = time.perf_counter()
    proc.wait()
    alive = workers
    while alive and time.perf_counter() - t0 < 10:
        time.sleep(0.02)
        alive = [w for w in alive if _running(w)]
    return [mode, len(workers), f"{time.perf_counter() - t0:.2f}", len(alive)]


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1500)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        folder, library = tmp / "docs", tmp / "lib"
        _corpus(folder, args.files, "old")
        rows = [searches_during_index(folder, library, args.files, first=True)]
        _corpus(folder, args.files, "new")
        rows.append(searches_during_index(folder, library, args.files, first=False))
        print(table(["run", "files", "index s", "exit", "reader searches ok", "old/new seen", "CLI searches ok",
                     "failures"], rows))
        print()
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "qwenrag", "repair", "--library", str(library), "--json"],
                           cwd=ROOT, capture_output=True, text=True, check=True)
        print(f"repair: {json.loads(r.stdout)} in {time.perf_counter() - t0:.1f} s (process start included)")
        print()
        big = tmp / "big"
        for i in range(12):
            write_text(big, f"big{i:02d}.txt", "\n\n".join(f"Paragraph {p}: " + "words " * 60 for p in range(6000)))
        print(table(["workers when killed", "workers", "s until none left", "left after 10 s"],
                    [orphans(big, tmp, "pause"), orphans(big, tmp, "busy")]))


if __name__ == "__main__":
    main()
