"""Issue 11: readers never wait for a writer, no orphaned workers, repair without losing anything, the last
good version kept, vanished files leave. Real processes, real files, the real library."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from indexing import analysis
from indexing.errors import LibraryError
from indexing.library import Library
from indexing.ownership import LOCK_FILE, MARKER, WriterLock
from tests.conftest import PROJECT_ROOT
from tests.helpers import json_lines, run_cli, write_text
from tests.library_procs import item_word


def _versioned(folder: Path, n: int, version: str, paragraphs: int = 12) -> None:
    for i in range(n):
        body = "\n\n".join(
            f"Report {item_word(i)} version {version}, part {p}: figures for the quarter and the notes."
            for p in range(paragraphs)
        )
        write_text(folder, f"f{i:04d}.txt", body)


def _small_library(tmp_path: Path, n: int = 3) -> tuple[Path, Path]:
    folder, library = tmp_path / "docs", tmp_path / "lib"
    _versioned(folder, n, "old", paragraphs=3)
    with Library.open(library) as lib:
        assert sum(e.status == "indexed" for e in lib.add([folder], workers=0)) == n
    return folder, library


def _damage_segments(library: Path) -> None:
    """Overwrite the term dictionaries in place, as a bad disk sector or a crashed copy would."""
    damaged = 0
    for f in (library / "bm25").iterdir():
        if f.suffix == ".term":
            with open(f, "r+b") as fh:  # in place, same size: an index open in this process maps it
                fh.write(b"\xff" * f.stat().st_size)
            damaged += 1
    assert damaged


# -- 1. readers never wait for a writer ---------------------------------------------------------------
@pytest.mark.slow
def test_searches_from_another_process_all_succeed_while_a_folder_is_reindexed(tmp_path: Path) -> None:
    n = 300
    folder, library = tmp_path / "docs", tmp_path / "lib"
    _versioned(folder, n, "old")
    with Library.open(library) as lib:
        list(lib.add([folder], workers=0))
    _versioned(folder, n, "new")  # every file changes: each must be found, old or new, never missing
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.library_procs", "reader", str(library), str(n), str(stop)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
    index_cmd = [sys.executable, "-m", "qwenrag", "index", str(folder), "--library", str(library), "--json",
                 "--workers", "0"]
    writer = subprocess.Popen(index_cmd, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    first = writer.stdout.readline()  # the first file is written: a second writer must now wait its turn
    second = run_cli("index", str(folder), "--library", str(library), "--json", "--workers", "0")
    during = run_cli("search", item_word(5), "--library", str(library), "--json")  # the CLI path too
    out = writer.stdout.read()  # not communicate(): it would skip what readline() buffered
    assert writer.stderr is not None
    err = writer.stderr.read()
    writer.wait(timeout=600)
    stop.touch()
    summary = json.loads(reader.communicate(timeout=120)[0].splitlines()[-1])

    assert writer.returncode == 0, err
    assert second.returncode == 0, second.stderr
    assert during.returncode == 0 and json.loads(during.stdout)[0]["file"].endswith("f0005.txt"), during.stderr
    assert summary["errors"] == [], summary["errors"][:5]
    assert summary["failures"] == [], summary["failures"][:5]
    assert summary["searches"] >= 10
    assert summary["old"] > 0 and summary["new"] > 0, summary  # the reader did run during the update
    # The second writer ran after the first, whole: it saw every file already at its new version.
    assert [r["status"] for r in json_lines(second.stdout)] == ["unchanged"] * n
    assert len(json_lines(first + out)) == n
    with Library.open(library) as lib:
        assert {d.status for d in lib.documents()} == {"indexed"}
        assert lib.store.count_chunks() == sum(d.chunks for d in lib.documents())
        assert all("version new" in h.text for h in lib.search(item_word(7), k=3))


def test_a_second_writer_waits_with_a_message_and_then_runs(tmp_path: Path) -> None:
    folder, library = _small_library(tmp_path)
    _versioned(folder, 3, "new", paragraphs=3)
    held = WriterLock(library / LOCK_FILE)
    assert held.try_acquire()  # another process's run, as far as the library can tell
    try:
        run = Library.open(library).add([folder], workers=0)
        first, again = next(run), next(run)  # repeated while it waits: a caller can cancel in between
        assert first.kind == again.kind == "waiting" and "Another QwenRAG process" in (first.reason or "")
    finally:
        held.release()
    events = list(run)
    assert "waiting" not in {e.kind for e in events}
    assert [e.status for e in events if e.kind == "file_done"] == ["indexed"] * 3


def test_a_removal_waits_for_another_writer_with_events_then_removes(tmp_path: Path) -> None:
    folder, library = _small_library(tmp_path)
    _versioned(folder, 3, "new", paragraphs=3)
    with Library.open(library) as lib:
        list(lib.add([folder], workers=0))
        victim = sorted(d.path for d in lib.documents())[0]
        held = WriterLock(library / LOCK_FILE)
        assert held.try_acquire()
        try:
            run = lib.removing([victim])
            first, again = next(run), next(run)  # no deadline: it says so for as long as it waits
            assert first.kind == again.kind == "waiting" and "Another QwenRAG process" in (first.reason or "")
            assert lib.document(victim) is not None
        finally:
            held.release()
        events = list(run)
        assert [(e.kind, e.path, e.status) for e in events if e.kind == "file_done"] == [
            ("file_done", victim, "removed")]
        assert events[-1].kind == "finished" and events[-1].counts == {"removed": 1}
        assert lib.document(victim) is None and len(lib.documents()) == 2


def test_a_second_qwenrag_index_says_it_waits_then_indexes(tmp_path: Path) -> None:
    folder, library = _small_library(tmp_path)
    _versioned(folder, 3, "new", paragraphs=3)
    held = WriterLock(library / LOCK_FILE)
    assert held.try_acquire()
    proc = subprocess.Popen([sys.executable, "-m", "qwenrag", "index", str(folder), "--library", str(library),
                             "--json", "--workers", "0"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None and proc.stdout is not None
    try:
        line = proc.stderr.readline()
    finally:
        held.release()
    assert "Another QwenRAG process is changing this library; waiting for it to finish" in line
    assert [r["status"] for r in json_lines(proc.stdout.read())] == ["indexed"] * 3
    assert "waiting" not in proc.stderr.read()  # said once
    assert proc.wait(timeout=60) == 0


def test_a_file_mid_update_is_found_whole_at_its_old_version(tmp_path: Path) -> None:
    folder, library = tmp_path / "docs", tmp_path / "lib"
    _versioned(folder, 2, "old", paragraphs=80)
    with Library.open(library) as lib:
        list(lib.add([folder], workers=0))
    old = folder / "f0001.txt"
    _versioned(folder, 2, "new", paragraphs=80)
    with Library.open(library) as lib:  # the new version is in the store, the search index not committed yet
        from indexing.ingest import parse_file

        parsed = parse_file(str(old))
        doc = lib.document(old)
        assert doc is not None
        record = replace(doc, status="indexing", chunks=len(parsed.chunks))
        lib.store.write_document(record, parsed.chunks)
        hit = lib.search(item_word(1), k=1)[0]
        assert hit.file == str(old) and "version old" in hit.text
        context = lib.chunk_context(hit.chunk_id, before=5, after=5)
        assert len(context) > 1 and all("version old" in text for _c, text, _l, _is in context)
        assert all("version new" in t for _c, _o, t, _l, _h in lib.store.chunks_of(doc.doc_id))


def test_opening_while_another_process_writes_does_not_recover_its_files(tmp_path: Path) -> None:
    _folder, library = _small_library(tmp_path)
    with Library.open(library) as lib:
        doc = lib.documents()[0]
        lib.store.set_status([doc.doc_id], "indexing")  # in flight in the writer that holds the lock
    held = WriterLock(library / LOCK_FILE)
    assert held.try_acquire()
    try:
        with Library.open(library) as reader:
            assert reader.document(doc.path).status == "indexing"  # left to its writer
            assert reader.search(item_word(0), k=1)[0].file == doc.path
    finally:
        held.release()
    with Library.open(library) as lib:  # no writer now: what was left 'indexing' is finished
        assert lib.document(doc.path).status == "indexed"


# -- 2. no orphaned or frozen workers ------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["pause", "busy"])
def test_no_parsing_worker_survives_a_killed_app(tmp_path: Path, mode: str) -> None:
    folder, library = tmp_path / "docs", tmp_path / "lib"
    for i in range(12):  # large enough that workers are mid-file when paused or killed
        write_text(folder, f"big{i:02d}.txt", "\n\n".join(f"Paragraph {p} of file {i}: " + "words " * 60
                                                          for p in range(6000)))
    proc = subprocess.Popen([sys.executable, "-m", "tests.library_procs", "indexer", str(library), str(folder), mode],
                            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pids = json.loads(proc.stdout.readline())
    assert len(pids) == 2 and all(psutil.pid_exists(p) for p in pids)
    workers = [psutil.Process(p) for p in pids]
    time.sleep(0.5)  # let the paused workers reach their wait
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    alive = _alive_after(workers, 2.0)
    assert not alive, f"workers still running 2 s after the app was killed: {[w.pid for w in alive]}"


def _alive_after(procs: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    """Those of `procs` still running (not zombies) `seconds` from now, or as soon as none is."""
    deadline = time.monotonic() + seconds
    alive = procs
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [w for w in alive if _running(w)]
    return alive


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (children of each of its threads, recursively)."""
    out: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = {int(x) for x in (task / "children").read_text().split()}
            except OSError:
                continue
            todo += sorted(kids - out)
            out |= kids
    return out


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="children are found through Linux's /proc")
def test_no_worker_survives_the_window_app_killed_while_it_answers_and_indexes(tmp_path: Path) -> None:
    from tests.model_fixtures import demo_model

    demo_model()  # skips without llama-cpp-python or the demo model, which the app then loads
    folder = tmp_path / "docs"
    for i in range(16):  # enough that parsing workers are still busy when the answer starts
        write_text(folder, f"big{i:02d}.txt", "\n\n".join(f"Paragraph {p} of file {i}: " + "words " * 60
                                                          for p in range(6000)))
    env = dict(os.environ, QWENRAG_DATA_DIR=str(tmp_path / "data"), QWENRAG_CONFIG_DIR=str(tmp_path / "config"),
               QT_QPA_PLATFORM="offscreen")
    env.pop("QWENRAG_LIBRARY", None)
    proc = subprocess.Popen([sys.executable, "-m", "tests.app_procs", "answer-and-index", str(folder),
                             "How many words does each paragraph hold?"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready, _w, _x = select.select([proc.stdout], [], [], 180)  # (a hung app must fail, not hang CI)
        assert ready, "the app never answered while its parsing workers were alive (180 s)"
        line = proc.stdout.readline()  # once the model answers while parsing workers are alive
        assert line, f"the app ended early (exit {proc.wait(timeout=30)})"
        workers = set(json.loads(line)["workers"])
        below = _descendants(proc.pid)
        assert workers and workers <= below, (workers, below)
        watched = [psutil.Process(p) for p in below if psutil.pid_exists(p)]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        alive = _alive_after(watched, 2.0)
        survivors = [(w.pid, w.cmdline()) for w in alive]
        for w in alive:  # a failing run must not leave them behind either
            w.kill()
        assert not survivors, f"still running 2 s after the app was killed: {survivors}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# -- 3. repair without losing anything -----------------------------------------------------------------
def test_analyzer_version_change_rebuilds_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _folder, library = _small_library(tmp_path)
    original = analysis.tokenize

    def tokenize_with_mark(text: str) -> list[str]:
        return [*original(text), "zzmarkword"]

    monkeypatch.setattr(analysis, "tokenize", tokenize_with_mark)
    with Library.open(library) as lib:  # same version: the index is kept as it was built
        assert lib.search("zzmarkword", k=1) == []
        assert lib.take_notices() == []
    monkeypatch.setattr(analysis, "ANALYZER_VERSION", analysis.ANALYZER_VERSION + "-changed")
    with Library.open(library) as lib:
        assert len(lib.search("zzmarkword", k=5)) == 3  # every passage went through the new analyzer
        assert "analyzer changed" in lib.take_notices()[0]


def test_damaged_index_file_next_search_answers_after_a_rebuild(tmp_path: Path) -> None:
    _folder, library = _small_library(tmp_path)
    write_text(library / "bm25", "also-mine.txt", "mine too")
    lib = Library.open(library)  # open before the damage: it shows up in the search
    _damage_segments(library)
    hit = lib.search(item_word(2), k=1)
    assert hit and hit[0].file.endswith("f0002.txt")
    assert "a search failed" in lib.take_notices()[0]
    lib.close()
    _damage_segments(library)
    result = run_cli("search", item_word(1), "--library", str(library), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["file"].endswith("f0001.txt")
    assert "rebuilt from the library: 3 passages" in result.stderr
    assert (library / "bm25" / "also-mine.txt").read_text() == "mine too"


def test_damaged_index_while_another_process_writes_says_how_to_repair(tmp_path: Path) -> None:
    _folder, library = _small_library(tmp_path)
    _damage_segments(library)
    held = WriterLock(library / LOCK_FILE)
    assert held.try_acquire()
    try:
        result = run_cli("search", item_word(1), "--library", str(library))
    finally:
        held.release()
    assert result.returncode == 1
    assert f'qwenrag repair --library "{library}"' in result.stderr
    repaired = run_cli("repair", "--library", str(library), "--json")
    assert repaired.returncode == 0, repaired.stderr
    report = json.loads(repaired.stdout)
    assert (report["status"], report["documents"], report["passages"]) == ("repaired", 3, 3)
    after = run_cli("search", item_word(1), "--library", str(library), "--json")
    assert json.loads(after.stdout)[0]["file"].endswith("f0001.txt") and not after.stderr.strip()


def test_a_repair_cut_short_is_finished_by_the_next_writer(tmp_path: Path) -> None:
    _folder, library = _small_library(tmp_path)
    with Library.open(library) as lib:
        run = lib.repair()
        assert [next(run).kind, next(run).kind] == ["repair", "repair"]  # the passages are re-fed...
        run.close()  # ...and the run is cancelled (or killed) before the index is committed
    with Library.open(library) as lib:
        assert "rebuilt from the library: 3 passages" in lib.take_notices()[0]
        assert lib.search(item_word(2), k=1)[0].file.endswith("f0002.txt")


def test_foreign_files_survive_every_operation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, library = _small_library(tmp_path)
    mine = library / "my notes"
    write_text(mine, "keep.txt", "mine")
    write_text(library / "bm25", "also-mine.txt", "mine too")  # even inside the index folder
    _damage_segments(library)
    with Library.open(library) as lib:  # rebuilt on open: damaged
        assert lib.search(item_word(0), k=1)[0].file.endswith("f0000.txt")
        list(lib.repair())
        lib.remove([folder / "f0002.txt"])
        (folder / "f0001.txt").unlink()
        list(lib.refresh(workers=0))
        list(lib.add([folder], workers=0, force=True))
    monkeypatch.setattr(analysis, "ANALYZER_VERSION", analysis.ANALYZER_VERSION + "-changed")
    with Library.open(library) as lib:
        assert [Path(d.path).name for d in lib.documents()] == ["f0000.txt", "f0002.txt"]
    assert (mine / "keep.txt").read_text() == "mine"
    assert (library / "bm25" / "also-mine.txt").read_text() == "mine too"


def test_a_folder_holding_other_files_is_refused_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "Documents"
    write_text(folder, "thesis.txt", "my thesis")
    with pytest.raises(LibraryError, match="already holds other files"):
        Library.open(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["thesis.txt"]
    result = run_cli("docs", "--library", str(folder))
    assert result.returncode == 1 and "choose an empty or new folder" in result.stderr
    # A library made before the marker existed is adopted.
    _docs, library = _small_library(tmp_path / "old")
    (library / MARKER).unlink()
    with Library.open(library) as lib:
        assert len(lib.documents()) == 3
    assert (library / MARKER).is_file()


def test_a_foreign_bm25_folder_is_refused_not_deleted(tmp_path: Path) -> None:
    _docs, library = _small_library(tmp_path)
    for f in list((library / "bm25").iterdir()):
        f.unlink()
    (library / "bm25").rmdir()
    write_text(library / "bm25", "photo.jpg", "not an index")
    with pytest.raises(LibraryError, match="not QwenRAG's"):
        Library.open(library)
    assert (library / "bm25" / "photo.jpg").read_text() == "not an index"


# -- 4. keep the last good version; vanished files leave -------------------------------------------------
def test_a_failed_reparse_keeps_the_last_good_version(tmp_path: Path) -> None:
    folder, library = _small_library(tmp_path)
    target = folder / "f0001.txt"
    target.write_text("")  # the new version cannot be indexed: empty
    with Library.open(library) as lib:
        assert str(target) in lib.changed_paths()
        [event] = [e for e in lib.refresh(workers=0) if e.kind == "file_done"]
        assert event.status == "failed" and "previously indexed version stays searchable" in (event.reason or "")
        doc = lib.document(target)
        assert doc is not None and doc.status == "indexed" and doc.update_failed
        assert doc.error and "empty" in doc.error and doc.to_json()["update_failed"] is True
        hit = lib.search(item_word(1), k=1)[0]
        assert hit.file == str(target) and "version old" in hit.text
        assert str(target) in lib.changed_paths()  # tried again on the next refresh
        write_text(folder, "f0001.txt", f"Report {item_word(1)} version fixed, all figures restored.")
        assert [e.status for e in lib.refresh(workers=0) if e.kind == "file_done"] == ["indexed"]
        doc = lib.document(target)
        assert doc is not None and not doc.update_failed and doc.error is None
        hits = lib.search(item_word(1), k=5)
        assert [h.text for h in hits if h.file == str(target)] == [
            f"Report {item_word(1)} version fixed, all figures restored."]


def test_deleted_and_moved_files_leave_the_library_on_refresh(tmp_path: Path) -> None:
    folder, library = _small_library(tmp_path, n=4)
    (folder / "f0000.txt").unlink()  # deleted
    (folder / "f0001.txt").rename(tmp_path / "elsewhere.txt")  # moved out of the added folder
    (folder / "f0002.txt").rename(folder / "renamed.txt")  # moved inside it: found again under its new name
    with Library.open(library) as lib:
        events = [e for e in lib.refresh(workers=0) if e.kind in ("file_done", "finished")]
        removed = {Path(e.path).name: e.reason for e in events if e.status == "removed"}
        assert set(removed) == {"f0000.txt", "f0001.txt", "f0002.txt"}
        assert all("no longer there" in (r or "") for r in removed.values())
        assert [Path(e.path).name for e in events if e.status == "indexed"] == ["renamed.txt"]
        assert events[-1].counts["removed"] == 3
        assert sorted(Path(d.path).name for d in lib.documents()) == ["f0003.txt", "renamed.txt"]
        assert [Path(h.file).name for h in lib.search(item_word(0), k=5)] == []
        assert Path(lib.search(item_word(2), k=1)[0].file).name == "renamed.txt"


def test_a_file_on_a_missing_drive_stays(tmp_path: Path) -> None:
    drive = tmp_path / "usb"
    folder = drive / "docs"
    _versioned(folder, 2, "old", paragraphs=2)
    with Library.open(tmp_path / "lib") as lib:
        list(lib.add([folder], workers=0))
        drive.rename(tmp_path / "unplugged")  # the file, its folder and the folder above are all gone
        assert lib.vanished() == []
        assert [e for e in lib.refresh(workers=0) if e.status == "removed"] == []
        assert len(lib.documents()) == 2
