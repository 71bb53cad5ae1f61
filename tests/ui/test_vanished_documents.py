"""Files deleted or moved on disk leave the window's list and the library: through the watcher while the
app runs, and through the start-up refresh after it was closed (issue 11, part 4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from ui.main_window import MainWindow


def _wait_idle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.runner.is_idle() and not window.controller.busy, timeout=120_000)


def _names(window: MainWindow) -> set[str]:
    return {r.name for r in window.documents.model.rows}


def test_a_file_deleted_while_the_app_runs_leaves_the_list_and_the_library(
        qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    folder.mkdir()
    (folder / "keep.txt").write_text("The canteen opens at eight.", encoding="utf-8")
    (folder / "gone.txt").write_text("Parking permits are issued by reception.", encoding="utf-8")
    window = make_window()
    window.controller.add([str(folder)])
    _wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: str(folder) in window.controller.watched_paths())
    assert _names(window) == {"keep.txt", "gone.txt"}
    assert window.services.search("parking permits", 3)
    (folder / "gone.txt").unlink()
    qtbot.waitUntil(lambda: _names(window) == {"keep.txt"}, timeout=20_000)
    _wait_idle(qtbot, window)
    assert [s.file for s in window.services.search("parking permits", 3)] == []
    assert [Path(d.path).name for d in window.services.library.documents()] == ["keep.txt"]


def test_a_file_moved_away_while_closed_leaves_at_start(qtbot: QtBot, make_window: Callable[..., MainWindow],
                                                        tmp_path: Path) -> None:
    folder = tmp_path / "kept"
    folder.mkdir()
    (folder / "memo.txt").write_text("The office moves in March.", encoding="utf-8")
    (folder / "old.txt").write_text("The old canteen menu.", encoding="utf-8")
    first = make_window()
    first.controller.add([str(folder)])
    _wait_idle(qtbot, first)
    first.close()
    (folder / "old.txt").rename(tmp_path / "archived.txt")
    second = make_window()
    _wait_idle(qtbot, second)
    qtbot.waitUntil(lambda: _names(second) == {"memo.txt"}, timeout=20_000)
    assert not second.services.search("canteen menu", 3)
