"""Indexing without a widget: runs Library.add on the runner's "index" lane and reports in signals.

At start it re-indexes what changed on disk since last time (Library.refresh); while running it watches the
folders the user added (QFileSystemWatcher, debounced) and re-indexes changes. Runs queue on the one
"index" lane, so a drop during a run simply follows it; Cancel stops the current run and the queued ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from indexing.records import IndexEvent
from ui.errors import FileFailure
from ui.services import INDEX_LANE, Services
from ui.tasks import TaskHandle, TaskRunner

WATCH_DEBOUNCE_MS = 1500  # editors save in bursts (temp file, rename, touch): wait for the dust to settle
MAX_WATCHED = 4000  # inotify watches are a shared, limited resource


@dataclass
class RunSummary:
    """What one indexing run did, for the status line and the failure summary."""

    user_started: bool  # False for the refresh at start and for watched changes: no dialog then
    total: int = 0
    done: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    # Files that could not be read, and unsupported files the person named themselves; unsupported files
    # found inside a folder (a LICENSE, a .py) are only counted, beside the list's "show" switch.
    failures: list[FileFailure] = field(default_factory=list)
    skipped_in_folders: int = 0
    cancelled: bool = False
    explicit: set[str] = field(default_factory=set)  # the paths as given


def parse_workers() -> int:
    """Parsing processes: one core stays with the window (and the answer), else it stutters on 2 cores."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def _keep(event: IndexEvent) -> bool:
    return event.kind != "progress"  # per-page progress may be coalesced; file results never


class IndexingController(QObject):
    """Signals (GUI thread):
    - run_started(RunSummary): a run began (user_started tells whether the person asked for it)
    - event(IndexEvent): every "scan", "file_done" and "finished" event, and coalesced "progress" ones
    - run_finished(RunSummary): after the run's last event, also when cancelled
    - busy_changed(bool)
    - documents_changed(): the library's documents changed (after remove, and throttled while indexing)
    - waiting_for_writer(str): another process is changing the library; an indexing run or a removal waits
      for it (repeated every second or so while the wait lasts)
    """

    run_started = Signal(object)
    event = Signal(object)
    run_finished = Signal(object)
    busy_changed = Signal(bool)
    documents_changed = Signal()
    waiting_for_writer = Signal(str)

    def __init__(self, services: Services, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self._handles: list[TaskHandle[IndexEvent]] = []
        self._current: RunSummary | None = None
        self._refresh_queued = False
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._on_disk_change)
        self.watcher.fileChanged.connect(self._on_disk_change)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(WATCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self._changed_timer = QTimer(self)  # library changes while indexing: tell the list every few seconds
        self._changed_timer.setSingleShot(True)
        self._changed_timer.setInterval(3000)
        self._changed_timer.timeout.connect(self.documents_changed)

    # -- starting runs ------------------------------------------------------------------------------
    def start(self) -> None:
        """At start: re-index files changed since last time, then watch the added folders."""
        self.refresh()

    def add(self, paths: Iterable[str], *, force: bool = False, password: str | None = None) -> None:
        """Index files and folders (recursively); user-started, so failures are summarised once.
        `password` opens password-protected files in this one run (never stored)."""
        items = [os.fspath(p) for p in paths]
        if items and not self.runner.closed:
            self._submit(lambda: self.services.library.add(items, force=force, workers=parse_workers(),
                                                           password=password),
                         user_started=True, explicit={os.path.realpath(p) for p in items})

    def reindex(self, paths: Iterable[str]) -> None:
        self.add(paths, force=True)

    def refresh(self) -> None:
        """Re-index what changed on disk (not a user action: no dialog, just the list and status)."""
        if self._refresh_queued or self.runner.closed:
            return
        self._refresh_queued = True

        def factory() -> Iterator[IndexEvent]:
            self._refresh_queued = False  # from here on, a new change needs a new refresh
            return self.services.library.refresh(workers=parse_workers())

        self._submit(factory, user_started=False)

    def remove(self, paths: Iterable[str], on_done: Callable[[list[str]], None] | None = None) -> None:
        """Remove from the library on the index lane; `on_done(paths removed)`. While another process
        changes the library the removal waits (for as long as it takes: it is queued, not failed) and
        `waiting_for_writer` says so every second or so."""
        items = [os.fspath(p) for p in paths]
        gone: list[str] = []

        def on_event(event: IndexEvent) -> None:
            if event.kind == "waiting":
                self.waiting_for_writer.emit(event.reason or "")
            elif event.kind == "file_done" and event.status == "removed":
                gone.append(event.path)

        def removed() -> None:
            self.documents_changed.emit()
            self.services.notify_library_changed()
            self._rewatch()
            if on_done is not None:
                on_done(gone)

        # A generator, not one call: a wait for another process's writer lock reports itself while it lasts.
        self.runner.run_generator(lambda: self.services.library.removing(items), on_item=on_event,
                                  on_done=removed, lane=INDEX_LANE, name="remove documents")

    def cancel(self) -> None:
        """Stop the current run and drop the queued ones. Files finished so far stay indexed."""
        for h in self._handles:
            h.cancel()

    @property
    def busy(self) -> bool:
        return bool(self._handles)

    @property
    def current(self) -> RunSummary | None:
        return self._current

    def _submit(self, factory: Callable[[], Iterator[IndexEvent]], *, user_started: bool,
                explicit: set[str] | None = None) -> None:
        summary = RunSummary(user_started=user_started, explicit=explicit or set())
        was_busy = self.busy
        handle: TaskHandle[IndexEvent] | None = None

        def first_then(event: IndexEvent) -> None:
            if self._current is not summary:
                self._current = summary
                self.run_started.emit(summary)
            self._on_event(summary, event)

        def done() -> None:
            if self._current is not summary:  # cancelled or empty before its first event
                self._current = summary
            summary.cancelled = handle is not None and handle.cancelled
            self._finish(summary, handle)

        def failed(exc: BaseException) -> None:
            summary.cancelled = True
            self._finish(summary, handle)
            if self.runner.default_error_handler is not None:
                self.runner.default_error_handler(exc)

        handle = self.runner.run_generator(factory, on_item=first_then, on_done=done, on_error=failed,
                                           throttle_ms=80, keep=_keep, lane=INDEX_LANE, name="index")
        self._handles.append(handle)
        if not was_busy:
            self.busy_changed.emit(True)

    # -- events -------------------------------------------------------------------------------------
    def _on_event(self, summary: RunSummary, event: IndexEvent) -> None:
        if event.kind == "scan":
            summary.total = event.files_total
        elif event.kind == "file_done":
            summary.done += 1
            status = event.status or ""
            summary.counts[status] = summary.counts.get(status, 0) + 1
            if status == "failed" or (status == "skipped" and event.path in summary.explicit):
                summary.failures.append(FileFailure(event.path, event.reason or "", event.detail or ""))
            elif status == "skipped":
                summary.skipped_in_folders += 1
            if status == "indexed" and not self._changed_timer.isActive():
                self._changed_timer.start()
        elif event.kind == "waiting":
            self.waiting_for_writer.emit(event.reason or "")
        elif event.kind == "finished":
            summary.counts = dict(event.counts) or summary.counts
        self.event.emit(event)

    def _finish(self, summary: RunSummary, handle: TaskHandle[IndexEvent] | None) -> None:
        if handle in self._handles:
            self._handles.remove(handle)
        self._current = None
        self._changed_timer.stop()
        self.run_finished.emit(summary)
        if summary.counts.get("indexed") or summary.counts.get("removed") or summary.cancelled:
            self.documents_changed.emit()
            self.services.notify_library_changed()
        if not self._handles:
            self.busy_changed.emit(False)
            self._rewatch()

    # -- watching -----------------------------------------------------------------------------------
    def _rewatch(self) -> None:
        """Watch the added folders, their sub-folders and the indexed files in them (listed on the pool)."""
        def collect() -> list[str]:
            lib = self.services.library
            out: list[str] = []
            for root in lib.roots():
                for folder, dirs, _files in os.walk(root):
                    dirs[:] = [d for d in dirs if not d.startswith(".")]
                    out.append(folder)
                    if len(out) >= MAX_WATCHED:
                        return out
            roots = tuple(os.path.join(r, "") for r in lib.roots())
            for doc in lib.documents():
                if doc.path.startswith(roots) and os.path.exists(doc.path):
                    out.append(doc.path)
                    if len(out) >= MAX_WATCHED:
                        break
            return out

        if not self.runner.closed:
            self.runner.run(collect, on_done=self._set_watched, name="list watched folders")

    def _set_watched(self, wanted: list[str]) -> None:
        current = set(self.watcher.directories()) | set(self.watcher.files())
        new = set(wanted)
        gone = sorted(current - new)
        if gone:
            self.watcher.removePaths(gone)
        # (no existence checks here: a stat per file on the GUI thread waited for the GIL each time while the
        # answer's search held it; `collect` checked them on the pool)
        added = sorted(new - current)
        if added:
            self.watcher.addPaths(added)

    def watched_paths(self) -> list[str]:
        return sorted(set(self.watcher.directories()) | set(self.watcher.files()))

    def _on_disk_change(self, _path: str) -> None:
        self._debounce.start()
