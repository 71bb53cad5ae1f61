#!/usr/bin/env python3
"""Render the window's main states to PNG, offscreen, to look at them.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]        # default: build/screenshots

States: the empty window, indexing in progress, an answer with citations, the PDF source view with the
passage highlighted, the settings dialog, and the Chinese interface. Uses a throwaway data and config
folder, the project's samples/ (and ../shared/corpora/pdf, when present, to have indexing to watch), and
whatever model qwenrag finds (the demo model if nothing else). Chinese needs a CJK font on the machine
(Debian/Ubuntu: apt-get install fonts-noto-cjk).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="qwenrag-shots-"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QWENRAG_DATA_DIR"] = str(home / "data")
    os.environ["QWENRAG_CONFIG_DIR"] = str(home / "config")
    os.environ["QWENRAG_UI_LANG"] = "en"

    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication(sys.argv[:1])
    app.setFont(QFont(app.font().family(), 10))
    from ui import i18n
    from ui.main_window import MainWindow
    from ui.services import Services
    from ui.tasks import TaskRunner

    def wait(cond: Callable[[], bool], timeout: float = 180.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            QCoreApplication.processEvents()
            if cond():
                return True
            time.sleep(0.01)
        return False

    def shot(widget: QWidget, name: str) -> None:
        for _ in range(20):  # let coalesced updates (progress is refreshed every 150 ms) and paints land
            QCoreApplication.processEvents()
            time.sleep(0.02)
        path = out / f"{name}.png"
        widget.grab().save(str(path))
        print(path)

    i18n.install("en")
    from dataclasses import replace

    from qwenrag import settings as core

    # Short answers: the demo model rambles, and the card's sources must fit in the picture.
    core.save(replace(core.load(), max_answer_tokens=160))
    services = Services()
    runner = TaskRunner()
    window = MainWindow(services, runner)
    window.resize(1280, 800)
    window.show()
    window.start_background_work()
    wait(lambda: runner.is_idle() or services.model.ready, 5)
    shot(window, "1-empty-window")

    from ui.samples import sample_files

    samples = sample_files()
    corpus = ROOT.parent / "shared" / "corpora" / "pdf"
    window.documents.samples_button.click()  # the first-run offer in the empty list
    if corpus.is_dir():
        window.controller.add([str(corpus)])  # queued after the samples: there is progress to see
        wait(lambda: (window.controller.current is not None and window.controller.current.total > 20
                      and window.controller.current.done >= 8), 120)
    else:
        wait(lambda: window.documents.progress_box.isVisible(), 30)
    shot(window, "2-indexing")
    if corpus.is_dir():
        window.controller.cancel()
    wait(lambda: not window.controller.busy, 300)
    wait(lambda: services.model.ready or services.model.state.value == "failed", 180)

    chat = window.chat
    ask = getattr(chat, "ask", None)
    if ask is not None:
        ask("How many days of annual leave do employees get?")
        wait(lambda: not chat.busy, 300)
        shot(window, "3-answer-with-citations")
        pdf = next((p for p in samples if p.suffix.lower() == ".pdf"), None)
        hits = [h for h in services.library.search("annual leave days", 10) if pdf and h.file == str(pdf)]
        if hits:
            window.show_source(hits[0])
            wait(lambda: False, 1.5)  # the page renders asynchronously
            shot(window, "4-pdf-source-with-highlight")
            if window.source_view is not None:
                window.source_view.hide()

    from ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(services, window)
    dialog.show()
    dialog.adjustSize()
    shot(dialog, "5-settings")
    dialog.close()

    i18n.install("zh_CN")
    wait(lambda: window.windowTitle().startswith("QwenRAG — 向"), 5)
    if ask is not None:
        if hasattr(chat, "new_chat"):
            chat.new_chat()
        ask("病假需要提供什么证明？")
        wait(lambda: not chat.busy, 300)
    shot(window, "6-chinese-interface")
    dialog = SettingsDialog(services, window)
    dialog.show()
    dialog.adjustSize()
    shot(dialog, "7-settings-chinese")
    dialog.close()
    window.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
