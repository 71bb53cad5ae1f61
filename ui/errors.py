"""The one place that shows errors to a person.

    show_error(parent, "The model could not be loaded.", detail=traceback_text)
    show_exception(parent, exc)                      # a plain sentence from the exception, details behind
    show_file_failures(parent, failures, total=40)   # "3 of 40 files could not be read", reasons in a list

Every dialog has the plain sentence first and a "Copy details" button that puts the technical detail on the
clipboard. Tests set `ErrorPresenter.modal = False` (the default under QT_QPA_PLATFORM=offscreen) so
dialogs are shown without blocking, and can read `ErrorPresenter.last` to see what was shown.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt
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
    """A sentence for a person: our own errors carry one; anything else gets a generic sentence."""
    if isinstance(exc, QwenragError):
        return getattr(exc, "message", None) or str(exc)
    if isinstance(exc, MemoryError):
        return tr("The computer ran out of memory.")
    if isinstance(exc, OSError):
        return tr("A file could not be read or written: %1").replace("%1", exc.strerror or str(exc))
    return tr("Something went wrong: %1").replace("%1", str(exc) or type(exc).__name__)


def show_exception(parent: QWidget | None, exc: BaseException, message: str | None = None) -> ErrorDialog:
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).strip()
    return show_error(parent, message or plain_message(exc), detail)


def failures_sentence(failed: int, total: int) -> str:
    if total == 1 and failed == 1:
        return tr("The file could not be read.")
    return tr("%1 of %2 files could not be read.").replace("%1", str(failed)).replace("%2", str(total))


def show_file_failures(parent: QWidget | None, failures: Sequence[FileFailure], total: int) -> ErrorDialog:
    """Once per indexing run: one sentence, then the list of files with their reasons."""
    dialog = ErrorDialog(failures_sentence(len(failures), total), failures=failures, parent=parent)
    ErrorPresenter.present(dialog)
    return dialog
