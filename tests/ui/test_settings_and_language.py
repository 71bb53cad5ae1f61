"""Settings are saved and restored; the interface language switches live without losing anything."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QPushButton
from pytestqt.qtbot import QtBot

from ui import i18n
from ui.main_window import MainWindow, window_settings
from ui.services import UiSettings, load_settings
from ui.settings_dialog import SettingsDialog


@pytest.fixture(autouse=True)
def _english_afterwards() -> Iterator[None]:
    yield
    i18n.install("en")


def wait_idle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.runner.is_idle() and not window.controller.busy, timeout=120_000)


def open_settings(qtbot: QtBot, window: MainWindow) -> SettingsDialog:
    window.settings_action.trigger()
    qtbot.waitUntil(lambda: window.findChild(SettingsDialog) is not None)
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None
    return dialog


def test_the_dialog_saves_every_setting_and_they_survive_a_restart(
        qtbot: QtBot, make_window: Callable[..., MainWindow]) -> None:
    window = make_window()
    dialog = open_settings(qtbot, window)
    dialog.threads.setValue(3)
    dialog.context.setCurrentIndex(dialog.context.findData(8192))
    dialog.temperature.setValue(0.7)
    dialog.passages.setValue(8)
    dialog.answer_language.setCurrentIndex(dialog.answer_language.findData("zh"))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    expected = UiSettings(threads=3, context_size=8192, temperature=0.7, passages=8, answer_language="zh")
    assert window.services.settings == expected
    assert load_settings() == expected  # on disk, read back by a fresh process would see the same
    window.close()
    again = make_window()
    assert again.services.settings == expected
    dialog = open_settings(qtbot, again)
    assert dialog.threads.value() == 3 and dialog.passages.value() == 8
    dialog.reject()


def test_closing_and_reopening_restores_the_library_and_the_window(
        qtbot: QtBot, make_window: Callable[..., MainWindow], documents: list[Path]) -> None:
    window = make_window()
    window.controller.add([str(p) for p in documents])
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: len(window.documents.model.rows) == len(documents))
    listed = {(r.name, r.status, r.passages) for r in window.documents.model.rows}
    window.resize(760, 560)  # the offscreen screen is 800x600: restoreGeometry keeps windows on it
    window.splitter.setSizes([300, 460])
    sizes = window.splitter.sizes()
    window.close()
    saved = window_settings().value("splitter")
    assert isinstance(saved, QByteArray) and not saved.isEmpty()

    again = make_window()
    wait_idle(qtbot, again)
    qtbot.waitUntil(lambda: len(again.documents.model.rows) == len(documents))
    assert {(r.name, r.status, r.passages) for r in again.documents.model.rows} == listed
    assert (again.size().width(), again.size().height()) == (760, 560)
    assert again.splitter.sizes() == sizes
    assert isinstance(window_settings(), QSettings)


def _texts(window: MainWindow) -> set[str]:
    found = {window.windowTitle(), window.file_menu.title(), window.documents.title.text(),
             window.documents.add_files_button.text()}
    found |= {w.text() for w in window.findChildren(QPushButton) if w.isVisible()}
    found |= {w.text() for w in window.findChildren(QLabel) if w.isVisible() and w.text()}
    return found


def test_switching_the_language_retranslates_the_visible_widgets_and_keeps_the_state(
        qtbot: QtBot, make_window: Callable[..., MainWindow], documents: list[Path]) -> None:
    assert (Path(i18n.__file__).parent / "qwenrag_zh_CN.qm").is_file(), "run ui/i18n/update_translations.sh"
    window = make_window()
    window.controller.add([str(p) for p in documents])
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: len(window.documents.model.rows) == len(documents))
    chat_input = window.chat.findChild(object, "chatInput")
    if chat_input is not None:
        chat_input.setPlainText("病假需要什么证明？")  # typed, not sent: must survive the switch
    english = _texts(window)
    assert "Documents" in english and "Add files…" in english

    dialog = open_settings(qtbot, window)
    dialog.interface_language.setCurrentIndex(dialog.interface_language.findData("zh_CN"))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Apply).click()
    assert i18n.current_language() == "zh_CN"
    qtbot.waitUntil(lambda: dialog.windowTitle() == "设置")  # Qt posts LanguageChange to each window
    dialog.reject()
    chinese = _texts(window)
    assert window.windowTitle() == "QwenRAG — 向你的文档提问"
    assert window.file_menu.title() == "文件(&F)"
    assert window.documents.title.text() == "文档"
    assert window.documents.add_files_button.text() == "添加文件…"
    model = window.documents.model
    assert model.headerData(0, __import__("PySide6.QtCore").QtCore.Qt.Orientation.Horizontal) == "名称"
    assert "已索引" in {model.data(model.index(i, 3)) for i in range(model.rowCount())}
    assert window.model_status.label.text().startswith(("模型", "没有模型", "正在加载"))
    still_english = sorted(t for t in english & chinese if t.isascii() and any(c.isalpha() for c in t)
                           and t not in {r.name for r in model.rows})
    assert not still_english, f"not retranslated: {still_english}"
    # Nothing was lost: the list, and the words typed into the chat.
    assert len(model.rows) == len(documents)
    if chat_input is not None:
        assert chat_input.toPlainText() == "病假需要什么证明？"
    assert window.services.settings.interface_language == "zh_CN"

    window.close()
    again = make_window()  # the app installs the saved language at start (ui.app.create_main_window)
    i18n.install(again.services.settings.interface_language)
    qtbot.waitUntil(lambda: again.windowTitle() == "QwenRAG — 向你的文档提问")
    i18n.install("en")
    qtbot.waitUntil(lambda: again.windowTitle() == "QwenRAG — ask your documents")
    assert again.documents.title.text() == "Documents"


def test_the_chinese_translation_is_complete_and_compiled() -> None:
    """Every string lupdate found has a translation (run ui/i18n/update_translations.sh after adding some)."""
    import xml.etree.ElementTree as ET

    folder = Path(i18n.__file__).parent
    ts = ET.parse(folder / "qwenrag_zh_CN.ts").getroot()
    untranslated = [m.findtext("source") for m in ts.iter("message")
                    if m.find("translation") is not None and m.find("translation").get("type") == "unfinished"]
    assert not untranslated, f"untranslated: {untranslated}"
    assert (folder / "qwenrag_zh_CN.qm").stat().st_size > 1000
