"""The one background-task runner. Every widget hands its slow work here; no widget creates threads.

    runner = TaskRunner()                          # on the GUI thread, once (the main window owns it)
    handle = runner.run_generator(
        lambda: library.add(paths),                # called ON THE WORKER; returns an iterator
        on_item=panel.show_event,                  # GUI thread, in order
        on_done=panel.finished,                    # GUI thread, after the last item (also after cancel)
        on_error=errors.show,                      # GUI thread, instead of on_done when it raised
        throttle_ms=100, keep=lambda e: e.kind != "progress",
        lane="index",
    )
    handle.cancel()                                # by flag: the worker stops and closes the generator
    runner.run(load_model, on_done=..., lane="model")   # a one-shot call
    runner.shutdown(5.0)                           # cancel everything and join every thread

Lanes. "default" is a small pool for quick things (several tasks at once). Every other lane name is ONE
dedicated thread that runs its tasks one after another, in submission order: "model" (llama.cpp objects are
not thread-safe, and a question asked while the model loads simply waits behind the load), "index" (one
writer for the library). Lanes start their thread lazily.

Delivery. Workers never touch widgets: they append to a per-task queue and wake the GUI thread with a queued
signal (one wake per batch, so a fast generator cannot flood the event loop). With `throttle_ms` > 0 the GUI
is woken at most that often and consecutive items that `keep` rejects are coalesced to the newest (progress);
items `keep` accepts are never dropped, nor is the last item. Each drain of a batch is bounded in time so a
burst of items cannot freeze the window. After `cancel()` no further item is delivered.

Modelled on Anki's aqt/taskman.py (closures run on the main thread) and napari's GeneratorWorker (yield to
report, abort by flag between yields).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LANE = "default"
# The threads of these lanes run at a lower priority, as the parsing workers do (Linux: a thread's own nice
# value; elsewhere nothing changes): their Python work (opening a source, indexing's commits) shared a core
# with the GUI thread as an equal while a busy program held the other, and the GUI thread waited for it
# (`bench_gui.py --compare-nice 3`, taking turns: the "all at once" stall 52.9 / 69.0 / 36.9 ms with these
# lanes at 0, 48.5 / 38.5 / 30.7 ms niced). Not the model's lane: the model loads there, and llama.cpp's
# threads, started from it, would inherit the lower priority, which an unprivileged process cannot undo.
BACKGROUND_LANES = frozenset({DEFAULT_LANE, "index"})
BACKGROUND_NICE = 5
# Wall time one drain may take before yielding back to the event loop (and any input or timer waiting). On
# a busy machine the GUI thread gets about half a core, so this is ~2.5 ms of its work; one item may take
# longer (an answer's first words are laid out in theirs), and then it is the drain's only one.
_DRAIN_BUDGET_S = 0.005
# A step of GUI work split over event-loop turns is scheduled this far ahead: a 0 ms single shot is a posted
# event, and Qt delivers events posted while it delivers posted events in the same pass, so chained steps
# ran back to back before any timer or input (bench_gui.py saw several quote rows and the answer's end in one
# stall); a 1 ms timer lets the loop go round between them.
NEXT_TURN_MS = 1
_log = logging.getLogger(__name__)


def next_turn(receiver: QObject, step: Callable[[], None]) -> None:
    """Run `step` on a later event-loop turn, after what is waiting meanwhile (input, timers, paints)."""
    QTimer.singleShot(NEXT_TURN_MS, receiver, step)


class TaskHandle(Generic[T]):
    """What `run_generator` / `run` return: cancel it, ask whether it is still running."""

    def __init__(self, runner: TaskRunner, task_id: int, lane: str, name: str) -> None:
        self._runner = runner
        self.id = task_id
        self.lane = lane
        self.name = name
        self._cancel = threading.Event()
        self._finished = threading.Event()  # set on the GUI thread once on_done/on_error ran (or never will)
        self._interrupt: Callable[[], None] | None = None  # the running iterator's own cancel(), if it has one

    def cancel(self) -> None:
        """Ask the task to stop. The worker notices between items, closes the generator (its `finally`
        blocks run on the worker) and then on_done runs on the GUI thread. Safe to call twice or late.

        An iterator that may wait long for its next item (an answer whose prompt is being evaluated) can
        offer a `cancel()` method: it is called here, on the caller's thread, so the wait ends at once."""
        self._cancel.set()
        interrupt = self._interrupt
        if interrupt is not None:
            try:
                interrupt()
            except Exception:  # stopping must never fail the caller (a Stop button, the closing window)
                _log.exception("cancelling task %s", self.name)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def running(self) -> bool:
        """True until the task has ended and its last callback ran on the GUI thread."""
        return not self._finished.is_set()

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled else ("running" if self.running else "done")
        return f"<TaskHandle {self.id} {self.name!r} lane={self.lane} {state}>"


class _Task:
    """Book-keeping for one task, shared between its worker and the GUI thread."""

    def __init__(self, handle: TaskHandle[Any], body: Callable[[_Task], None],
                 on_item: Callable[[Any], None] | None, on_done: Callable[..., None] | None,
                 on_error: Callable[[BaseException], None] | None, throttle_ms: int,
                 keep: Callable[[Any], bool] | None, done_with_result: bool) -> None:
        self.handle = handle
        self.body = body
        self.on_item = on_item
        self.on_done = on_done
        self.on_error = on_error
        self.throttle_s = max(0, throttle_ms) / 1000.0
        self.keep = keep
        self.done_with_result = done_with_result
        self.lock = threading.Lock()
        self.items: deque[tuple[Any, bool]] = deque()  # (item, droppable)
        self.ended = False  # the worker is done; outcome below is final
        self.result: Any = None
        self.error: BaseException | None = None
        self.wake_pending = False
        self.last_drain = 0.0
        self.timer_armed = False

    # worker side -------------------------------------------------------------------------------
    def push(self, item: Any) -> bool:
        """Queue an item; True when the GUI thread must be woken."""
        droppable = self.throttle_s > 0 and not (self.keep(item) if self.keep is not None else False)
        with self.lock:
            if droppable and self.items and self.items[-1][1]:
                self.items[-1] = (item, True)  # coalesce: only the newest progress matters
            else:
                self.items.append((item, droppable))
            if self.wake_pending:
                return False
            self.wake_pending = True
            return True

    def end(self, result: Any = None, error: BaseException | None = None) -> None:
        with self.lock:
            self.result, self.error, self.ended = result, error, True
            self.wake_pending = True


class _Bridge(QObject):
    """Lives on the GUI thread; workers emit `wake`, which Qt queues to the GUI thread."""

    wake = Signal(object)


class _Lane:
    """One queue and its threads: a single thread for a named lane, a few for the default pool."""

    def __init__(self, name: str, max_threads: int, run_task: Callable[[_Task], None]) -> None:
        self.name = name
        self.max_threads = max_threads
        self.queue: queue.Queue[_Task | None] = queue.Queue()
        self.threads: list[threading.Thread] = []
        self.idle_threads = 0
        self.lock = threading.Lock()
        self._run_task = run_task

    def submit(self, task: _Task) -> None:
        with self.lock:
            if self.idle_threads == 0 and len(self.threads) < self.max_threads:
                t = threading.Thread(target=self._loop, name=f"qwenrag-{self.name}-{len(self.threads) + 1}",
                                     daemon=True)  # daemon: a stuck native call must not keep the app alive
                self.threads.append(t)
                self.idle_threads += 1
                t.start()
        self.queue.put(task)

    def _loop(self) -> None:
        if self.name in BACKGROUND_LANES and sys.platform.startswith("linux"):
            with contextlib.suppress(OSError):  # (Linux: PRIO_PROCESS with a thread id is that thread's)
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
        while True:
            task = self.queue.get()
            if task is None:
                return
            with self.lock:
                self.idle_threads -= 1
            try:
                self._run_task(task)
            finally:
                with self.lock:
                    self.idle_threads += 1

    def stop(self) -> None:
        for _ in self.threads:
            self.queue.put(None)

    def join(self, deadline: float) -> bool:
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self.threads)


class TaskRunner(QObject):
    """Runs generators and one-shot calls on worker threads, delivering results on the GUI thread.

    Signals: `busy_changed(bool)` when the first task starts / the last one ends; `lane_busy(str, bool)`
    per lane (the status bar shows "indexing…" from it).
    """

    busy_changed = Signal(bool)
    lane_busy = Signal(str, bool)

    def __init__(self, parent: QObject | None = None, *, pool_size: int | None = None) -> None:
        super().__init__(parent)
        self._bridge = _Bridge(self)
        self._bridge.wake.connect(self._on_wake)
        self._lanes: dict[str, _Lane] = {}
        self._pool_size = pool_size or max(2, min(4, os.cpu_count() or 2))
        self._tasks: dict[int, _Task] = {}  # GUI thread only
        self._ids = itertools.count(1)
        self._closed = False
        self.default_error_handler: Callable[[BaseException], None] | None = None

    # -- submitting -------------------------------------------------------------------------------
    def run_generator(
        self,
        factory: Callable[[], Iterator[T]],
        *,
        on_item: Callable[[T], None] | None = None,
        on_done: Callable[[], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        throttle_ms: int = 0,
        keep: Callable[[T], bool] | None = None,
        lane: str = DEFAULT_LANE,
        name: str = "",
    ) -> TaskHandle[T]:
        """Iterate `factory()` on a worker of `lane`; each item goes to `on_item` on the GUI thread.

        `factory` itself is called on the worker (so building the generator may be slow). `on_done()` runs
        once the generator is exhausted OR cancelled (check `handle.cancelled`); `on_error(exc)` instead when
        it raised (without on_error, the runner's `default_error_handler` shows it). With throttle_ms > 0,
        items for which `keep(item)` is false may be coalesced to the newest one; the final item always
        arrives.
        """

        def body(task: _Task) -> None:
            gen = factory()
            task.handle._interrupt = getattr(gen, "cancel", None)
            if task.handle.cancelled and task.handle._interrupt is not None:
                task.handle._interrupt()  # cancelled while the factory ran
            try:
                for item in gen:
                    if task.handle.cancelled:
                        break
                    if task.push(item):
                        self._bridge.wake.emit(task)
                    if task.handle.cancelled:
                        break
            finally:
                task.handle._interrupt = None
                close = getattr(gen, "close", None)
                if close is not None:
                    close()  # runs the generator's finally blocks here, on its own thread

        return self._submit(body, on_item, on_done, on_error, throttle_ms, keep, lane, name, False)

    def run(
        self,
        fn: Callable[[], R],
        *,
        on_done: Callable[[R], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        lane: str = DEFAULT_LANE,
        name: str = "",
    ) -> TaskHandle[R]:
        """Call `fn()` on a worker of `lane`; `on_done(result)` or `on_error(exc)` on the GUI thread.
        A call cannot be interrupted: cancel() only suppresses on_done if it has not started yet."""

        def body(task: _Task) -> None:
            if not task.handle.cancelled:
                task.result = fn()

        return self._submit(body, None, on_done, on_error, 0, None, lane, name, True)

    def _submit(self, body: Callable[[_Task], None], on_item: Callable[[Any], None] | None,
                on_done: Callable[..., None] | None, on_error: Callable[[BaseException], None] | None,
                throttle_ms: int, keep: Callable[[Any], bool] | None, lane: str, name: str,
                done_with_result: bool) -> TaskHandle[Any]:
        if self._closed:
            raise RuntimeError("the task runner has been shut down")
        handle: TaskHandle[Any] = TaskHandle(self, next(self._ids), lane, name or getattr(body, "__name__", ""))
        task = _Task(handle, body, on_item, on_done, on_error, throttle_ms, keep, done_with_result)
        was_idle = not self._tasks
        lane_was_idle = not any(t.handle.lane == lane for t in self._tasks.values())
        self._tasks[handle.id] = task
        if lane not in self._lanes:
            size = self._pool_size if lane == DEFAULT_LANE else 1
            self._lanes[lane] = _Lane(lane, size, self._execute)
        self._lanes[lane].submit(task)
        if lane_was_idle:
            self.lane_busy.emit(lane, True)
        if was_idle:
            self.busy_changed.emit(True)
        return handle

    # -- worker side ------------------------------------------------------------------------------
    def _execute(self, task: _Task) -> None:
        error: BaseException | None = None
        try:
            task.body(task)
        except BaseException as exc:  # delivered to on_error on the GUI thread; nothing escapes a worker
            error = exc
        task.end(task.result, error)
        self._bridge.wake.emit(task)

    # -- GUI side ---------------------------------------------------------------------------------
    def _on_wake(self, task: _Task) -> None:
        if task.handle.id not in self._tasks:
            return
        if task.throttle_s and not task.ended:
            wait = task.last_drain + task.throttle_s - time.monotonic()
            if wait > 0:
                if not task.timer_armed:
                    task.timer_armed = True
                    QTimer.singleShot(int(wait * 1000) + 1, self, lambda: self._drain_from_timer(task))
                return
        self._drain(task)

    def _drain_from_timer(self, task: _Task) -> None:
        task.timer_armed = False
        if task.handle.id in self._tasks:
            self._drain(task)

    def _drain(self, task: _Task) -> None:
        started = time.monotonic()
        task.last_drain = started
        while True:
            with task.lock:
                if not task.items:
                    ended = task.ended
                    task.wake_pending = False
                    break
                item, _droppable = task.items.popleft()
            if task.on_item is not None and not task.handle.cancelled:
                task.on_item(item)
            if time.monotonic() - started > _DRAIN_BUDGET_S:
                # Let the event loop breathe; the rest arrives on a later turn (next_turn: not a 0 ms single
                # shot, which would run in the same pass of posted events, before any input or timer).
                next_turn(self, lambda: self._drain_from_timer(task))
                return
        if ended:
            self._finish(task)

    def _finish(self, task: _Task) -> None:
        self._tasks.pop(task.handle.id, None)
        try:
            if task.error is not None:
                handler = task.on_error or self.default_error_handler
                if handler is not None:
                    handler(task.error)
                else:
                    _log.error("background task %s failed", task.handle.name, exc_info=task.error)
            elif task.on_done is not None and not (task.done_with_result and task.handle.cancelled):
                if task.done_with_result:
                    task.on_done(task.result)
                else:
                    task.on_done()
        finally:
            task.handle._finished.set()
            lane = task.handle.lane
            if not any(t.handle.lane == lane for t in self._tasks.values()):
                self.lane_busy.emit(lane, False)
            if not self._tasks:
                self.busy_changed.emit(False)

    # -- state and shutdown -----------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """True after shutdown(): submitting raises; callers that may race the closing window check this."""
        return self._closed

    def is_idle(self) -> bool:
        """No task queued, running, or waiting for its callbacks on the GUI thread."""
        return not self._tasks

    def is_lane_busy(self, lane: str) -> bool:
        return any(t.handle.lane == lane for t in self._tasks.values())

    def active(self) -> list[TaskHandle[Any]]:
        return [t.handle for t in self._tasks.values()]

    def cancel_lane(self, lane: str) -> None:
        for t in list(self._tasks.values()):
            if t.handle.lane == lane:
                t.handle.cancel()

    def thread_count(self) -> int:
        return sum(1 for lane in self._lanes.values() for t in lane.threads if t.is_alive())

    def wait_threads(self, timeout: float) -> bool:
        """After shutdown(): wait up to `timeout` seconds for the threads still running (any thread may call
        this). True when none is left."""
        deadline = time.monotonic() + timeout
        return all([lane.join(deadline) for lane in list(self._lanes.values())])

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel every task, stop and join every thread. True when all threads ended within `timeout`.
        Callbacks of tasks still pending are not run: the window is going away."""
        self._closed = True
        for t in self._tasks.values():
            t.handle.cancel()
        for lane in self._lanes.values():
            lane.stop()
        deadline = time.monotonic() + timeout
        joined = all([lane.join(deadline) for lane in self._lanes.values()])
        for t in self._tasks.values():
            t.handle._finished.set()
        self._tasks.clear()
        if not joined:
            alive = [t.name for lane in self._lanes.values() for t in lane.threads if t.is_alive()]
            _log.warning("threads still running after shutdown: %s", ", ".join(alive))
        return joined
