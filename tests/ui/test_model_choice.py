"""A better model in two steps: drop a .gguf on the window or choose it in Settings; it is checked, copied into
the models folder, selected and loaded (its system prompt warmed up); a bad file gets a clear message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from qwenrag import paths
from tests.model_fixtures import demo_model
from tests.ui.test_documents import drop
from ui.errors import ErrorPresenter
from ui.main_window import MainWindow
from ui.services import ModelState


def _answer_yes(qtbot: QtBot, window: MainWindow, name: str) -> None:
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "useModelBox") is not None)
    box = window.findChild(QMessageBox, "useModelBox")
    assert box is not None and name in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()


@pytest.mark.model
def test_a_dropped_real_gguf_is_copied_selected_loaded_and_warmed_up(
        qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path) -> None:
    src = demo_model()
    window = make_window()
    drop(window.chat, [src])
    _answer_yes(qtbot, window, src.name)
    copy = paths.models_dir() / src.name
    qtbot.waitUntil(lambda: window.services.model.state is ModelState.READY, timeout=120_000)
    assert window.services.settings.model_path == str(copy)  # the copy, not the dropped original
    assert copy.read_bytes() == src.read_bytes()
    assert window.services.model.path == str(copy) and window.services.model.size_bytes == src.stat().st_size
    shown = window.model_status.label.text()
    assert shown == f"Model: {src.name} ({src.stat().st_size / 1e6:.0f} MB)"
    assert window.services.warmed_tokens > 20  # the system prompt went into the KV cache after loading
    assert ErrorPresenter.last is None
    assert window.documents.model.rows == []  # a model is not a document


def test_a_dropped_truncated_gguf_gets_a_clear_message_and_changes_nothing(
        qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path) -> None:
    src = demo_model()
    cut = tmp_path / "qwen2.5-0.5b-instruct-q4_k_m.gguf"
    with open(src, "rb") as f:
        cut.write_bytes(f.read(5_000_000))  # an interrupted download
    window = make_window()
    before = window.services.settings
    drop(window.documents.table.viewport(), [cut])
    _answer_yes(qtbot, window, cut.name)
    qtbot.waitUntil(lambda: ErrorPresenter.last is not None, timeout=30_000)
    assert "truncated" in ErrorPresenter.last.message and cut.name in ErrorPresenter.last.message
    assert window.services.settings == before
    assert not paths.models_dir().exists() or list(paths.models_dir().iterdir()) == []
    assert window.services.model.state is ModelState.NONE  # nothing was loaded


def test_garbage_named_gguf_is_refused(qtbot: QtBot, make_window: Callable[..., MainWindow],
                                       tmp_path: Path) -> None:
    garbage = tmp_path / "my-model.gguf"
    garbage.write_bytes(b"<!DOCTYPE html><html><body>Sign in to continue</body></html>")
    window = make_window()
    drop(window.documents.table.viewport(), [garbage])
    _answer_yes(qtbot, window, garbage.name)
    qtbot.waitUntil(lambda: ErrorPresenter.last is not None, timeout=30_000)
    assert ErrorPresenter.last.message == "my-model.gguf is not a GGUF model file."
    assert window.services.settings.model_path == ""


@pytest.mark.model
def test_settings_choose_a_gguf_file_installs_and_shows_name_and_size(
        qtbot: QtBot, make_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.settings_dialog import SettingsDialog

    src = demo_model()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(src), "")))
    window = make_window()
    window.open_settings()
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None and dialog.browse_button.text() == "Choose a GGUF file…"
    dialog.browse_button.click()
    copy = paths.models_dir() / src.name
    qtbot.waitUntil(lambda: dialog.model_edit.text() == str(copy), timeout=60_000)
    assert window.services.settings.model_path == str(copy) and copy.is_file()
    qtbot.waitUntil(lambda: window.services.model.state is not ModelState.LOADING, timeout=120_000)
    assert window.services.model.state is ModelState.READY
    dialog.close()


def test_welcome_says_where_the_qwen_model_comes_from(make_window: Callable[..., MainWindow]) -> None:
    from ui.chat_view import Welcome

    window = make_window(start=False)
    welcome = window.findChild(Welcome)
    assert welcome is not None
    text = welcome.hint.text() + " " + welcome.model_hint.text()
    assert "qwen2.5-0.5b-instruct-q4_k_m.gguf" in text
    assert "huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF" in text
    assert "downloads nothing" in text
    assert "[1]" not in text  # no promise of citations a small model does not write


def test_the_model_page_gives_the_measured_cost_per_quantization(
        qtbot: QtBot, make_window: Callable[..., MainWindow]) -> None:
    from qwenrag.models import QWEN_COSTS
    from ui.settings_dialog import SettingsDialog

    window = make_window(start=False)
    window.open_settings()
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None
    text = dialog.cost_note.text()
    assert dialog.cost_note.isVisibleTo(dialog)
    assert [c.quant for c in QWEN_COSTS] == ["Q4_K_M", "Q8_0"]
    for c in QWEN_COSTS:  # file size, memory, first word and speed of each quantization, on 2 cores
        assert f"{c.quant}: {c.file_mb} MB file, about {c.ram_mb} MB of memory" in text
        assert f"after about {c.first_word_s:.1f} s" in text
    assert "With 4 cores" in text and "with 8 cores" in text
    dialog.close()
