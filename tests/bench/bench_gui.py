#!/usr/bin/env python3
"""How responsive is the window? (not collected by pytest)

    .venv/bin/python tests/bench/bench_gui.py [--index-seconds 120] [--runs 3]

1. Start-up: time from process start to the window shown (`qwenrag gui` in a fresh process). Bar: < 1 s.
2. The longest stall of the GUI event loop while indexing ../shared/corpora (samples/ when absent): a 5 ms
   QTimer measures how late it fires. Bar: < 50 ms.
3. The same while an answer is generated (with whatever model qwenrag finds; the demo model at least).

Offscreen (QT_QPA_PLATFORM=offscreen unless set) in throwaway data and config folders. Prints a table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
STALL_BAR_MS = 50.0
STARTUP_BAR_S = 1.0
TICK_MS = 5


def startup_times(runs: int) -> list[float]:
    """Wall clock from just before the process is created to the window's first show."""
    out: list[float] = []
    code = "import sys; from ui.app import run; sys.exit(run(sys.argv[:1]))"
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, QWENRAG_DATA_DIR=f"{home}/data", QWENRAG_CONFIG_DIR=f"{home}/config",
                       QWENRAG_REPORT_STARTUP="1", QWENRAG_QUIT_AFTER_SHOWN="1")
            env.setdefault("QT_QPA_PLATFORM", "offscreen")
            started = time.time()
            proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=300)
            line = next((x for x in proc.stdout.splitlines() if x.startswith("window shown")), "")
            if not line:
                raise SystemExit(f"the app did not report its window: {proc.stderr[-2000:]}")
            shown_at = float(line.rsplit("at ", 1)[1].rstrip(")"))
            out.append(shown_at - started)
    return out


class StallMeter:
    """A 5 ms precise timer; the lateness of each tick is how long the event loop was busy elsewhere."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.gaps: list[float] = []
        self._last = 0.0
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000.0 - TICK_MS)
        self._last = now

    def summary(self) -> tuple[float, float, int]:
        """(longest stall ms, 99th percentile ms, ticks)."""
        if not self.gaps:
            return 0.0, 0.0, 0
        ordered = sorted(self.gaps)
        return ordered[-1], ordered[int(len(ordered) * 0.99) - 1 if len(ordered) > 1 else 0], len(ordered)


def pump(cond: Callable[[], bool], timeout: float) -> bool:
    """Run the event loop until cond() or timeout (like app.exec, in slices)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.monotonic() + timeout
    check = QTimer()
    check.setInterval(20)
    check.timeout.connect(lambda: loop.quit() if cond() or time.monotonic() > deadline else None)
    check.start()
    loop.exec()
    check.stop()
    return cond()


def in_process(index_seconds: float) -> dict[str, tuple[float, float, int, str]]:
    home = Path(tempfile.mkdtemp(prefix="qwenrag-bench-"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QWENRAG_DATA_DIR"] = str(home / "data")
    os.environ["QWENRAG_CONFIG_DIR"] = str(home / "config")
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from ui.main_window import MainWindow
    from ui.services import Services
    from ui.tasks import TaskRunner

    services = Services()
    runner = TaskRunner()
    window = MainWindow(services, runner)
    window.resize(1280, 800)
    window.show()
    window.start_background_work()
    pump(lambda: services.model.ready or services.model.state.value == "failed", 300)
    results: dict[str, tuple[float, float, int, str]] = {}
    meter = StallMeter()

    corpora = ROOT.parent / "shared" / "corpora"
    sources = [str(ROOT / "samples")] + [str(corpora / k) for k in ("pdf", "docx", "xlsx") if (corpora / k).is_dir()]
    meter.start()
    started = time.monotonic()
    window.controller.add(sources)
    finished = pump(lambda: not window.controller.busy, index_seconds)
    meter.stop()
    files = sum(r.status == "indexed" for r in window.documents.model.rows)
    note = f"{files} files indexed in {time.monotonic() - started:.0f} s" + ("" if finished else " (stopped)")
    results["indexing"] = (*meter.summary(), note)
    window.controller.cancel()
    pump(lambda: not window.controller.busy, 120)

    chat = window.chat
    if services.model.ready and hasattr(chat, "ask"):
        meter.start()
        started = time.monotonic()
        chat.ask("How many days of annual leave do employees get after three years?")
        pump(lambda: not chat.busy, 300)
        meter.stop()
        results["generating"] = (*meter.summary(), f"answer in {time.monotonic() - started:.1f} s, "
                                 f"model {services.model.name}")
        # Both at once: a question while the library is re-indexed.
        meter.start()
        window.controller.reindex([str(ROOT / "samples")])
        chat.ask("员工请病假需要提供什么证明？")
        pump(lambda: not chat.busy and not window.controller.busy, 300)
        meter.stop()
        results["generating + indexing"] = (*meter.summary(), "samples re-indexed during an answer")
    window.close()
    window.deleteLater()
    app.processEvents()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-seconds", type=float, default=120.0, help="stop measuring indexing after this")
    parser.add_argument("--runs", type=int, default=3, help="start-up runs")
    args = parser.parse_args()
    starts = startup_times(args.runs)
    stalls = in_process(args.index_seconds)
    print()
    print(f"{'measure':<28}{'value':>12}{'bar':>10}  {'ok':<4}note")
    print("-" * 100)
    worst = max(starts)
    print(f"{'start -> window shown':<28}{worst:>10.3f} s{STARTUP_BAR_S:>8.1f} s  {'yes' if worst < STARTUP_BAR_S else 'NO':<4}"
          f"median {statistics.median(starts):.3f} s of {len(starts)} runs")
    for name, (longest, p99, ticks, note) in stalls.items():
        ok = "yes" if longest < STALL_BAR_MS else "NO"
        print(f"{'stall: ' + name:<28}{longest:>9.1f} ms{STALL_BAR_MS:>7.0f} ms  {ok:<4}p99 {p99:.1f} ms, "
              f"{ticks} ticks; {note}")
    sys.stdout.flush()
    # Skip interpreter teardown: PySide6 objects collected after QApplication can crash at exit.
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
