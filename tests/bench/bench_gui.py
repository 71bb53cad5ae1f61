#!/usr/bin/env python3
"""How responsive is the window? (not collected by pytest)

    .venv/bin/python tests/bench/bench_gui.py [--index-seconds 120] [--runs 3]

1. Start-up: time from process start to the window shown (`qwenrag gui` in a fresh process). Bar: < 1 s.
2. The longest stall of the GUI event loop while indexing ../shared/corpora (samples/ when absent): a 5 ms
   QTimer measures how late it fires. Bar: < 50 ms.
3. The same while an answer is generated (with whatever model qwenrag finds; the demo model at least), with
   a conversation history already saved (the list is re-read when an answer is saved).
4. All at once with one competing busy process on the machine: indexing, an answer streaming, and a
   100-page PDF opened in the source view (a generated PDF, indexed first). Bar: < 50 ms. The re-index and
   the question are two actions, 0.1 s apart (as in 3's "answer + re-indexing"): a person cannot do both in
   one turn of the event loop.
5. Stop during a 2,000-token prompt (the window's own path: services.ask on the model lane, Stop = the
   task's cancel): from Stop to the model being free for the next question. Bar: <= 0.5 s.
6. Closing the window mid-answer (2,000-token prompt, indexing running too): how long close() takes on the
   GUI thread. Bar: <= 1 s.
7. What the abort check costs: prompt evaluation of the same 2,000 tokens with llama.cpp's abort callback
   as installed (C strlen on a flag), with none, and with a Python callback, medians of 3.
8. With --widget-costs-only: what one render of a streaming answer costs the GUI thread, by length, with
   the citations coloured in one edit block (now) and one by one (before); and one repaint of the
   document list with DocumentsModel.data() as now and as before (texts made per cell and repaint); and
   showing a freshly opened 100-page PDF at the passage, located on the GUI thread (before) or on the
   worker that opened it (now); and a repaint of the whole window while a worker runs Python, without
   (now) and with (before) an application-wide Python event filter and a 5 ms GIL switch interval; and the
   GUI thread's CPU per second while the window shows an indexing run that waits, with the current file's
   bar hidden (now) or animated as a busy indicator (before).

--phases picks the stall phases (e.g. `--phases all --no-stop-close` for the all-at-once row alone);
--compare-yield N runs the all-at-once phase 2N times, the model's thread stepping aside between tokens
while the GUI thread waits for a CPU (ui/cpu_share.py, as the app does) and not, taking turns;
--compare-nice N does the same with the task runner's background lanes (ui/tasks.py) at nice 5, as the app
runs them, and at 0 (stepping aside on; needs the privilege to raise a priority again, e.g. root). Each phase
prints the GUI thread's CPU and CPU-wait totals, the load average and the CPU used per thread meanwhile.
--yield-cost-only: what that stepping aside costs generation while the GUI thread is idle (decode tokens/s
with and without it, idle and with one busy process, and the share of decode time it paused).

Indexing includes ../shared/corpora/malformed when present, so the run ends with the failure summary.
Finding culprits: with --why, a watchdog thread samples the GUI thread's Python stack whenever the loop is
late by more than 20 ms and prints the most frequent stacks, then for each of the longest stalls: how long,
how much of it the GUI thread waited for a CPU, its state (running, or blocked on the GIL or a lock), its
most frequent stack and which other threads ran meanwhile. With --dispatch, every event dispatch on the
GUI thread is timed (wall, and the GUI thread's CPU time) and the report lists the dispatches inside each
stall over the bar: which receiver and event, and how much of it was the GUI thread's own work.

--switch-interval-only: a whole-window repaint beside a thread running Python at GIL switch intervals of 5, 1,
0.25 and 0.1 ms, and what each costs two threads running Python at once.

Our packages are compiled to bytecode first (their __pycache__ folders), as the built app ships them: on a
machine with PYTHONDONTWRITEBYTECODE set each process would compile them from source (--from-source: as found).
Offscreen (QT_QPA_PLATFORM=offscreen unless set) in throwaway data and config folders. Prints a table.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
STALL_BAR_MS = 50.0
STARTUP_BAR_S = 1.0
STOP_BAR_S = 0.5
CLOSE_BAR_S = 1.0
LONG_PROMPT_TOKENS = 2000
FILLER = "The committee reviewed the annual budget, the staffing plan and the office lease. "
TICK_MS = 5


def compile_ahead() -> None:
    """Measure the app as it is shipped: the built app's archive holds our modules compiled to bytecode, but a
    checkout on a machine with PYTHONDONTWRITEBYTECODE set (as these are) compiled every module of ours from
    source in each new process: in the start-up, in the parsing workers, and in any import a worker lane made
    mid-answer (holding the GIL). Writes our packages' bytecode into their __pycache__ folders (git ignores
    them), which this process, the app processes it starts and their workers then read."""
    import compileall

    for package in ("indexing", "qwenrag", "ui"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


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
        # every phase's stalls over 20 ms: tick before the gap -> (gap ms, of it waiting for a CPU ms, of it the
        # GUI thread's CPU ms)
        self.stall_starts: dict[float, tuple[float, float, float]] = {}
        self.phase_of: dict[float, str] = {}  # the same stalls -> the phase they were in
        self.phase = ""
        self.cpu_waits: list[float] = []  # per gap: how long the GUI thread waited for a CPU (Linux)
        self.cpu_used: list[float] = []  # per gap: the GUI thread's own CPU time (its work, not waiting)
        self.last = 0.0
        self.timer_active = False
        self._cpu0 = self._wait0 = self.gui_cpu_ms = self.gui_wait_ms = 0.0
        self._schedstat = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
        self._last_wait = self._last_cpu = 0.0
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def _run_delay_ms(self) -> float:
        """Time this (GUI) thread spent runnable but not running, in total: the scheduler's, not ours."""
        try:
            return int(self._schedstat.read_text().split()[1]) / 1e6
        except (OSError, IndexError, ValueError):
            return 0.0

    def start(self) -> None:
        self.gaps.clear()
        self.cpu_waits.clear()
        self.cpu_used.clear()
        self._last_wait = self._run_delay_ms()
        self._cpu0 = self._last_cpu = time.thread_time()
        self._wait0 = self._last_wait
        self.last = time.perf_counter()
        self.timer.start()
        self.timer_active = True

    def stop(self) -> None:
        self.timer_active = False
        self.timer.stop()
        self.gui_cpu_ms = (time.thread_time() - self._cpu0) * 1000.0
        self.gui_wait_ms = self._run_delay_ms() - self._wait0

    def _tick(self) -> None:
        now = time.perf_counter()
        wait = self._run_delay_ms()
        cpu = time.thread_time()
        gap = (now - self.last) * 1000.0 - TICK_MS
        self.gaps.append(gap)
        if gap > 20.0:
            self.stall_starts[self.last] = (gap, wait - self._last_wait, (cpu - self._last_cpu) * 1000.0)
            self.phase_of[self.last] = self.phase
        self.cpu_waits.append(wait - self._last_wait)
        self.cpu_used.append((cpu - self._last_cpu) * 1000.0)
        self.last, self._last_wait, self._last_cpu = now, wait, cpu

    def summary(self) -> tuple[float, float, int]:
        """(longest stall ms, 99th percentile ms, ticks)."""
        if not self.gaps:
            return 0.0, 0.0, 0
        ordered = sorted(self.gaps)
        return ordered[-1], ordered[int(len(ordered) * 0.99) - 1 if len(ordered) > 1 else 0], len(ordered)

    def cpu_note(self) -> str:
        """How much of the longest stall the GUI thread spent waiting for a CPU (other threads and
        processes had them), as opposed to working or waiting for the GIL."""
        if not self.gaps or not self._schedstat.exists():
            return ""
        i = max(range(len(self.gaps)), key=self.gaps.__getitem__)
        top = sorted(range(len(self.gaps)), key=self.gaps.__getitem__, reverse=True)[1:5]
        rest = ", ".join(f"{self.gaps[j]:.0f} ({self.cpu_waits[j]:.0f} / {self.cpu_used[j]:.0f})" for j in top)
        return (f"; longest: {self.cpu_waits[i]:.0f} ms of it waiting for a CPU, {self.cpu_used[i]:.0f} ms "
                f"the GUI thread's own work (next: {rest} ms); GUI thread: {self.gui_cpu_ms:.0f} "
                f"ms CPU, {self.gui_wait_ms:.0f} ms waiting for a CPU; load {os.getloadavg()[0]:.1f}")


class GcPauses:
    """The garbage collector's pauses (any thread's: a collection holds the GIL, so the GUI waits too)."""

    def __init__(self) -> None:
        self.longest: dict[int, float] = {}
        self.count = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            ms = (time.perf_counter() - self._started) * 1000.0
            gen = info.get("generation", -1)
            self.longest[gen] = max(self.longest.get(gen, 0.0), ms)
            self.count += 1

    def take(self) -> str:
        """'gc: n collections, longest gen0 a ms, gen2 c ms' since the last take()."""
        parts = ", ".join(f"gen{g} {ms:.1f} ms" for g, ms in sorted(self.longest.items()))
        out = f"gc: {self.count} collections" + (f", longest {parts}" if parts else "")
        self.longest.clear()
        self.count = 0
        return out


class StallSampler(threading.Thread):
    """Samples the GUI thread while the meter's timer is overdue, and groups the samples by stall.

    Each sample holds the GUI thread's Python stack, its scheduler state (R: on a CPU or waiting for one —
    in Qt's C++ when the stack ends in a Qt call or the event loop; S: blocked, i.e. waiting for the GIL
    or a lock when the stack ends in Python), and which other threads were running (R) at that moment with
    the top of their Python stacks (Qt's and llama.cpp's threads by their names): who had the CPU or the
    GIL. `report()` names, for each of the longest stalls, where the GUI thread was and who else ran.
    (The sampler itself needs the GIL for a moment every 4 ms of a stall; Qt releases it in C++.)"""

    def __init__(self, meter: StallMeter, threshold_ms: float = 20.0) -> None:
        super().__init__(name="stall-sampler", daemon=True)
        self.meter = meter
        self.threshold_s = threshold_ms / 1000.0
        self.gui = threading.get_ident()
        self.gui_native = threading.get_native_id()
        self.samples: Counter[str] = Counter()
        # per stall (keyed by the meter's last tick before it): phase and its samples
        self.stalls: dict[float, tuple[str, list[Sample]]] = {}
        self.phase = ""
        self._stop = threading.Event()

    def run(self) -> None:
        me = threading.get_native_id()
        while not self._stop.wait(0.004):
            if not self.meter.timer_active or not self.phase:
                continue
            last = self.meter.last
            if time.perf_counter() - last <= self.threshold_s + TICK_MS / 1000.0:
                continue
            states = thread_states()
            frames = sys._current_frames()
            frame = frames.get(self.gui)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)[-8:]
            del frame  # a held frame keeps its locals alive: a QPainter must die when paintEvent returns
            where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(stack))
            self.samples[f"[{self.phase}] {where}"] += 1
            by_native = {t.native_id: t for t in threading.enumerate()}
            others: list[str] = []
            for tid, (name, state) in states.items():
                if tid in (me, self.gui_native) or state != "R":
                    continue
                thread = by_native.get(tid)
                top = ""
                if thread is not None and thread.ident in frames:
                    f = traceback.extract_stack(frames[thread.ident])[-1]
                    top = f" in {Path(f.filename).name}:{f.lineno} {f.name}"
                others.append(f"{thread.name if thread is not None else name}{top}")
            del frames
            sample = Sample(states.get(self.gui_native, ("", "?"))[1], where, tuple(sorted(others)))
            self.stalls.setdefault(last, (self.phase, []))[1].append(sample)

    def stop(self) -> None:
        self._stop.set()

    def report(self, top: int = 12, per_phase: int = 4) -> None:
        print("\nwhere the GUI thread was while the loop was late (4 ms samples):")
        for where, n in self.samples.most_common(top):
            print(f"{n:>5}  {where}")
        gaps = self.meter.stall_starts
        print(f"\nthe {per_phase} longest stalls of each phase, each with: how much of it the GUI thread waited for "
              "a CPU; its state in the samples (R running or waiting for a CPU, S blocked: on the GIL or a "
              "lock); its most frequent stack; the other threads that ran meanwhile (in how many samples):")
        phases = list(dict.fromkeys(phase for phase, _s in self.stalls.values()))
        for phase in phases:
            mine = [(start, samples) for start, (p, samples) in self.stalls.items() if p == phase]
            mine.sort(key=lambda kv: -gaps.get(kv[0], (0.0, 0.0, 0.0))[0])
            for start, samples in mine[:per_phase]:
                gap, cpu_wait, _own = gaps.get(start, (0.0, 0.0, 0.0))
                states = Counter(s.state for s in samples)
                stack, n = Counter(s.where for s in samples).most_common(1)[0]
                others = Counter(o for s in samples for o in s.others)
                print(f"- [{phase}] {gap:.0f} ms ({cpu_wait:.0f} waiting for a CPU), {len(samples)} samples, "
                      f"GUI {' '.join(f'{k}:{v}' for k, v in states.most_common())}; stack ({n}): {stack}")
                for name, count in others.most_common(4):
                    print(f"    ran meanwhile ({count}): {name}")


@dataclass(frozen=True)
class Sample:
    state: str  # the GUI thread's scheduler state: R, S, D
    where: str  # its Python stack, innermost first
    others: tuple[str, ...]  # the other threads in state R


def thread_states() -> dict[int, tuple[str, str]]:
    """native thread id -> (name, scheduler state) for this process's threads (Linux; {} elsewhere)."""
    out: dict[int, tuple[str, str]] = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tids:
        try:
            stat = Path(f"/proc/self/task/{tid}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.find("(") + 1: stat.rfind(")")]
        out[int(tid)] = (name, stat[stat.rfind(")") + 2: stat.rfind(")") + 3])
    return out


def thread_cpu() -> dict[str, float]:
    """CPU seconds so far per thread of this process (by its Python name when it has one) and per child
    process (the parsing workers; the busy process), summed by name (Linux; {} elsewhere): which threads
    competed with the GUI thread for the cores."""
    tick = os.sysconf("SC_CLK_TCK")
    out: Counter[str] = Counter()
    names = {t.native_id: t.name for t in threading.enumerate()}
    names[threading.main_thread().native_id] = "GUI"
    tids = os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else []
    dirs = [(names.get(int(t), ""), f"/proc/self/task/{t}") for t in tids]
    children: list[str] = []
    for _name, d in list(dirs):  # a child belongs to the thread that started it
        with contextlib.suppress(OSError):
            children += Path(f"{d}/children").read_text().split()
    for pid in children:
        with contextlib.suppress(OSError):
            cmd = Path(f"/proc/{pid}/cmdline").read_text()
            dirs.append(("busy process" if "while True" in cmd else "parsing worker", f"/proc/{pid}"))
    for name, d in dirs:
        try:
            stat = Path(f"{d}/stat").read_text()
        except OSError:
            continue
        name = name or stat[stat.find("(") + 1: stat.rfind(")")]
        fields = stat[stat.rfind(")") + 2:].split()
        out[name.rstrip("0123456789-")] += (int(fields[11]) + int(fields[12])) / tick
    import resource

    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["ended children (parsing workers)"] = ended.ru_utime + ended.ru_stime
    return dict(out)


def cpu_by_thread(before: dict[str, float], after: dict[str, float], top: int = 8) -> str:
    used = Counter({k: v - before.get(k, 0.0) for k, v in after.items()})
    return ", ".join(f"{k} {v:.1f}" for k, v in used.most_common(top) if v > 0.05)


def timed_application(log: DispatchLog) -> Any:
    """A QApplication whose notify() times every top-level event dispatch on the GUI thread (--dispatch).
    Each event then passes through Python (it needs the GIL), so this mode is for finding culprits: its
    stall figures are not the bar's."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    class TimedApplication(QApplication):
        def notify(self, receiver: Any, event: Any) -> bool:
            if log.depth:  # nested (sent from inside another dispatch): part of the outer one
                if event.type() != QEvent.Type.Paint or not log.phase:
                    return super().notify(receiver, event)
                cpu = time.thread_time()  # a widget's own paint (a repaint paints each widget in turn)
                try:
                    return super().notify(receiver, event)
                finally:
                    log.add_paint(time.thread_time() - cpu, receiver)
            log.depth += 1
            log.entered = ""
            sys.setprofile(log.first_python_call)  # names the slot or step a MetaCall or Timer runs
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return super().notify(receiver, event)
            finally:
                sys.setprofile(None)
                log.depth -= 1
                log.add(wall, time.perf_counter(), time.thread_time() - cpu, receiver, event)

    return TimedApplication(sys.argv[:1])


class DispatchLog:
    """Every top-level event dispatch's GUI-thread CPU time, summed per phase and (receiver, event); and the
    dispatches of 10 ms or more (wall) or 1 ms of CPU, to name what ran inside each stall."""

    MIN_S = 0.010

    def __init__(self, over_ms: float = 0.0) -> None:
        self.depth = 0
        self.phase = ""
        self.over_ms = over_ms or STALL_BAR_MS  # list the dispatches inside stalls of at least this
        self.entered = ""  # the first Python function the current dispatch entered
        # per phase, per widget: GUI-thread CPU seconds in its own paint events, and how many
        self.paints: dict[str, Counter[str]] = {}
        self.paint_count: dict[str, Counter[str]] = {}
        self.long: list[tuple[float, float, float, str]] = []  # (start, end, GUI-thread CPU s, what)
        # per phase, per "receiver event": CPU seconds in all, dispatches, the longest one's CPU seconds
        self.cpu: dict[str, Counter[str]] = {}
        self.count: dict[str, Counter[str]] = {}
        self.longest: dict[str, dict[str, float]] = {}

    @staticmethod
    def _widget_name(receiver: Any) -> str:
        """Class#objectName; a scroll area's viewport named by its scroll area (RuntimeError once deleted)."""
        name = receiver.objectName() if hasattr(receiver, "objectName") else ""
        if name == "qt_scrollarea_viewport" and receiver.parent() is not None:
            return f"{DispatchLog._widget_name(receiver.parent())} viewport"
        return f"{type(receiver).__name__}{'#' + name if name else ''}"

    def _sum(self, what: str, cpu: float) -> None:
        if self.phase:
            self.cpu.setdefault(self.phase, Counter())[what] += cpu
            self.count.setdefault(self.phase, Counter())[what] += 1
            longest = self.longest.setdefault(self.phase, {})
            longest[what] = max(longest.get(what, 0.0), cpu)

    def add_paint(self, cpu: float, receiver: Any) -> None:
        try:
            what = self._widget_name(receiver)
        except RuntimeError:
            what = "(deleted)"
        self.paints.setdefault(self.phase, Counter())[what] += cpu
        self.paint_count.setdefault(self.phase, Counter())[what] += 1

    def call(self, name: str, action: Callable[[], Any]) -> None:
        """Run one of the bench's own GUI actions (what a click would do), timed as a dispatch is."""
        wall, cpu = time.perf_counter(), time.thread_time()
        self.depth += 1
        try:
            action()
        finally:
            self.depth -= 1
            what, used = f"(the bench's click) {name}", time.thread_time() - cpu
            self.long.append((wall, time.perf_counter(), used, what))
            self._sum(what, used)

    def first_python_call(self, frame: Any, event: str, _arg: Any) -> None:
        """A profile function for one dispatch: keeps the first Python function called (not the notify
        wrapper's own super() call), then uninstalls itself."""
        if event != "call" or frame.f_code.co_name == "notify":
            return
        code = frame.f_code
        self.entered = f"{Path(code.co_filename).stem}.{getattr(code, 'co_qualname', code.co_name)}"
        sys.setprofile(None)

    def add(self, start: float, end: float, cpu: float, receiver: Any, event: Any) -> None:
        if end - start < self.MIN_S and (not self.phase or cpu < 0.001):
            return  # (the many sub-millisecond dispatches only count towards nothing worth naming)
        try:
            what = f"{self._widget_name(receiver)} {event.type().name}"
            if self.entered and event.type().name in ("MetaCall", "Timer"):
                what += f" -> {self.entered}"
        except RuntimeError:  # the receiver was deleted by its own event
            what = f"(deleted) {event.type().name}"
        if end - start >= self.MIN_S or cpu >= 0.001:
            self.long.append((start, end, cpu, what))
        self._sum(what, cpu)

    def report(self, meter: StallMeter, sampler: StallSampler | None, per_phase: int = 4) -> None:
        """For each stall over STALL_BAR_MS: the dispatches inside it, with the GUI thread's CPU time in
        each (the rest of a dispatch's time it waited: for a CPU, the GIL or a lock)."""
        print(f"\nevent dispatches (receiver, event type; a slot or timed step: the Python function it ran) inside "
              f"each stall of {self.over_ms:.0f} ms or more: wall ms / GUI-thread CPU ms; the stall's Python stack "
              "from the sampler when it ran:")
        stalls = sorted(((s, g) for s, (g, _w, _c) in meter.stall_starts.items() if g >= self.over_ms),
                        key=lambda x: -x[1])
        shown: Counter[str] = Counter()
        for start, gap in stalls:
            phase = meter.phase_of.get(start, "")
            if shown[phase] >= per_phase:
                continue
            shown[phase] += 1
            end = start + (gap + TICK_MS) / 1000.0
            inside = [d for d in self.long if d[1] > start and d[0] < end]
            _gap, wait, own = meter.stall_starts[start]
            named = sum(d[2] for d in inside) * 1000
            print(f"- [{phase}] {gap:.0f} ms ({wait:.0f} waiting for a CPU; GUI-thread CPU {own:.0f} ms, {named:.0f} ms "
                  "of it in these dispatches, the rest outside any (the bench's own calls) or in small ones):")
            for d_start, d_end, cpu, what in sorted(inside, key=lambda d: -d[2])[:8]:
                print(f"    {(d_end - d_start) * 1000:6.0f} / {cpu * 1000:4.0f} ms  {what}")
            if sampler is not None and start in sampler.stalls:
                stack, n = Counter(s.where for s in sampler.stalls[start][1]).most_common(1)[0]
                print(f"    stack ({n}): {stack}")
        print("\nthe GUI thread's own work, whatever the machine's load: per phase, GUI-thread CPU ms in dispatches "
              "of 1 ms or more, by receiver and event (count, the longest one's CPU ms):")
        for phase, cpu in self.cpu.items():
            print(f"- [{phase}] {sum(cpu.values()) * 1000:.0f} ms in {sum(self.count[phase].values())} dispatches")
            for what, total in cpu.most_common(6):
                print(f"    {total * 1000:7.0f} ms  {self.count[phase][what]:>5}x  longest "
                      f"{self.longest[phase][what] * 1000:5.1f}  {what}")
        print("\nwhose paints those were: per phase, GUI-thread CPU ms in each widget's own paint events (count):")
        for phase, cpu in self.paints.items():
            print(f"- [{phase}] {sum(cpu.values()) * 1000:.0f} ms in {sum(self.paint_count[phase].values())} paints")
            for what, total in cpu.most_common(8):
                print(f"    {total * 1000:7.1f} ms  {self.paint_count[phase][what]:>5}x  {what}")


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


def save_conversations(count: int) -> None:
    """A history like months of use: `count` saved conversations of a few cited turns each."""
    from indexing.locations import Location
    from indexing.records import Passage
    from qwenrag.conversations import ConversationStore, Turn

    store = ConversationStore()
    for i in range(count):
        conv = store.new()
        for j in range(6):
            sources = [Passage(n, f"/docs/handbook-{i}.pdf", Location(page=n), "A passage of text. " * 30)
                       for n in range(1, 6)]
            conv.turns.append(Turn(question=f"Question {j} of chat {i}?", answer="An answer [1][2]. " * 20,
                                   sources=sources, citations=[1, 2]))
        store.save(conv)


def make_long_pdf(path: Path, pages: int = 100) -> Path:
    """A text PDF of `pages` pages (reportlab, a dev dependency)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    for page in range(1, pages + 1):
        y = 800
        for line in range(45):
            c.drawString(60, y, f"Page {page}, line {line}: the travel policy allows economy fares and "
                                f"hotel rates up to {100 + page} per night.")
            y -= 17
        c.showPage()
    c.save()
    return path


class LanesNice:
    """--compare-nice: the task runner's background lanes (ui.tasks.BACKGROUND_LANES) at the app's nice value
    or at 0, re-applied every 50 ms on a thread of its own (a lane may start a thread mid-phase). Setting 0
    again needs privileges; without them the rounds are not what they say, and it says so."""

    def __init__(self, enabled: bool) -> None:
        self.value: int | None = None
        self._refused: set[str] = set()  # said once each
        if enabled:
            threading.Thread(target=self._run, name="bench-lanes-nice", daemon=True).start()

    def set(self, app_nice: bool) -> None:
        from ui.tasks import BACKGROUND_NICE

        self.value = BACKGROUND_NICE if app_nice else 0
        self._apply()

    def _apply(self) -> None:
        from ui.tasks import BACKGROUND_LANES

        value = self.value
        if value is None:
            return
        for t in threading.enumerate():
            if t.native_id and t.name.startswith(tuple(f"qwenrag-{lane}-" for lane in BACKGROUND_LANES)):
                try:
                    os.setpriority(os.PRIO_PROCESS, t.native_id, value)
                except OSError:
                    if t.name not in self._refused:
                        self._refused.add(t.name)
                        print(f"(cannot set {t.name} to nice {value}: no privilege)", flush=True)

    def _run(self) -> None:
        while True:
            time.sleep(0.05)
            self._apply()


class BusyProcess:
    """One competing process that keeps a core busy (a plain Python spin loop)."""

    def __enter__(self) -> BusyProcess:
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()


def long_question(services: object) -> str:
    engine = services._engine  # type: ignore[attr-defined]
    return "Summarize: " + FILLER * (LONG_PROMPT_TOKENS // engine.count_tokens(FILLER))


def start_long_answer(window: object) -> tuple[object, object]:
    """An answer with a ~2,000-token prompt through the window's path; returns once the prompt is being read."""
    from ui.services import MODEL_LANE

    services, runner = window.services, window.runner  # type: ignore[attr-defined]
    engine = services._engine
    handle = runner.run_generator(services.ask(long_question(services), (), use_documents=False),
                                  on_item=lambda _e: None, lane=MODEL_LANE, name="long answer")
    pump(lambda: engine._active is not None, 60)
    pump(lambda: False, 0.5)  # well inside the prompt
    return engine, handle


def stop_times(window: object, runs: int) -> list[float]:
    """Seconds from Stop (the task's cancel, as the chat's Stop button does) to the engine being idle."""
    out: list[float] = []
    for _ in range(runs):
        engine, handle = start_long_answer(window)
        started = time.perf_counter()
        handle.cancel()  # type: ignore[attr-defined]
        while not engine.idle:  # type: ignore[attr-defined]
            time.sleep(0.001)
        out.append(time.perf_counter() - started)
        pump(lambda: window.runner.is_idle(), 30)  # type: ignore[attr-defined]
    return out


def abort_cost(rounds: int = 3) -> dict[str, tuple[float, float]]:
    """Median (wall seconds, process CPU seconds) of evaluating a LONG_PROMPT_TOKENS prompt with the abort
    callback as installed, with none, and with a Python callback; the variants take turns in each round so
    that a change in the machine's load hits all of them. CPU seconds are what the check itself costs; wall
    time on a loaded machine mostly measures the other processes."""
    import ctypes
    import resource

    from qwenrag.engine import Engine, llama_module

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    llama_cpp = llama_module()
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    with Engine(n_ctx=4096) as engine:
        messages = [{"role": "user", "content": "Summarize: " + FILLER * (LONG_PROMPT_TOKENS //
                                                                            engine.count_tokens(FILLER))}]
        native = engine._abort
        python_cb = llama_cpp.ggml_abort_callback(lambda _d: False)
        none_cb = llama_cpp.ggml_abort_callback()  # a NULL function pointer: llama.cpp checks nothing
        variants = {"strlen flag (installed)": (native.callback, native.data),
                    "no callback": (none_cb, None), "Python callback": (python_cb, None)}
        for _ in range(rounds):
            for name, (cb, data) in variants.items():
                engine._call(lambda llama, cb=cb, data=data: llama_cpp.llama_set_abort_callback(
                    llama.ctx, cb, ctypes.c_void_p(data.value if data is not None else None)))
                engine.reset_cache()
                before = cpu()
                _text, t = engine.complete(messages, max_tokens=1, temperature=0)
                cpus.setdefault(name, []).append(cpu() - before)
                walls.setdefault(name, []).append(t.prompt_s)
        engine._call(lambda llama: native.install(llama_cpp, llama.ctx))
    return {name: (statistics.median(walls[name]), statistics.median(cpus[name])) for name in variants}


def yield_cost(rounds: int = 5, tokens: int = 128, model: str | None = None) -> None:
    """What the model's stepping aside for the GUI thread (ui/cpu_share.py) costs while the GUI thread is
    idle: Engine.generate's decode tokens/s, and its prompt reading tokens/s (a 1,000-token prompt, where the
    engine calls it from inside llama_decode every few ms), with the app's YieldToGui installed and with none,
    alternating, medians of `rounds`; idle and with one busy process (issue 12's bar: >= 0.95). `model`: a
    GGUF path (the twin of tests/bench/make_qwen_twin.py for Qwen's cost), else the model qwenrag finds."""
    from qwenrag.engine import Engine
    from ui.cpu_share import for_gui_thread

    gate = for_gui_thread()  # this (main) thread stands in for an idle GUI thread: it waits below
    if gate is None:
        print("\nno per-thread scheduler statistics here: nothing to measure")
        return
    story = [{"role": "user", "content": "Tell a very long story about a dragon and a knight."}]
    with Engine(model, n_ctx=4096) as engine:
        reps = 1000 // engine.count_tokens(FILLER)
        long_prompt = [{"role": "user", "content": "Summarize: " + FILLER * reps}]
        print(f"\nwith the GUI thread idle ({engine.name}), medians of {rounds}: decode tokens/s ({tokens} tokens "
              f"each), and prompt reading tokens/s ({engine.prompt_token_count(long_prompt)} tokens):"
              f"\n{'load':<16}{'':<8}{'no hook':>10}{'YieldToGui':>12}{'ratio':>8}{'pauses':>8}{'paused':>10}"
              f"{'of its time':>12}", flush=True)
        for load in ("idle", "1 busy process"):
            busy = BusyProcess().__enter__() if load != "idle" else None
            try:
                time.sleep(1.5 if busy is not None else 0.0)  # let the load monitor see it
                for what, messages, max_tokens in (("decode", story, tokens), ("prompt", long_prompt, 1)):
                    rates: dict[str, list[float]] = {"none": [], "gate": []}
                    gate_s = 0.0
                    pauses, paused = gate.pauses, gate.paused_s
                    for _ in range(rounds):
                        for name in rates:
                            engine.between_tokens = gate if name == "gate" else None
                            engine.reset_cache()
                            _text, t = engine.complete(messages, max_tokens=max_tokens, temperature=0)
                            if what == "decode":
                                rates[name].append(t.decode_tok_s)
                                gate_s += t.decode_s if name == "gate" else 0.0
                            else:
                                rates[name].append(t.prompt_tokens / max(t.prompt_s, 1e-9))
                                gate_s += t.prompt_s if name == "gate" else 0.0
                    none, with_gate = statistics.median(rates["none"]), statistics.median(rates["gate"])
                    paused = gate.paused_s - paused
                    print(f"{load:<16}{what:<8}{none:>10.1f}{with_gate:>12.1f}{with_gate / max(none, 0.01):>8.3f}"
                          f"{gate.pauses - pauses:>8}{paused * 1000:>8.0f} ms{paused / max(gate_s, 1e-9):>11.1%}",
                          flush=True)
            finally:
                engine.between_tokens = None
                if busy is not None:
                    busy.__exit__()


def quote_row_cost(rounds: int = 30) -> None:
    """What a quote row costs the GUI thread to build, lay out (four widths, as a layout asks) and paint: as
    now (QuoteRow: two plain-text labels) and as before (one word-wrapped rich-text label, a QTextDocument).
    Medians of `rounds`, taking turns; GUI-thread CPU ms."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication, QLabel

    from indexing.locations import Location
    from indexing.records import Passage
    from qwenrag.evidence import Quote
    from ui.source_list import QuoteRow

    _app = QApplication.instance() or QApplication(sys.argv[:1])
    text = ("Employees with three or more years of service receive fifteen working days of paid annual leave "
            "each calendar year, which must be requested two weeks in advance through the HR portal.")
    quote = Quote(Passage(1, "/docs/handbook.pdf", Location(page=3), text, kind="pdf"), 0, len(text))

    def before() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setText(f"<b>[1]</b> “{text}” <span style='color: gray;'>— handbook.pdf, p. 3</span>")
        return label

    image = QImage(600, 200, QImage.Format.Format_ARGB32)
    cost: dict[str, list[float]] = {"before": [], "now": []}
    for _ in range(rounds):
        for name, make in (("before", before), ("now", lambda: QuoteRow(quote))):
            started = time.thread_time()
            widget = make()
            height = 0
            for width in (500, 480, 520, 500):
                height = widget.heightForWidth(width) if widget.hasHeightForWidth() else widget.sizeHint().height()
            widget.resize(500, max(height, widget.sizeHint().height()))
            widget.render(image)
            cost[name].append((time.thread_time() - started) * 1000)
            widget.deleteLater()
    b, n = statistics.median(cost["before"]), statistics.median(cost["now"])
    print(f"\na quote row built, laid out and painted, GUI-thread CPU ms, median of {rounds}: one rich-text label "
          f"(before) {b:.2f}, two plain-text labels (now) {n:.2f} ({b / max(n, 0.001):.1f}x)", flush=True)


def render_cost(rounds: int = 5) -> None:
    """What one render of a streaming answer costs the GUI thread (MarkdownView.set_markdown: Markdown,
    citation colouring, fit), by answer length, as it is now and with the colouring done as before (a
    QTextDocument.find and a mergeCharFormat per citation, re-laying the text out each time). Medians of
    `rounds`, the two taking turns; GUI-thread CPU ms (wall ms on a loaded machine mostly measures others)."""
    from PySide6.QtGui import QPalette, QTextCharFormat
    from PySide6.QtWidgets import QApplication

    from ui.chat_theme import mix
    from ui.chat_view import MarkdownView
    from ui.source_label import CITE_SCHEME

    app = QApplication.instance() or QApplication(sys.argv[:1])

    def colour_per_marker(view: MarkdownView) -> None:  # the colouring before this change, for comparison
        from PySide6.QtCore import QRegularExpression

        pal = view.palette()
        fmt = QTextCharFormat()
        fmt.setForeground(mix(pal.color(QPalette.ColorRole.Highlight), pal.color(QPalette.ColorRole.Text), 0.2))
        fmt.setFontWeight(600)
        doc, marker = view.document(), QRegularExpression(r"\[\d{1,3}\]")
        cursor = doc.find(marker)
        while not cursor.isNull():
            if cursor.charFormat().anchorHref().startswith(f"{CITE_SCHEME}:"):
                cursor.mergeCharFormat(fmt)
            cursor = doc.find(marker, cursor)

    view = MarkdownView()
    view.resize(700, 400)
    view.show()
    app.processEvents()
    now_colour = MarkdownView._colour_citations
    sentence = "Employees get **15 days** of annual leave after three years [1]; sick leave needs a note [2]. "
    print("\nrendering a streaming answer (MarkdownView.set_markdown), GUI-thread CPU ms, median of "
          f"{rounds}:\n{'chars':>7}{'citations':>11}{'before':>10}{'now':>10}{'ratio':>9}")
    for sentences in (5, 10, 20, 40):
        text = sentence * sentences
        cost: dict[str, list[float]] = {"before": [], "now": []}
        for _ in range(rounds):
            for name, colour in (("before", colour_per_marker), ("now", now_colour)):
                MarkdownView._colour_citations = colour  # type: ignore[method-assign]
                started = time.thread_time()
                view.set_markdown(text, {1, 2})
                cost[name].append((time.thread_time() - started) * 1000)
                app.processEvents()
        MarkdownView._colour_citations = now_colour  # type: ignore[method-assign]
        before, now = statistics.median(cost["before"]), statistics.median(cost["now"])
        print(f"{len(text):>7}{2 * sentences:>11}{before:>10.1f}{now:>10.1f}{before / max(now, 0.01):>8.1f}x",
              flush=True)
    view.deleteLater()


def table_cost(rounds: int = 15, rows: int = 60) -> None:
    """What one repaint of the document list costs the GUI thread (it repaints on every indexing progress
    update): DocumentsModel.data() as it is now (roles it does not answer return at once, a row's texts
    made once per row version) and as before (every role walked through the whole method, texts translated
    and formatted per cell and repaint). Median GUI-thread CPU ms of `rounds` repaints of `rows` rows."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QApplication, QTableView

    from ui import documents_panel as dp

    app = QApplication.instance() or QApplication(sys.argv[:1])

    class Before(dp.DocumentsModel):  # data() before this change, for comparison
        def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
            if not index.isValid():
                return None
            row = self.rows[index.row()]
            col = self.COLUMNS[index.column()]
            if role == Qt.ItemDataRole.DisplayRole:
                if col == "name":
                    return row.name
                if col == "type":
                    units = dp.units_label(row)
                    kind = dp.kind_label(row.kind, row.path)
                    return f"{kind}, {units}" if units else kind
                if col == "passages":
                    return str(row.passages) if row.status == "indexed" else ""
                return dp.status_label(row)
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{row.path}\n{row.reason}" if row.reason else row.path
            if role == Qt.ItemDataRole.UserRole:
                if col == "type":
                    return (dp.kind_label(row.kind, row.path), row.sheets or row.pages or 0)
                return row.passages if col == "passages" else self.data(index)
            if role == Qt.ItemDataRole.ForegroundRole and row.status in ("failed", "skipped") and col == "status":
                return QColor("#b3261e")
            if role == Qt.ItemDataRole.TextAlignmentRole and col == "passages":
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None

    views = {}
    for name, cls in (("before", Before), ("now", dp.DocumentsModel)):
        model = cls()
        for i in range(rows):
            model.upsert(dp.DocRow(f"/docs/handbook-{i:03d}.pdf", kind="pdf", pages=10 + i, passages=40 + i))
        proxy = dp.DocumentsFilter()
        proxy.setSourceModel(model)
        proxy.setSortRole(Qt.ItemDataRole.UserRole)
        view = QTableView()
        view.setModel(proxy)
        view.setSortingEnabled(True)
        view.resize(470, 700)
        view.show()
        views[name] = (view, model, proxy)
    app.processEvents()
    cost: dict[str, list[float]] = {"before": [], "now": []}
    for _ in range(rounds):
        for name, (view, _m, _p) in views.items():
            started = time.thread_time()
            view.viewport().repaint()
            cost[name].append((time.thread_time() - started) * 1000)
    before, now = statistics.median(cost["before"]), statistics.median(cost["now"])
    shown = views["now"][0].rowAt(views["now"][0].viewport().height() - 1) + 1 or rows
    print(f"\nrepainting the document list ({shown} of {rows} rows visible), GUI-thread CPU ms, median of {rounds}:"
          f"\n{'before':>10}{'now':>10}{'ratio':>9}\n{before:>10.1f}{now:>10.1f}{before / max(now, 0.01):>8.1f}x",
          flush=True)
    for view, _m, _p in views.values():
        view.deleteLater()


def idle_window() -> tuple[Any, Any]:
    """(the QApplication, a shown MainWindow) in throwaway data and config folders, nothing started."""
    from PySide6.QtWidgets import QApplication

    home = Path(tempfile.mkdtemp(prefix="qwenrag-bench-"))
    os.environ["QWENRAG_DATA_DIR"] = str(home / "data")
    os.environ["QWENRAG_CONFIG_DIR"] = str(home / "config")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ui.main_window import MainWindow
    from ui.services import Services
    from ui.tasks import TaskRunner

    window = MainWindow(Services(), TaskRunner())
    window.resize(1280, 800)
    window.show()
    pump(lambda: False, 0.5)
    return app, window


def whole_window_repaint_ms(window: Any) -> float:
    """Wall ms of one repaint of every widget of `window`, through the event loop."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QWidget

    window.update()
    for child in window.findChildren(QWidget):
        child.update()
    loop = QEventLoop()
    started = time.perf_counter()
    QTimer.singleShot(0, loop.quit)  # after the posted update requests: the paint is done
    loop.exec()
    return (time.perf_counter() - started) * 1000


@contextlib.contextmanager
def python_threads(n: int) -> Iterator[list[int]]:
    """`n` threads running pure Python (as the answer's search and quotes, or indexing, do) while the block
    runs; yields their loop counts, one per thread, which they keep adding to."""
    stop, counts = threading.Event(), [0] * n

    def spin(i: int) -> None:
        while not stop.is_set():
            counts[i] += 1

    threads = [threading.Thread(target=spin, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    try:
        yield counts
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def gil_cost(rounds: int = 7) -> None:
    """What a repaint of the whole window costs in wall time while a worker thread runs pure Python (as
    the answer's search and quote finding do): every call from Qt into Python on the GUI thread then waits
    for the GIL, up to the 5 ms switch interval each. With an application-wide Python event filter (as the
    window's drop catcher was, before) every event of every widget is such a call; without it (now) only
    the Python overrides are. Median wall ms of `rounds` full repaints through the event loop."""
    from ui.app import GUI_SWITCH_INTERVAL_S

    app, window = idle_window()
    alone = statistics.median(whole_window_repaint_ms(window) for _ in range(rounds))
    cost: dict[str, list[float]] = {"before": [], "filter gone": [], "now": []}
    with python_threads(1):
        for _ in range(rounds):
            sys.setswitchinterval(0.005)  # CPython's default, as before
            app.installEventFilter(window._drops)  # before: on the application
            cost["before"].append(whole_window_repaint_ms(window))
            app.removeEventFilter(window._drops)
            cost["filter gone"].append(whole_window_repaint_ms(window))
            sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)  # now: as ui.app.run sets it
            cost["now"].append(whole_window_repaint_ms(window))
    before, gone, now = (statistics.median(cost[k]) for k in ("before", "filter gone", "now"))
    print(f"\nrepainting the whole window, wall ms, median of {rounds}: alone; and while a worker thread runs "
          "Python: before (app-wide event filter, 5 ms switch interval), without the filter, and now (no "
          f"filter, {GUI_SWITCH_INTERVAL_S * 1000:g} ms switch interval):\n{'alone':>10}{'before':>10}"
          f"{'no filter':>11}{'now':>10}{'before/now':>12}\n{alone:>10.1f}{before:>10.1f}{gone:>11.1f}{now:>10.1f}"
          f"{before / max(now, 0.01):>11.1f}x", flush=True)
    window.close()


SWITCH_INTERVALS_MS = (5.0, 1.0, 0.25, 0.1)


def switch_interval_cost(rounds: int = 7) -> None:
    """What the GIL switch interval does (--switch-interval-only): the wall ms of a whole-window repaint
    through the event loop while a worker thread runs pure Python (each call from Qt into Python on the GUI
    thread waits up to the interval for the GIL), and what it costs background work: two threads running
    pure Python at once, their combined loop iterations per second relative to the longest interval (each
    switch between them costs a hand-over). Medians of `rounds`, the intervals taking turns."""
    _app, window = idle_window()
    alone = statistics.median(whole_window_repaint_ms(window) for _ in range(rounds))
    paint: dict[float, list[float]] = {ms: [] for ms in SWITCH_INTERVALS_MS}
    rate: dict[float, list[float]] = {ms: [] for ms in SWITCH_INTERVALS_MS}
    before = sys.getswitchinterval()
    try:
        for _ in range(rounds):
            for ms in SWITCH_INTERVALS_MS:
                sys.setswitchinterval(ms / 1000)
                with python_threads(1):
                    time.sleep(0.05)  # (running)
                    paint[ms].append(whole_window_repaint_ms(window))
                with python_threads(2) as counts:
                    time.sleep(0.05)  # (both running)
                    started = sum(counts)
                    time.sleep(0.2)
                    rate[ms].append((sum(counts) - started) / 0.2)
    finally:
        sys.setswitchinterval(before)
    base = statistics.median(rate[SWITCH_INTERVALS_MS[0]])
    print(f"\nGIL switch interval, medians of {rounds}: a whole-window repaint, wall ms (alone {alone:.1f} ms) "
          "beside a thread running Python; two threads running Python, iterations per second relative to "
          f"{SWITCH_INTERVALS_MS[0]:g} ms:")
    for ms in SWITCH_INTERVALS_MS:
        print(f"  {ms:>5g} ms  repaint {statistics.median(paint[ms]):6.1f} ms   background Python "
              f"{statistics.median(rate[ms]) / base:.3f}x", flush=True)
    window.close()


def pdf_open_cost(rounds: int = 3) -> None:
    """GUI-thread CPU ms of putting a freshly opened 100-page PDF on screen at the cited passage
    (SourceView._pdf_loaded): with the passage located and the page sizes read there, on the GUI thread
    (before), and on the worker that opened the file (now; that work is not counted here). Medians of
    `rounds`, alternating."""
    from PySide6.QtWidgets import QApplication

    from indexing.locations import Location
    from indexing.records import Passage
    from ui.pdf_view import load_pdf_document
    from ui.source_view import SourceView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    path = make_long_pdf(Path(tempfile.mkdtemp(prefix="qwenrag-bench-")) / "travel-100-pages.pdf")
    text = "Page 50, line 10: the travel policy allows economy fares and hotel rates up to 150 per night."
    src = Passage(1, str(path), Location(page=50), text, kind="pdf")
    view = SourceView(None)
    view.resize(700, 800)
    view.show()
    app.processEvents()
    cost: dict[str, list[float]] = {"before": [], "now": []}
    for _ in range(rounds):
        for name in cost:
            if name == "before":
                doc, polygons, points = load_pdf_document(str(path)), None, None
            else:
                doc, polygons, points = view._load_and_locate(src, text)  # the worker's part
            started = time.thread_time()
            view._pdf_loaded(src, doc, polygons, points)
            cost[name].append((time.thread_time() - started) * 1000)
            assert view.pdf_view.highlight_rects(), "the passage was not found"
            app.processEvents()
    before, now = statistics.median(cost["before"]), statistics.median(cost["now"])
    print(f"\nshowing a freshly opened 100-page PDF at the passage, GUI-thread CPU ms, median of {rounds}:"
          f"\n{'before':>10}{'now':>10}{'ratio':>9}\n{before:>10.1f}{now:>10.1f}{before / max(now, 0.01):>8.1f}x",
          flush=True)
    view.deleteLater()


def waiting_run_cost(seconds: float = 2.0, rounds: int = 3) -> None:
    """GUI-thread CPU per second of a window that shows an indexing run whose current file's progress is
    unknown (a run just started, or its workers wait while an answer streams) and does nothing else: the
    file bar as a busy indicator (before: its animation repaints it and the panels beneath) and hidden
    (now). Medians of `rounds`, alternating."""
    from ui.indexing_controller import RunSummary

    app, window = idle_window()
    summary = RunSummary(user_started=True, total=40)
    window.controller._current = summary
    window.controller.run_started.emit(summary)
    bar = window.documents.file_progress
    cost: dict[str, list[float]] = {"before": [], "now": []}
    for _ in range(rounds):
        for name in cost:
            if name == "before":
                bar.setRange(0, 0)
                bar.setVisible(True)
            else:
                window.controller.run_started.emit(summary)
            pump(lambda: False, 0.2)
            started = time.thread_time()
            pump(lambda: False, seconds)
            cost[name].append((time.thread_time() - started) * 1000 / seconds)
    before, now = statistics.median(cost["before"]), statistics.median(cost["now"])
    print(f"\na window showing an indexing run that waits (the current file's progress unknown), GUI-thread "
          f"CPU ms per second, median of {rounds}:\n{'before':>10}{'now':>10}{'ratio':>9}\n{before:>10.1f}"
          f"{now:>10.1f}{before / max(now, 0.01):>8.1f}x", flush=True)
    window.controller._current = None
    window.close()
    app.processEvents()


class Results(dict):  # type: ignore[type-arg]
    """Each measure is printed as soon as it is taken (a long run that is cut off keeps what it measured)."""

    def __setitem__(self, name: str, value: tuple[float, float, int, str]) -> None:
        super().__setitem__(name, value)
        print_row(name, value)


def print_row(name: str, value: tuple[float, float, int, str]) -> None:
    longest, p99, count, note = value
    if name == "_stop":
        ok = "yes" if longest <= STOP_BAR_S else "NO"
        print(f"{'Stop -> model free':<28}{longest * 1000:>9.0f} ms{STOP_BAR_S * 1000:>7.0f} ms  {ok:<4}"
              f"worst of {count}, median {p99 * 1000:.0f} ms; a {LONG_PROMPT_TOKENS}-token prompt being read")
    elif name == "_close":
        ok = "yes" if longest <= CLOSE_BAR_S else "NO"
        print(f"{'close mid-answer':<28}{longest * 1000:>9.0f} ms{CLOSE_BAR_S * 1000:>7.0f} ms  {ok:<4}"
              f"reading a {LONG_PROMPT_TOKENS}-token prompt and re-indexing; {note}")
    else:
        ok = "yes" if longest < STALL_BAR_MS else "NO"
        print(f"{'stall: ' + name:<28}{longest:>9.1f} ms{STALL_BAR_MS:>7.0f} ms  {ok:<4}p99 {p99:.1f} ms, "
              f"{count} ticks; {note}")
    sys.stdout.flush()


PHASES = ("indexing", "generating", "both", "all")
SAME_TURN = False  # --same-turn: the re-index and the question in one event-loop turn, as before


def in_process(index_seconds: float, conversations: int, why: bool, dispatch: bool = False,
               phases: tuple[str, ...] = PHASES, stop_close: bool = True, compare_yield: int = 0,
               compare_nice: int = 0, dispatch_over: float = 0.0) -> dict[str, tuple[float, float, int, str]]:
    home = Path(tempfile.mkdtemp(prefix="qwenrag-bench-"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QWENRAG_DATA_DIR"] = str(home / "data")
    os.environ["QWENRAG_CONFIG_DIR"] = str(home / "config")
    from PySide6.QtWidgets import QApplication

    from ui.app import favour_the_gui_thread

    favour_the_gui_thread()  # as ui.app.run does
    save_conversations(conversations)
    dispatches = DispatchLog(dispatch_over) if dispatch else None

    def call(name: str, action: Callable[[], Any]) -> None:  # the bench's own clicks, timed with --dispatch
        if dispatches is not None:
            dispatches.call(name, action)
        else:
            action()
    app = timed_application(dispatches) if dispatches is not None else QApplication(sys.argv[:1])
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
    results = Results()
    meter = StallMeter()
    gc_pauses = GcPauses()
    sampler = StallSampler(meter)
    if why:
        sampler.start()

    def set_phase(name: str) -> None:
        sampler.phase = meter.phase = name
        if dispatches is not None:
            dispatches.phase = name

    corpora = ROOT.parent / "shared" / "corpora"
    kinds = ("pdf", "docx", "xlsx", "malformed")
    sources = [str(ROOT / "samples")] + [str(corpora / k) for k in kinds if (corpora / k).is_dir()]
    if "indexing" in phases:
        set_phase("indexing")
        gc_pauses.take()
        meter.start()
        started = time.monotonic()
        window.controller.add(sources)
        finished = pump(lambda: not window.controller.busy, index_seconds)
        stopped_at = time.monotonic()
        if not finished:  # stopped as a person would (Cancel): the run ends, and its summary opens, in this phase
            window.controller.cancel()  # (before, it opened at the start of the next phase, in its stall)
            pump(lambda: not window.controller.busy, 120)
        pump(lambda: False, 1.0)  # the failure summary opens on the turn after the run's end
        meter.stop()
        files = sum(r.status == "indexed" for r in window.documents.model.rows)
        note = f"{files} files indexed in {stopped_at - started:.0f} s" + ("" if finished else " (cancelled)")
        note += f"; {gc_pauses.take()}{meter.cpu_note()}"
        results["indexing"] = (*meter.summary(), note)
    else:  # the later phases answer from samples/ (unmeasured)
        window.controller.add([str(ROOT / "samples")])
        pump(lambda: not window.controller.busy, 300)
        pump(lambda: False, 1.0)

    chat = window.chat
    from ui.errors import ErrorPresenter

    ErrorPresenter.close_all()
    if services.model.ready and hasattr(chat, "ask") and "generating" in phases:
        set_phase("generating")
        gc_pauses.take()
        meter.start()
        started = time.monotonic()
        chat.ask("How many days of annual leave do employees get after three years?")
        pump(lambda: not chat.busy, 300)
        meter.stop()
        results["generating"] = (*meter.summary(), f"answer in {time.monotonic() - started:.1f} s, "
                                 f"model {services.model.name}; {gc_pauses.take()}{meter.cpu_note()}")
    if services.model.ready and hasattr(chat, "ask") and "both" in phases:
        # Both at once: a question while the library is re-indexed.
        set_phase("generating + indexing")
        meter.start()
        call("re-index", lambda: window.controller.reindex([str(ROOT / "samples")]))
        if not SAME_TURN:
            pump(lambda: False, 0.1)  # two actions, two event-loop turns (as in the all-at-once phase below)
        call("Send", lambda: chat.ask("员工请病假需要提供什么证明？"))
        pump(lambda: not chat.busy and not window.controller.busy, 300)
        meter.stop()
        results["generating + indexing"] = (*meter.summary(), f"samples re-indexed during an answer; "
                                            f"{gc_pauses.take()}{meter.cpu_note()}")
    if services.model.ready and hasattr(chat, "ask") and "all" in phases:
        # Everything at once, with a competitor: indexing, an answer, a 100-page PDF opened.
        long_pdf = make_long_pdf(home / "travel-100-pages.pdf")
        window.controller.add([str(long_pdf)])
        pump(lambda: not window.controller.busy, 300)
        hit = next((h for h in services.search("travel policy hotel rates 150 per night", k=10)
                    if h.file == str(long_pdf)), None)
        with BusyProcess():
            pump(lambda: False, 1.5)  # let the engine's load monitor see the competitor
            # --compare-yield N: N rounds of the phase with the model's thread stepping aside for the GUI
            # thread (ui.cpu_share, as the app does) and without, taking turns, side by side in one run
            # --compare-nice N: the same with the background lanes' threads at BACKGROUND_NICE (as the app
            # does) and at 0 (as before; raising a thread's priority again needs privileges), stepping aside on
            variants = [("", True)] if not compare_yield else [
                (f" ({name} {i + 1})", on) for i in range(compare_yield) for name, on in (("yield", True),
                                                                                          ("no yield", False))]
            if compare_nice:
                variants = [(f" ({name} {i + 1})", on) for i in range(compare_nice)
                            for name, on in (("lanes niced", True), ("lanes at 0", False))]
            lanes_nice = LanesNice(enabled=bool(compare_nice))
            for label, on in variants:
                engine, gate = services._engine, getattr(services, "yield_to_gui", None)  # (None before it)
                engine.between_tokens = gate if on or compare_nice else None
                lanes_nice.set(on)
                paused = (gate.pauses, gate.paused_s) if gate is not None else (0, 0.0)
                if label:  # a fresh start for each round: a new chat, the PDF not yet open
                    chat.new_chat()
                    if window.source_view is not None:
                        window.source_view.hide()
                        window.source_view._pdf_path = ""
                    pump(lambda: False, 1.0)
                phase = "all at once + busy process" + label
                set_phase(phase)
                gc_pauses.take()
                cpu_before = thread_cpu()
                meter.start()
                call("re-index", lambda: window.controller.reindex([str(ROOT / "samples"), str(long_pdf)]))
                # Two actions, two event-loop turns (a person cannot do both in one; both in the same turn, as
                # before, put the re-index's document-list repaint and the question's into one paint).
                if not SAME_TURN:
                    pump(lambda: False, 0.1)
                call("Send", lambda: chat.ask("How many days of annual leave do employees get after three years?"))
                pump(lambda: False, 0.3)
                if hit is not None:
                    call("citation clicked", lambda: window.show_source(hit))
                pump(lambda: window.source_view is not None and not window.source_view.loading, 60)
                pump(lambda: not chat.busy and not window.controller.busy, 300)
                meter.stop()
                engine.between_tokens = gate
                lanes_nice.set(True)
                page = hit.location.page if hit is not None else "-"
                print(f"CPU s by thread during the phase: {cpu_by_thread(cpu_before, thread_cpu())}", flush=True)
                gave = (f"; the model's thread stepped aside {gate.pauses - paused[0]}x, "
                        f"{(gate.paused_s - paused[1]) * 1000:.0f} ms") if gate is not None and on else ""
                timings = engine.last_timings
                rate = f"; decode {timings.decode_tok_s:.0f} tok/s" if timings is not None else ""
                results[phase] = (*meter.summary(), f"re-index + answer + 100-page PDF opened at p. {page}; "
                                  f"{gc_pauses.take()}{meter.cpu_note()}{gave}{rate}")
    set_phase("")
    sampler.stop()
    if why:
        sampler.report()
    if dispatches is not None:
        dispatches.report(meter, sampler if why else None)
    if services.model.ready and stop_close:
        stops = stop_times(window, 3)
        results["_stop"] = (max(stops), statistics.median(stops), len(stops), "")
        # Close mid-answer, with indexing running too.
        window.controller.reindex([str(ROOT / "samples")])
        start_long_answer(window)
        started = time.perf_counter()
        window.close()
        took = time.perf_counter() - started
        background = not window.wait_closed(0) or window._closer is not None
        results["_close"] = (took, took, 1, "finished in the background" if background else "all stopped")
        window.wait_closed(60)
    else:
        window.close()
    window.deleteLater()
    app.processEvents()
    return results


def print_abort_cost(costs: dict[str, tuple[float, float]]) -> None:
    if not costs:
        return
    wall0, cpu0 = costs["no callback"]
    print(f"\nprompt evaluation, {LONG_PROMPT_TOKENS} tokens, median of 3 interleaved rounds (wall s / process "
          "CPU s, ratio to no callback):")
    for name, (wall, cpu_s) in costs.items():
        print(f"  {name:<26}{wall:>8.2f} s ({wall / wall0:.3f}x) {cpu_s:>8.2f} CPU s ({cpu_s / cpu0:.3f}x)")
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-seconds", type=float, default=120.0, help="stop measuring indexing after this")
    parser.add_argument("--runs", type=int, default=3, help="start-up runs")
    parser.add_argument("--conversations", type=int, default=150, help="saved conversations beforehand")
    parser.add_argument("--why", action="store_true", help="sample the GUI thread's stack during stalls")
    parser.add_argument("--dispatch", action="store_true",
                        help="time every event dispatch on the GUI thread and name those inside each stall "
                             "(slows every event: for finding culprits, not for the bar)")
    parser.add_argument("--dispatch-over", type=float, default=0.0, metavar="MS",
                        help="with --dispatch: list the dispatches inside every stall of at least MS (>= 20; "
                             "default the bar)")
    parser.add_argument("--switch-interval-only", action="store_true",
                        help="only measure what the GIL switch interval does to a repaint beside a thread "
                             "running Python, and what it costs two threads running Python")
    parser.add_argument("--widget-costs-only", action="store_true",
                        help="only measure what rendering a streaming answer and repainting the document "
                             "list cost the GUI thread, as now and as before their changes")
    parser.add_argument("--yield-cost-only", action="store_true",
                        help="only measure what the model's stepping aside for the GUI thread costs generation")
    parser.add_argument("--abort-cost-only", action="store_true", help="only measure what the abort check costs")
    parser.add_argument("--no-abort-cost", dest="abort_cost", action="store_false",
                        help="skip measuring what the abort check costs prompt evaluation")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help="which stall phases to measure (comma-separated: indexing, generating, both, all; "
                             "samples/ is indexed unmeasured when indexing is left out)")
    parser.add_argument("--no-stop-close", dest="stop_close", action="store_false",
                        help="skip measuring Stop and closing the window")
    parser.add_argument("--model", default=None, help="with --yield-cost-only: a GGUF to measure (e.g. the Qwen "
                        "twin of make_qwen_twin.py); else the model qwenrag finds")
    parser.add_argument("--compare-nice", type=int, default=0, metavar="N",
                        help="run the all-at-once phase 2N times, the task runner's background lanes at "
                             "their lower priority (as the app does) and at 0, taking turns (needs the "
                             "privilege to raise a priority again, e.g. root)")
    parser.add_argument("--compare-yield", type=int, default=0, metavar="N",
                        help="run the all-at-once phase 2N times, the model's thread stepping aside for the "
                             "GUI thread (as the app does) and not, taking turns")
    parser.add_argument("--from-source", action="store_true",
                        help="do not compile our modules to bytecode first (compile_ahead): with "
                             "PYTHONDONTWRITEBYTECODE set and no __pycache__, every process compiles them")
    parser.add_argument("--same-turn", action="store_true",
                        help="start the re-index and ask the question in the same event-loop turn, as the "
                             "bench did before the 8th session (not something a person can do)")
    args = parser.parse_args()
    global SAME_TURN
    SAME_TURN = args.same_turn
    phases = tuple(p.strip() for p in args.phases.split(",") if p.strip())
    if unknown := set(phases) - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    print(f"{'measure':<28}{'value':>12}{'bar':>10}  {'ok':<4}note")
    print("-" * 100)
    if not args.from_source:
        compile_ahead()  # as the built app ships our modules (see compile_ahead)
    if args.runs:
        starts = startup_times(args.runs)
        worst = max(starts)
        how = "as found (--from-source)" if args.from_source else "compiled ahead, as the build ships them"
        print(f"{'start -> window shown':<28}{worst:>10.3f} s{STARTUP_BAR_S:>8.1f} s  "
              f"{'yes' if worst < STARTUP_BAR_S else 'NO':<4}median {statistics.median(starts):.3f} s of "
              f"{len(starts)} runs; our modules' bytecode {how}", flush=True)
    if args.switch_interval_only:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        switch_interval_cost()
        os._exit(0)
    if args.widget_costs_only:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        render_cost()
        quote_row_cost()
        table_cost()
        pdf_open_cost()
        waiting_run_cost()
        gil_cost()
        os._exit(0)
    if args.abort_cost_only:
        print_abort_cost(abort_cost())
        return 0
    if args.yield_cost_only:
        yield_cost(model=args.model)
        return 0
    stalls = in_process(args.index_seconds, args.conversations, args.why, args.dispatch, phases, args.stop_close,
                        args.compare_yield, args.compare_nice, args.dispatch_over)
    costs = abort_cost() if "_stop" in stalls and args.abort_cost else {}
    print_abort_cost(costs)
    sys.stdout.flush()
    # Skip interpreter teardown: PySide6 objects collected after QApplication can crash at exit.
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
