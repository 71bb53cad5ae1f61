"""The real window app in a process of its own, busy, for tests that kill it:

    python -m tests.app_procs answer-and-index FOLDER QUESTION

Starts the app as `qwenrag gui` does (ui.app.create_main_window, shown, background work started, the
model loaded), adds FOLDER and asks QUESTION at once (of the model alone: "Search my documents" off). When the answer is being generated (the model is
reading its prompt or writing) while parsing workers are alive, prints one JSON line
{"workers": [pid, ...]} and runs on until killed. Offscreen unless QT_QPA_PLATFORM says otherwise; the
caller sets QWENRAG_DATA_DIR / QWENRAG_CONFIG_DIR.
"""

from __future__ import annotations

import json
import os
import sys


def answer_and_index(folder: str, question: str) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.app import create_main_window

    app = QApplication(sys.argv[:1])
    window = create_main_window()
    window.show()
    window.start_background_work()
    window.controller.add([folder])
    # The model alone, not the documents: whether a half-indexed library answers the question (so the model
    # runs at all) or says "not found" depends on timing; a chat with the model always runs it.
    window.chat.use_documents.setChecked(False)
    window.chat.ask(question)
    reported = False

    def check() -> None:
        nonlocal reported
        engine = window.services._engine
        library = window.services._library
        pool = library._pool if library is not None else None
        pids = [s.process.pid for s in pool._slots if s.process.is_alive()] if pool is not None else []
        if not reported and engine is not None and engine._active is not None and window.chat.busy and pids:
            reported = True
            print(json.dumps({"workers": pids}), flush=True)

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(20)
    return int(app.exec())


if __name__ == "__main__":
    if sys.argv[1] == "answer-and-index":
        sys.exit(answer_and_index(sys.argv[2], sys.argv[3]))
    raise SystemExit(f"unknown command {sys.argv[1]!r}")
