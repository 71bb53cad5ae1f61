"""Parsing worker processes: use every core, and keep one hostile file from taking the app down.

Each worker is a spawned process (never forked: the parent may hold Qt or llama.cpp threads) with an
address-space cap and a lower priority, so a background indexing run yields the CPU to answering. A file
that runs past the time limit, or a worker that dies (segfault in a native parser, out of memory), ends
as that file's problem; the worker is replaced and the batch goes on.

No orphans: a worker never outlives the app by more than about half a second, whatever ends the app (a
kill included). On Linux the kernel kills it with its parent (PR_SET_PDEATHSIG); on every OS a watchdog
thread in the worker ends it when the parent is gone (multiprocessing's parent sentinel: a pipe on POSIX,
a process handle on Windows; on POSIX also a change of parent id).

Pausing (answers take the CPU) is cooperative on every OS: a worker waits on a shared event at its next
progress check (a quarter of a second of parsing at most), instead of being stopped with SIGSTOP, which
would leave stopped processes behind if the app died meanwhile.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.synchronize import Event

from indexing.errors import FileProblem, ProblemKind
from indexing.ingest import ParsedFile, parse_file
from indexing.limits import Limits

WATCHDOG_SECONDS = 0.5  # how often a worker checks that its parent is alive
WORKER_NICE = 5  # parsing yields to the window and the model when the cores are contended
_PR_SET_PDEATHSIG = 1


def _worker_main(conn: Connection, limits: Limits, running: Event) -> None:
    _die_with_parent()
    _restrict_self(limits)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if job is None:
            return
        path, password = job  # the password (for a protected file) lives only for this one parse

        def progress(done: int, total: int, _path: str = path) -> None:
            while not running.wait(WATCHDOG_SECONDS):  # paused: an answer is streaming
                pass
            conn.send(("progress", _path, done, total))

        conn.send(("done", path, parse_file(path, limits, progress, password)))


def _die_with_parent() -> None:
    parent = mp.parent_process()
    parent_pid = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    def watch() -> None:
        while True:
            if parent is not None:
                parent.join(WATCHDOG_SECONDS)  # returns early when the parent's end of the pipe closes
                gone = not parent.is_alive()
            else:
                time.sleep(WATCHDOG_SECONDS)
                gone = False
            if gone or (sys.platform != "win32" and os.getppid() != parent_pid):
                os._exit(3)

    threading.Thread(target=watch, name="qwenrag-parent-watchdog", daemon=True).start()


def _restrict_self(limits: Limits) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    with contextlib.suppress(AttributeError, OSError):  # nice 5, also when started from a thread at 5 already
        if os.getpriority(os.PRIO_PROCESS, 0) < WORKER_NICE:
            os.setpriority(os.PRIO_PROCESS, 0, WORKER_NICE)
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
        self._running = self._ctx.Event()  # set: work; clear: workers wait at their next progress check
        self._running.set()
        self._slots = [self._start() for _ in range(max(1, workers))]
        self._paused = False

    def _start(self) -> _Slot:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_worker_main, args=(child, self.limits, self._running), daemon=True,
                                 name="qwenrag-parse")
        proc.start()
        child.close()
        return _Slot(proc, parent)

    def run(self, paths: list[str], is_paused=lambda: False,  # type: ignore[no-untyped-def]
            password: str | None = None) -> Iterator[Progress | ParsedFile]:
        queue = list(reversed(paths))
        while queue or any(s.path for s in self._slots):
            self.set_paused(is_paused())
            if not self._paused:
                for slot in self._slots:
                    if slot.path is None and queue:
                        slot.path, slot.started = queue.pop(), time.monotonic()
                        slot.begun = slot.started
                        slot.conn.send((slot.path, password))
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
        """Pause workers while an answer streams: no new files, and busy ones wait at their next check."""
        if paused == self._paused:
            return
        self._paused = paused
        if paused:
            self._running.clear()
        else:
            self._running.set()
        if not paused:  # a paused file's clock restarts: stopped time is not parse time
            now = time.monotonic()
            for slot in self._slots:
                if slot.path:
                    slot.started = now

    def worker_pids(self) -> list[int]:
        return [s.process.pid for s in self._slots if s.process.pid]

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
