"""Give the GUI thread a CPU when it waits for one: the model's thread steps aside between tokens, and every
few milliseconds while it reads a prompt.

On two cores with one busy process elsewhere, llama.cpp's thread and that process hold both cores; when the
window must paint or lay out, its GUI thread waits for one of them (bench_gui.py measured ~half of the
longest stall as such waiting). Nicing the model's thread for the whole answer would slow every answer
(issue 12: generation must keep pace with a bare llama.cpp loop), and nicing all of the app's own threads
left the GUI thread waiting longer (it was then queued beside the busy process more often). So instead,
after each token, the model's thread checks whether the GUI thread waited for a CPU since the last check
and, if it did, sleeps while the GUI thread is still busy, first moving the GUI thread onto its own core:
the scheduler keeps a thread that just ran where it ran, so a GUI thread queued behind the other program
stayed there while the freed core idled (a sampling experiment, not kept, found the waiting GUI thread
mostly queued beside the busy process). A pause lasts at most MAX_PAUSE_S and at most as long as the model
ran since its last pause, so an answer at worst halves its pace while the window is starved. While llama.cpp reads a prompt (batches of
up to 512 tokens, seconds each on two cores) the engine calls this from inside llama_decode
(qwenrag.engine._AbortFlag.reading). When the window is idle or got its CPU anyway, this costs one small
read per call and nothing else.

Linux only (the scheduler's per-thread statistics in /proc; thread affinity); elsewhere `for_gui_thread`
returns None and nothing changes.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

WAITED_NS = 2_000_000  # the GUI thread waited this long for a CPU since the last token: it is being starved
MAX_PAUSE_S = 0.030  # at most this long per pause (a paint costs the GUI thread up to ~20 ms of CPU)
STEP_S = 0.002  # how often the pause checks whether the GUI thread is still busy


class YieldToGui:
    """Callable on the model's thread between tokens (Engine.between_tokens). `pauses` and `paused_s`
    count what it gave away (diagnostics, the bench)."""

    def __init__(self, gui_native_id: int, sleep: Callable[[float], None] = time.sleep) -> None:
        self._gui_tid = gui_native_id
        self._schedstat = Path(f"/proc/self/task/{gui_native_id}/schedstat")
        self._stat = Path(f"/proc/self/task/{gui_native_id}/stat")
        self._sleep = sleep
        self._seen = self._waited_ns()
        self._last = time.perf_counter()  # when the last pause ended: the model has run since
        self.pauses = 0
        self.paused_s = 0.0

    def _hand_over_core(self) -> set[int] | None:
        """Let the GUI thread run on this thread's core while it pauses: the GUI thread may be queued behind
        another program on the other core, where the scheduler keeps it (it ran there a moment ago). Returns
        the GUI thread's own set of cores, to give back after the pause."""
        try:
            mine = Path("/proc/thread-self/stat").read_text()
            cpu = int(mine[mine.rfind(")") + 2:].split()[36])  # the core this thread runs on
            allowed = os.sched_getaffinity(self._gui_tid)
            if cpu in allowed and len(allowed) > 1:
                os.sched_setaffinity(self._gui_tid, {cpu})  # a queued thread moves at once
                return allowed
        except (OSError, ValueError, IndexError):
            pass
        return None

    def _waited_ns(self) -> int:
        """How long the GUI thread has been runnable without a CPU, in all (the kernel's run_delay)."""
        try:
            return int(self._schedstat.read_text().split()[1])
        except (OSError, IndexError, ValueError):
            return 0

    def _gui_busy(self) -> bool:
        """The GUI thread is running or waiting for a CPU (R), not idle in its event loop (S)."""
        try:
            stat = self._stat.read_text()
        except OSError:
            return False
        return stat[stat.rfind(")") + 2: stat.rfind(")") + 3] == "R"

    def __call__(self) -> None:
        waited = self._waited_ns()
        if waited - self._seen >= WAITED_NS and self._gui_busy():
            started = time.perf_counter()
            handed = self._hand_over_core()
            deadline = started + min(MAX_PAUSE_S, started - self._last)
            try:
                while True:
                    self._sleep(STEP_S)
                    if time.perf_counter() >= deadline or not self._gui_busy():
                        break
            finally:
                if handed is not None:  # the GUI thread may run anywhere again (it stays where it is now)
                    with contextlib.suppress(OSError):
                        os.sched_setaffinity(self._gui_tid, handed)
            self.pauses += 1
            self.paused_s += time.perf_counter() - started
            waited = self._waited_ns()
            self._last = time.perf_counter()
        self._seen = waited


def for_gui_thread() -> YieldToGui | None:
    """A YieldToGui for the calling (GUI) thread, or None where the scheduler's statistics are not readable."""
    native_id = threading.get_native_id()
    if not Path(f"/proc/self/task/{native_id}/schedstat").is_file():
        return None
    return YieldToGui(native_id)
