"""Documents in through real drops and the panel's actions; what could not be read says why."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from ui.errors import ErrorPresenter
from ui.main_window import MainWindow


def drop(target: QWidget, paths: list[Path]) -> QDropEvent:
    """What the window system delivers when files are dropped: DragEnter, then Drop, with file URLs."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPoint(target.width() // 2, target.height() // 2)
    with warnings.catch_warnings():  # PySide marks the QPoint constructor deprecated; it is the only one
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted(), "the window refuses the drag"
    event = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, event)
    return event


def wait_idle(qtbot: QtBot, window: MainWindow, timeout: int = 120_000) -> None:
    qtbot.waitUntil(lambda: window.runner.is_idle() and not window.controller.busy, timeout=timeout)


def statuses(window: MainWindow) -> dict[str, str]:
    return {r.name: r.status for r in window.documents.model.rows}


def test_files_dropped_on_any_widget_are_indexed_and_listed(qtbot: QtBot, make_window: Callable[..., MainWindow],
                                                            documents: list[Path]) -> None:
    window = make_window()
    wait_idle(qtbot, window)
    target = window.chat if not window.chat.objectName().endswith("Placeholder") else window.documents.table
    # Drop onto a child deep inside the chat (its text box would take text drops itself).
    child = target.findChild(QWidget, "chatInput") or target
    event = drop(child, documents)
    assert event.isAccepted()
    qtbot.waitUntil(lambda: window.controller.busy or len(window.documents.model.rows) == len(documents))
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: set(statuses(window)) == {p.name for p in documents})
    rows = window.documents.model.rows
    assert {r.status for r in rows} <= {"indexed", "failed"}, statuses(window)
    assert all(r.passages > 0 and r.kind for r in rows if r.status == "indexed")
    assert all(r.reason for r in rows if r.status == "failed")  # (a parser not written yet, say)
    assert sum(r.status == "indexed" for r in rows) >= len(rows) // 2
    assert window.documents.stack.currentWidget() is window.documents.table
    assert window.services.search("the", 3) or window.services.search("请假", 3)
    assert ErrorPresenter.last is None  # nothing failed: no dialog


def test_a_bad_file_shows_its_reason_and_the_others_still_index(
        qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    documents = [tmp_path / "docs" / "leave.md", tmp_path / "docs" / "security.txt"]
    documents[0].write_text("# 请假制度\n\n病假需要提供医院证明。\n", encoding="utf-8")
    documents[1].write_text("Passwords must be changed every 90 days.\n", encoding="utf-8")
    broken = tmp_path / "docs" / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nthis is not really a pdf")
    old = tmp_path / "docs" / "old.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    strange = tmp_path / "docs" / "picture.xyz"
    strange.write_bytes(b"abc")
    window = make_window()
    drop(window.documents.table.viewport(), [*documents, broken, old, strange])
    qtbot.waitUntil(lambda: ErrorPresenter.last is not None, timeout=120_000)
    wait_idle(qtbot, window)
    s = statuses(window)
    assert {s[p.name] for p in documents} == {"indexed"}
    assert s["broken.pdf"] == "failed" and s["old.doc"] == "failed" and s["picture.xyz"] == "skipped"
    rows = {r.name: r for r in window.documents.model.rows}
    assert "damaged" in rows["old.doc"].reason and rows["picture.xyz"].reason  # an OLE2 header over zeros
    # Unsupported files are counted beside a switch that lists them.
    panel = window.documents
    assert panel.skipped_switch.isVisible() and "(1)" in panel.skipped_switch.text()
    assert panel.proxy.rowCount() == len(rows) - 1
    panel.skipped_switch.setChecked(True)
    assert panel.proxy.rowCount() == len(rows)
    dialog = ErrorPresenter.last
    assert dialog is not None
    assert dialog.message == f"3 of {len(documents) + 3} files could not be read."
    assert dialog.tree is not None and dialog.tree.topLevelItemCount() == 3
    assert "broken.pdf" in dialog.full_detail()
    dialog.copy_details()
    assert "3 of" in QApplication.clipboard().text()
    # The reason is the tooltip of the row and in the details view of the selection.
    model = window.documents.model
    i = next(i for i, r in enumerate(model.rows) if r.name == "broken.pdf")
    assert rows["broken.pdf"].reason in model.data(model.index(i, 3), Qt.ItemDataRole.ToolTipRole)
    window.documents.table.selectRow(window.documents.proxy.mapFromSource(model.index(i, 0)).row())
    assert window.documents.details.isVisible()
    assert rows["broken.pdf"].reason in window.documents.details.text()


def test_cancel_keeps_what_was_finished(qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(60):
        (folder / f"note{i:02}.txt").write_text(f"Note {i}: " + "quarterly budget figures " * 200, encoding="utf-8")
    window = make_window()
    wait_idle(qtbot, window)
    window.controller.add([str(folder)])
    qtbot.waitUntil(lambda: window.documents.progress_box.isVisible())
    assert window.documents.cancel_button.isVisible()
    qtbot.mouseClick(window.documents.cancel_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert not window.documents.progress_box.isVisible()
    done = [r for r in window.documents.model.rows if r.status == "indexed"]
    assert len(done) < 60
    assert "indexing" not in statuses(window).values()


def test_remove_and_reindex(qtbot: QtBot, make_window: Callable[..., MainWindow], documents: list[Path]) -> None:
    window = make_window()
    window.controller.add([str(p) for p in documents])
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: len(window.documents.model.rows) == len(documents))
    panel = window.documents
    panel.table.selectRow(0)
    victim = panel.selected_rows()[0].path
    assert panel.remove_action.isEnabled() and panel.open_action.isEnabled()
    # Delete asks first; "Cancel" keeps the document.
    panel.remove_action.trigger()
    box = panel.confirm_box
    assert box is not None and box.isVisible() and Path(victim).name in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    wait_idle(qtbot, window)
    assert window.services.library.document(victim) is not None
    assert victim in {r.path for r in panel.model.rows}
    # "Remove" removes it from the library (the file on disk stays).
    panel.remove_action.trigger()
    box = panel.confirm_box
    assert box is not None and box.isVisible()
    remove = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    remove.click()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: victim not in {r.path for r in panel.model.rows})
    assert Path(victim).is_file()
    assert window.services.library.document(victim) is None
    panel.table.selectRow(0)
    again = panel.selected_rows()[0].path
    before = window.services.library.document(again)
    assert before is not None
    time.sleep(0.01)
    panel.reindex_action.trigger()
    wait_idle(qtbot, window)
    after = window.services.library.document(again)
    assert after is not None and after.indexed_at > before.indexed_at


def test_changes_in_an_added_folder_are_reindexed_while_running(
        qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    folder.mkdir()
    (folder / "one.txt").write_text("The canteen opens at eight.", encoding="utf-8")
    window = make_window()
    window.controller.add([str(folder)])
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: str(folder) in window.controller.watched_paths())
    (folder / "two.txt").write_text("Parking permits are issued by reception.", encoding="utf-8")
    qtbot.waitUntil(lambda: "two.txt" in statuses(window), timeout=20_000)
    wait_idle(qtbot, window)
    assert window.services.search("parking permits", 3)
    (folder / "one.txt").write_text("The canteen now opens at seven thirty.", encoding="utf-8")
    qtbot.waitUntil(lambda: bool(window.services.search("thirty", 3)), timeout=20_000)
    wait_idle(qtbot, window)


def test_changes_while_closed_are_reindexed_at_start(qtbot: QtBot, make_window: Callable[..., MainWindow],
                                                    tmp_path: Path) -> None:
    folder = tmp_path / "kept"
    folder.mkdir()
    note = folder / "memo.txt"
    note.write_text("The office moves in March.", encoding="utf-8")
    first = make_window()
    first.controller.add([str(folder)])
    wait_idle(qtbot, first)
    first.close()
    note.write_text("The office moves in September instead.", encoding="utf-8")
    os.utime(note, (time.time() + 5, time.time() + 5))
    (folder / "new.txt").write_text("A new canteen menu.", encoding="utf-8")
    second = make_window()
    wait_idle(qtbot, second)
    assert second.services.search("September", 3)
    assert second.services.search("canteen menu", 3)


def test_a_dropped_gguf_file_is_offered_as_the_model(qtbot: QtBot, make_window: Callable[..., MainWindow],
                                                    tmp_path: Path) -> None:
    model = tmp_path / "my-model.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    window = make_window()
    drop(window.documents.table.viewport(), [model])
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "useModelBox") is not None)
    box = window.findChild(QMessageBox, "useModelBox")
    assert box is not None and "my-model.gguf" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: ErrorPresenter.last is not None)
    assert "my-model.gguf" in ErrorPresenter.last.message  # checked before it is used: a damaged file
    assert window.services.settings.model_path == ""
    assert window.documents.model.rows == []  # a model is not a document


def test_unsupported_files_inside_a_folder_are_counted_not_reported_as_failures(
        qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "notes.md").write_text("# Notes\n\nThe budget review is on Friday.\n", encoding="utf-8")
    (folder / "LICENSE").write_text("MIT", encoding="utf-8")
    (folder / "build.py").write_text("print('hi')", encoding="utf-8")
    window = make_window()
    wait_idle(qtbot, window)
    window.controller.add([str(folder)])
    wait_idle(qtbot, window)
    qtbot.wait(50)
    assert ErrorPresenter.last is None  # nothing could not be read: no dialog
    panel = window.documents
    assert statuses(window) == {"notes.md": "indexed", "LICENSE": "skipped", "build.py": "skipped"}
    assert panel.skipped_switch.isVisible() and "(2)" in panel.skipped_switch.text()
    assert panel.proxy.rowCount() == 1


def test_an_empty_library_offers_the_sample_documents(qtbot: QtBot, make_window: Callable[..., MainWindow]) -> None:
    """The README's first run: nothing configured, the shipped samples are one click away."""
    from ui.samples import sample_files

    expected = {p.name for p in sample_files()}
    if not expected:
        import pytest

        pytest.skip("samples/ has not been generated")
    assert "README.md" not in expected and {".pdf", ".docx", ".xlsx", ".txt", ".md"} >= {
        Path(n).suffix.lower() for n in expected}
    window = make_window()
    wait_idle(qtbot, window)
    panel = window.documents
    assert panel.stack.currentWidget() is panel.empty_page
    assert panel.samples_button.isVisible() and panel.samples_button.text() == "Add the sample documents"
    qtbot.mouseClick(panel.samples_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.busy or set(statuses(window)) == expected)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: set(statuses(window)) == expected)
    assert set(statuses(window).values()) == {"indexed"}, statuses(window)
    assert panel.stack.currentWidget() is panel.table and not panel.samples_button.isVisible()
    assert window.services.search("年假", 3)  # searchable at once
    assert ErrorPresenter.last is None


def test_sample_files_are_the_documents_of_the_samples_folder(tmp_path: Path) -> None:
    from ui.samples import sample_files

    for name in ("a.pdf", "b.DOCX", "c.xlsx", "d.txt", "e.md", "README.md", "make_samples.py", "questions.json",
                 ".hidden.txt"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub.pdf").mkdir()
    assert [p.name for p in sample_files(tmp_path)] == ["a.pdf", "b.DOCX", "c.xlsx", "d.txt", "e.md"]
    assert sample_files(tmp_path / "missing") == []
    # from source: the project's samples/, every document the README lists
    assert {p.suffix for p in sample_files()} == {".pdf", ".docx", ".xlsx", ".txt", ".md"}


def test_removing_while_another_process_writes_says_it_waits_then_removes(
        qtbot: QtBot, make_window: Callable[..., MainWindow], documents: list[Path]) -> None:
    from indexing.ownership import LOCK_FILE, WriterLock

    window = make_window()
    window.controller.add([str(p) for p in documents])
    wait_idle(qtbot, window)
    panel = window.documents
    qtbot.waitUntil(lambda: len(panel.model.rows) == len(documents))
    panel.table.selectRow(0)
    victim = panel.selected_rows()[0].path
    held = WriterLock(window.services.library_dir / LOCK_FILE)  # another QwenRAG process, as far as it can tell
    assert held.try_acquire()
    try:
        panel.remove_action.trigger()
        box = panel.confirm_box
        assert box is not None
        next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole).click()
        # The window says why nothing happens yet, and its event loop keeps running (waitUntil needs it).
        qtbot.waitUntil(lambda: "waiting for it to finish" in window.statusBar().currentMessage(), timeout=5000)
        assert window.services.library.document(victim) is not None
        assert victim in {r.path for r in panel.model.rows}
    finally:
        held.release()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: victim not in {r.path for r in panel.model.rows})
    assert window.services.library.document(victim) is None and Path(victim).is_file()
