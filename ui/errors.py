"""The one place that shows errors to a person.

    show_error(parent, "The model could not be loaded.", detail=traceback_text)
    show_exception(parent, exc)                      # a plain sentence from the exception, details behind
    show_file_failures(parent, failures, total=40)   # "3 of 40 files could not be read", reasons in a list
    uninstall = install_exception_hooks(window)      # every uncaught exception (slots, threads) lands here

One error path: the task runner's on_error, sys.excepthook (exceptions in Qt slots and event handlers reach
it) and threading.excepthook (any other thread; shown on the GUI thread) all end in `show_exception`. An
exception we did not raise on purpose is our bug: it says "internal error", never blames the document, and
"Copy details" gives a report (versions and traceback) to paste into a bug report. A missing module is named.

Every dialog has the plain sentence first and a "Copy details" button that puts the technical detail on the
clipboard. Tests set `ErrorPresenter.modal = False` (the default under QT_QPA_PLATFORM=offscreen) so
dialogs are shown without blocking, and can read `ErrorPresenter.last` to see what was shown.
"""

from __future__ import annotations

import logging
import os
import platform
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from indexing.errors import QwenragError
from ui.i18n import tr

EAGER_ROWS = 12  # failures listed at once; more wait for "Show details"


@dataclass(frozen=True)
class FileFailure:
    path: str
    reason: str  # a sentence for a person
    detail: str = ""  # technical


class ErrorPresenter:
    """Keeps the dialogs alive while shown and remembers the last one (for tests)."""

    modal = os.environ.get("QT_QPA_PLATFORM") != "offscreen"
    last: ErrorDialog | None = None
    _open: list[QDialog] = []  # noqa: RUF012 — class-level on purpose: one presenter per process

    @classmethod
    def present(cls, dialog: ErrorDialog) -> None:
        cls.last = dialog
        if cls.modal:
            dialog.exec()
            return
        cls._open.append(dialog)
        dialog.finished.connect(lambda _r, d=dialog: cls._forget(d))
        dialog.show()

    @classmethod
    def _forget(cls, dialog: QDialog) -> None:
        if dialog in cls._open:
            cls._open.remove(dialog)
        dialog.deleteLater()

    @classmethod
    def close_all(cls) -> None:
        for d in list(cls._open):
            d.close()
        cls._open.clear()
        cls.last = None


class ErrorDialog(QDialog):
    """A plain sentence, optional list of per-file reasons, and "Copy details"."""

    def __init__(self, message: str, detail: str = "", failures: Sequence[FileFailure] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.message = message
        self.detail = detail
        self.failures = list(failures)
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        self.label = QLabel(message, self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label)
        self.tree: QTreeWidget | None = None
        self._layout = layout
        if 0 < len(self.failures) <= EAGER_ROWS:
            self._build_tree()  # a short list is the message itself; a long one waits for "Show details"
        self.details_box = QPlainTextEdit(self)
        self.details_box.setReadOnly(True)
        self.details_box.setVisible(False)
        self._details_filled = False
        layout.addWidget(self.details_box, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton(self)
        self.show_button = QPushButton(self)
        self.show_button.setCheckable(True)
        self.show_button.toggled.connect(self.set_details_visible)
        self.buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.show_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        has_detail = bool(self.detail or self.failures)
        self.show_button.setVisible(has_detail)
        self.copy_button.setVisible(has_detail)
        self.retranslateUi()

    def _build_tree(self) -> None:
        """The files and their reasons. Hundreds of rows (and their text) are only built when asked for:
        built at the end of a large run, they stalled the window."""
        tree = self.tree = QTreeWidget(self)
        tree.setRootIsDecorated(False)
        tree.setColumnCount(2)
        tree.setUniformRowHeights(True)  # hundreds of rows must not be measured one by one
        items = []
        for f in self.failures:
            item = QTreeWidgetItem([os.path.basename(f.path), f.reason])
            item.setToolTip(0, f.path)
            item.setToolTip(1, f"{f.reason}\n{f.detail}" if f.detail else f.reason)
            items.append(item)
        tree.addTopLevelItems(items)
        header = tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        names = [os.path.basename(f.path) for f in self.failures[:40]]  # a sample: measuring text is slow
        widest = max((tree.fontMetrics().horizontalAdvance(n) for n in names), default=120)
        header.resizeSection(0, min(320, widest + 24))
        header.setStretchLastSection(True)
        tree.setHeaderLabels([tr("File"), tr("Reason")])
        self.setMinimumSize(620, 320)
        self._layout.insertWidget(1, tree, 1)  # under the sentence
        tree.show()  # added to a shown dialog, it would appear only on the next event-loop turn

    def set_details_visible(self, visible: bool) -> None:
        """"Show details": the list of files (when it was not shown at once) and the technical text."""
        if visible:
            if self.failures and self.tree is None:
                self._build_tree()
            if not self._details_filled:
                self._details_filled = True
                self.details_box.setPlainText(self.full_detail())
        self.details_box.setVisible(visible)
        if self.show_button.isChecked() != visible:
            self.show_button.setChecked(visible)

    def full_detail(self) -> str:
        lines = [self.detail] if self.detail else []
        lines += [f"{f.path}\n    {f.reason}" + (f"\n    {f.detail}" if f.detail else "") for f in self.failures]
        return "\n".join(lines)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(f"{self.message}\n\n{self.full_detail()}".strip())

    def retranslateUi(self) -> None:
        self.setWindowTitle(tr("QwenRAG — a problem"))
        self.copy_button.setText(tr("Copy details"))
        self.show_button.setText(tr("Show details"))
        if self.tree is not None:
            self.tree.setHeaderLabels([tr("File"), tr("Reason")])

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslateUi()
        super().changeEvent(event)


def show_error(parent: QWidget | None, message: str, detail: str = "") -> ErrorDialog:
    dialog = ErrorDialog(message, detail, parent=parent)
    ErrorPresenter.present(dialog)
    return dialog


def plain_message(exc: BaseException) -> str:
    """A sentence for a person: our own errors carry one; a missing module is named; anything else
    reached nobody who expected it, so it is our bug: an internal error, never "the file is damaged"."""
    if isinstance(exc, QwenragError):
        return getattr(exc, "message", None) or str(exc)
    if isinstance(exc, MemoryError):
        return tr("The computer ran out of memory.")
    if isinstance(exc, ImportError):
        return tr("A part of QwenRAG is missing: the module %1 could not be loaded. Reinstall QwenRAG.").replace(
            "%1", exc.name or str(exc))
    if isinstance(exc, OSError):
        return tr("A file could not be read or written: %1").replace("%1", exc.strerror or str(exc))
    return tr("QwenRAG ran into an internal error (a bug in QwenRAG, not a problem with your documents). "
              "Use \u201cCopy details\u201d and report it; your library is safe.")


def error_report(exc: BaseException) -> str:
    """The copyable report: what failed, where, and on which versions."""
    from PySide6 import __version__ as pyside_version

    try:
        from importlib.metadata import version

        qwenrag_version = version("qwenrag")
    except Exception:  # running from a source tree that is not installed
        qwenrag_version = "source"
    lines = [f"{type(exc).__name__}: {exc}",
             f"QwenRAG {qwenrag_version}, Python {platform.python_version()}, PySide6 {pyside_version}, "
             f"{platform.platform()}",
             "", "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).strip()]
    return "\n".join(lines)


def show_exception(parent: QWidget | None, exc: BaseException, message: str | None = None) -> ErrorDialog:
    return show_error(parent, message or plain_message(exc), error_report(exc))


# -- uncaught exceptions ------------------------------------------------------------------------------------
_log = logging.getLogger(__name__)


class _ThreadErrors(QObject):
    """Carries an exception from any thread to the GUI thread (a queued signal to a slot of this object,
    which lives on the GUI thread)."""

    raised = Signal(object)

    def __init__(self, show: Callable[[BaseException], None]) -> None:
        super().__init__()
        self._show = show
        self.raised.connect(self.deliver)

    def deliver(self, exc: BaseException) -> None:
        self._show(exc)


def install_exception_hooks(parent: Callable[[], QWidget | None] | QWidget | None) -> Callable[[], None]:
    """Route uncaught exceptions to `show_exception`: sys.excepthook (the GUI thread, Qt slots included)
    and threading.excepthook (other threads; queued to the GUI thread). Call on the GUI thread; returns a
    function that puts the previous hooks back. A failure while showing falls back to the log."""
    previous_sys, previous_threading = sys.excepthook, threading.excepthook
    gui_thread = threading.current_thread()

    def target() -> QWidget | None:
        return parent() if callable(parent) and not isinstance(parent, QWidget) else parent

    showing = threading.Event()  # a modal dialog from here is open: more errors (a paint that keeps
    # failing) go to the log instead of stacking dialogs

    def show(exc: BaseException) -> None:
        if showing.is_set():
            return
        showing.set()
        try:
            show_exception(target(), exc)
        except Exception:  # never let the error path raise in its turn
            _log.exception("could not show an error")
        finally:
            showing.clear()

    bridge = _ThreadErrors(show)

    def on_exception(etype: type[BaseException], value: BaseException | None,
                     tb: TracebackType | None) -> None:
        if value is None:
            value = etype()
        if isinstance(value, KeyboardInterrupt):
            previous_sys(etype, value, tb)
            return
        if value.__traceback__ is None:
            value = value.with_traceback(tb)
        _log.error("uncaught exception", exc_info=(etype, value, tb))
        if threading.current_thread() is gui_thread:
            show(value)
        else:
            bridge.raised.emit(value)

    def on_thread_exception(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        on_exception(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = on_exception
    threading.excepthook = on_thread_exception

    def uninstall() -> None:
        sys.excepthook, threading.excepthook = previous_sys, previous_threading
        bridge.deleteLater()

    return uninstall


def failures_sentence(failed: int, total: int) -> str:
    if total == 1 and failed == 1:
        return tr("The file could not be read.")
    return tr("%1 of %2 files could not be read.").replace("%1", str(failed)).replace("%2", str(total))


def show_file_failures(parent: QWidget | None, failures: Sequence[FileFailure], total: int) -> ErrorDialog:
    """Once per indexing run: one sentence, then the list of files with their reasons."""
    dialog = ErrorDialog(failures_sentence(len(failures), total), failures=failures, parent=parent)
    ErrorPresenter.present(dialog)
    return dialog
