"""`run(argv)`: the desktop app. The window is shown first; the library, the refresh and the model follow.

Only Qt and small modules are imported before the window is up; the library (SQLite, the search index) is
opened on a worker and the model loads on the "model" lane, so the window appears in well under a second.
"""

from __future__ import annotations

import os
import sys
import time

_T0 = time.perf_counter()  # for the start-up benchmark: process start is close enough to this import
# How long a thread running Python keeps the GIL when another wants it (CPython's default is 5 ms). Every
# call from Qt into Python on the GUI thread (a slot, a paintEvent, a model's data()) must take the GIL, and
# a repaint makes hundreds: while a worker runs Python (the answer's search and quotes, indexing) each may
# wait up to this long. `tests/bench/bench_gui.py --switch-interval-only` (three runs): a whole-window repaint
# beside a worker running Python 38.7-41.8 / 15.5-18.0 / 10.2-11.1 ms at 5 / 1 / 0.25 ms (7.2-9.0 ms alone);
# two threads running Python at once lose up to 6% / 12% to the hand-overs at 1 / 0.25 ms. With no contention
# there is no switching.
GUI_SWITCH_INTERVAL_S = 0.00025


def favour_the_gui_thread() -> None:
    """Let the GUI thread take the GIL from a worker quickly (see GUI_SWITCH_INTERVAL_S)."""
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)


def run(argv: list[str]) -> int:
    from PySide6.QtCore import QCoreApplication, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    favour_the_gui_thread()
    QCoreApplication.setOrganizationName("QwenRAG")
    QCoreApplication.setApplicationName("QwenRAG")
    QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    window = create_main_window()
    window.show()
    if os.environ.get("QWENRAG_REPORT_STARTUP"):
        # The benchmark reads this line: time from interpreter start to the window shown.
        QTimer.singleShot(0, lambda: print(f"window shown after {time.perf_counter() - _T0:.3f} s "
                                           f"(at {time.time():.3f})", flush=True))
    if os.environ.get("QWENRAG_QUIT_AFTER_SHOWN"):
        QTimer.singleShot(0, window.close)
    window.start_background_work()
    code = app.exec()
    window.wait_closed(30.0)  # the window is gone; work it could not wait for finishes before exit
    return int(code)


def create_main_window():  # type: ignore[no-untyped-def]
    """Services, the task runner and the window; the interface language from the settings."""
    from ui import i18n
    from ui.errors import install_exception_hooks, show_exception
    from ui.main_window import MainWindow
    from ui.services import Services
    from ui.tasks import TaskRunner

    services = Services()
    i18n.install(services.settings.interface_language)
    runner = TaskRunner()
    window = MainWindow(services, runner)
    runner.default_error_handler = lambda exc: show_exception(window, exc)
    install_exception_hooks(window)  # slots and stray threads too: one error path, one dialog
    return window


if __name__ == "__main__":
    sys.exit(run(sys.argv))
