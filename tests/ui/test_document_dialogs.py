"""The documents list's "Enter password…" and "Show extracted text", driven through the real window."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from indexing.errors import ProblemKind
from indexing.messages import problem_message
from tests.ui.test_documents import drop, statuses, wait_idle
from ui.document_dialogs import ExtractedTextDialog, PasswordDialog
from ui.main_window import MainWindow


def _select(window: MainWindow, name: str) -> None:
    model = window.documents.model
    i = next(i for i, r in enumerate(model.rows) if r.name == name)
    window.documents.table.selectRow(window.documents.proxy.mapFromSource(model.index(i, 0)).row())


def test_enter_password_then_show_extracted_text(qtbot: QtBot, make_window: Callable[..., MainWindow],
                                                 shared_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    deck = Path(shutil.copy2(shared_dir / "legacy" / "apache-tika" / "testPPT_protected_passtika.ppt",
                             folder / "budget.ppt"))
    note = folder / "note.txt"
    note.write_text("Quarterly budget review notes.\n", encoding="utf-8")
    window = make_window()
    wait_idle(qtbot, window)
    drop(window.documents.table.viewport(), [deck, note])
    qtbot.waitUntil(lambda: statuses(window).get("budget.ppt") == "failed", timeout=120_000)
    wait_idle(qtbot, window)
    row = next(r for r in window.documents.model.rows if r.name == "budget.ppt")
    assert row.reason == problem_message(ProblemKind.ENCRYPTED)
    panel = window.documents
    _select(window, "note.txt")
    assert not panel.password_action.isEnabled() and panel.text_action.isEnabled()
    _select(window, "budget.ppt")
    assert panel.password_action.isEnabled() and not panel.text_action.isEnabled()

    panel.password_action.trigger()
    dialog = panel.password_dialog
    assert isinstance(dialog, PasswordDialog) and dialog.isVisible()
    assert "not saved" in dialog.explanation.text() and "searchable" in dialog.explanation.text()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # nothing typed yet
    qtbot.keyClicks(dialog.field, "tika")
    assert dialog.field.echoMode() == dialog.field.EchoMode.Password
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.field.text() == ""  # handed over, not kept in the widget
    qtbot.waitUntil(lambda: statuses(window).get("budget.ppt") == "indexed", timeout=120_000)
    wait_idle(qtbot, window)
    hits = window.services.search("encrypted PowerPoint 2007 slide", 3)
    assert hits and hits[0].file == str(deck.resolve()) and hits[0].location.slide == 1

    _select(window, "budget.ppt")
    assert panel.text_action.isEnabled() and not panel.password_action.isEnabled()
    panel.text_action.trigger()
    shown = panel.text_dialog
    assert isinstance(shown, ExtractedTextDialog)
    qtbot.waitUntil(lambda: shown.loaded, timeout=30_000)
    text = shown.text.toPlainText()
    assert "This is an encrypted PowerPoint 2007 slide." in text and "slide 1" in text
    assert shown.text.isReadOnly() and "1 passage" in shown.summary.text()
    shown.close()
    # the password is in no file the app wrote
    for base in (os.environ["QWENRAG_DATA_DIR"], os.environ["QWENRAG_CONFIG_DIR"]):
        for f in Path(base).rglob("*"):
            if f.is_file():
                assert b"tika" not in f.read_bytes().replace(b"passtika", b""), f
