"""Parsing worker processes: use every core, and keep one hostile file from taking the app down.

Each worker is a spawned process (never forked: the parent may hold Qt or llama.cpp threads) with an
address-space cap and a lower priority, so a background indexing run yields the CPU to answering. A file
that runs past the time limit, or a worker that dies (segfault in a native parser, out of memory), ends
as that file's problem; the worker is replaced and the batch goes on.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from indexing.errors import FileProblem, ProblemKind
from indexing.ingest import ParsedFile, parse_file
from indexing.limits import Limits


def _worker_main(conn: Connection, limits: Limits) -> None:
    _restrict_self(limits)
    while True:
        try:
            path = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if path is None:
            return

        def progress(done: int, total: int, _path: str = path) -> None:
            conn.send(("progress", _path, done, total))

        conn.send(("done", path, parse_file(path, limits, progress)))


def _restrict_self(limits: Limits) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    with contextlib.suppress(AttributeError, OSError):
        os.nice(5)
    try:
        import resource

        cap = limits.worker_memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, ValueError, OSError):
        pass  # Windows has no RLIMIT_AS; the zip and XML guards still apply


@dataclass
class _Slot:
    process: mp.process.BaseProcess
    conn: Connection
    path: str | None = None
    started: float = 0.0
    begun: float = 0.0  # when the file was handed out (`started` moves on with progress and pauses)


@dataclass(frozen=True, slots=True)
class Progress:
    path: str
    done: int
    total: int


class ParsePool:
    """Runs parse_file over paths in worker processes; results come back in completion order."""

    def __init__(self, workers: int, limits: Limits) -> None:
        self.limits = limits
        self._ctx = mp.get_context("spawn")
        self._slots = [self._start() for _ in range(max(1, workers))]
        self._paused = False

    def _start(self) -> _Slot:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_worker_main, args=(child, self.limits), daemon=True,
                                 name="qwenrag-parse")
        proc.start()
        child.close()
        return _Slot(proc, parent)

    def run(self, paths: list[str], is_paused=lambda: False) -> Iterator[Progress | ParsedFile]:  # type: ignore[no-untyped-def]
        queue = list(reversed(paths))
        while queue or any(s.path for s in self._slots):
            self.set_paused(is_paused())
            if not self._paused:
                for slot in self._slots:
                    if slot.path is None and queue:
                        slot.path, slot.started = queue.pop(), time.monotonic()
                        slot.begun = slot.started
                        slot.conn.send(slot.path)
            busy = [s for s in self._slots if s.path]
            ready = wait([s.conn for s in busy] + [s.process.sentinel for s in busy], timeout=0.2)
            for slot in busy:
                yield from self._collect(slot, ready)

    def _collect(self, slot: _Slot, ready: list) -> Iterator[Progress | ParsedFile]:  # type: ignore[type-arg]
        while slot.path and slot.conn in ready and slot.conn.poll():
            try:
                msg = slot.conn.recv()
            except (EOFError, OSError):
                break
            if msg[0] == "progress":
                # A file that moves on (an OCRed scan: seconds a page) keeps at least half its time limit,
                # up to ten limits in all; one that hangs still stops at the limit.
                now = time.monotonic()
                slot.started = max(slot.started, min(now - self.limits.parse_seconds / 2,
                                                     slot.begun + 9 * self.limits.parse_seconds))
                yield Progress(msg[1], msg[2], msg[3])
            else:
                slot.path = None
                yield msg[2]
                return
        if slot.path is None:
            return
        if not slot.process.is_alive():
            code = slot.process.exitcode
            yield self._problem(slot, FileProblem(ProblemKind.CORRUPT, f"parser process died (exit code {code})"))
        elif not self._paused and time.monotonic() - slot.started > self.limits.parse_seconds:
            yield self._problem(slot, FileProblem(ProblemKind.TIMEOUT, f"over {self.limits.parse_seconds:.0f} s"))

    def _problem(self, slot: _Slot, problem: FileProblem) -> ParsedFile:
        path = slot.path or ""
        self._replace(slot)
        return ParsedFile(path, 0, 0.0, "", problem=(problem.kind.value, problem.message, problem.detail))

    def _replace(self, slot: _Slot) -> None:
        _kill(slot.process)
        slot.conn.close()
        fresh = self._start()
        slot.process, slot.conn, slot.path = fresh.process, fresh.conn, None

    def set_paused(self, paused: bool) -> None:
        """Stop workers outright while an answer streams (POSIX); elsewhere just stop handing out files."""
        if paused == self._paused:
            return
        self._paused = paused
        if sys.platform == "win32":
            return
        sig = signal.SIGSTOP if paused else signal.SIGCONT
        for slot in self._slots:
            if slot.process.pid and slot.process.is_alive():
                with contextlib.suppress(OSError):
                    os.kill(slot.process.pid, sig)
        if not paused:  # a paused file's clock restarts: stopped time is not parse time
            now = time.monotonic()
            for slot in self._slots:
                if slot.path:
                    slot.started = now

    def close(self) -> None:
        self.set_paused(False)
        for slot in self._slots:
            if slot.path is None and slot.process.is_alive():
                with contextlib.suppress(OSError):
                    slot.conn.send(None)
        for slot in self._slots:
            slot.process.join(timeout=0.5 if slot.path is None else 0)
            _kill(slot.process)
            slot.conn.close()
        self._slots = []

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _kill(proc: mp.process.BaseProcess) -> None:
    if proc.is_alive():
        proc.kill()
    proc.join(timeout=5)
