"""Two small dialogs of the documents list: a password for a protected file, and a document's extracted text.

PasswordDialog says plainly what happens: the password opens the file once and is not saved, and the text
read from the file becomes searchable in the library. ExtractedTextDialog shows the passages as indexed
(location and text), loaded on the task runner so a large document never blocks the window.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from indexing.locations import Location
from ui.i18n import counted, tr
from ui.tasks import TaskRunner


class PasswordDialog(QDialog):
    """Asks for one file's password; `accepted_password` calls back with it (it is not kept here)."""

    def __init__(self, path: str, on_password: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passwordDialog")
        self.setWindowTitle(tr("Enter password"))
        self._on_password = on_password
        self.explanation = QLabel(self)
        self.explanation.setWordWrap(True)
        self.explanation.setText(
            tr("“%1” is password-protected. Enter its password to read it.\n\n"
               "The password is used once, to open the file, and is not saved. The text read from the file "
               "becomes searchable in your library, and stays there without the password.")
            .replace("%1", os.path.basename(path)))
        self.field = QLineEdit(self)
        self.field.setObjectName("passwordField")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setPlaceholderText(tr("Password"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Open and index"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.field.textChanged.connect(self._update)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addWidget(self.field)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        self._update()

    def _update(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.field.text()))

    def accept(self) -> None:
        password = self.field.text()
        self.field.clear()  # not kept in the widget once handed over
        if password:
            self._on_password(password)
        super().accept()


class ExtractedTextDialog(QDialog):
    """Read-only: what the library holds of one document, passage by passage with its location."""

    def __init__(self, path: str, runner: TaskRunner, load: Callable[[], list[tuple[Location, str]]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("extractedTextDialog")
        self.setWindowTitle(tr("Extracted text: %1").replace("%1", os.path.basename(path)))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.summary = QLabel(tr("Loading…"), self)
        self.summary.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("extractedText")
        self.text.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(720, 560)
        self.loaded = False
        runner.run(load, on_done=self._show, name="extracted text")

    def _show(self, passages: list[tuple[Location, str]]) -> None:
        self.loaded = True
        if not passages:
            self.summary.setText(tr("Nothing from this file is in the library."))
            return
        self.summary.setText(counted(tr("%1 passage(s), as the search sees them."), len(passages)))
        parts = [f"[{n}] {loc.describe() or tr('(whole document)')}\n{text}"
                 for n, (loc, text) in enumerate(passages, 1)]
        self.text.setPlainText("\n\n".join(parts))
