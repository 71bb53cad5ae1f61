"""The built bundle, measured: size and its largest parts, start-up to window shown, the self-test's phases,
and whether it opens any network connection. Prints a table. Build first: packaging/build.sh.

    .venv/bin/python tests/bench/bench_bundle.py [--app dist/QwenRAG/qwenrag] [--runs 5] [--skip-selftest]

Start-up is measured from outside: the wall time from starting the process to the line the window prints
once it is shown (ui/app.py: QWENRAG_REPORT_STARTUP=1 prints "window shown after X s" from the first event
loop turn after show(); QWENRAG_QUIT_AFTER_SHOWN=1 closes it again). X itself counts only from the import of
ui.app, so the outside number is the one a person waits for: the bootloader, Python, Qt and the app loading
(a one-folder build unpacks nothing). Offscreen Qt platform, fresh user folders per run;
the first run after a build reads the files from disk, later runs from the page cache. The same is measured
for the source tree (python -m qwenrag) for comparison.

Network: the self-test and one start-up run under `strace -f -e trace=connect,sendto,sendmsg` (every
process, the parsing workers included); any AF_INET/AF_INET6 address is a network use. And the self-test
is run once more inside a network namespace with no interfaces (`unshare -n`, as root), where any
network use would fail.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# "window shown after 0.137 s (at 1795931093.618)": the epoch stamp, when printed, times the show itself
# rather than the moment the line reached us through the pipe.
SHOWN = re.compile(r"window shown after ([0-9.]+) s(?: \(at ([0-9.]+)\))?")
INET = re.compile(r"sa_family=AF_INET6?\b")


def _env(scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "QT_QPA_PLATFORM": "offscreen",
        "QWENRAG_REPORT_STARTUP": "1",
        "QWENRAG_QUIT_AFTER_SHOWN": "1",
        "QWENRAG_DATA_DIR": str(scratch / "data"),
        "QWENRAG_CONFIG_DIR": str(scratch / "config"),
        "HOME": str(scratch / "home"),
        "XDG_CONFIG_HOME": str(scratch / "xdg-config"),
        "XDG_DATA_HOME": str(scratch / "xdg-data"),
        "XDG_CACHE_HOME": str(scratch / "xdg-cache"),
    })
    env.pop("QWENRAG_LIBRARY", None)
    env.pop("QWENRAG_MODEL", None)
    return env


def startup_once(cmd: list[str], timeout: float = 60.0) -> tuple[float | None, float | None, float]:
    """(outside seconds to "window shown", the app's own number, seconds until the process exited)."""
    with tempfile.TemporaryDirectory(prefix="qwenrag-bench-") as tmp:
        wall0, t0 = time.time(), time.perf_counter()
        proc = subprocess.Popen(cmd, env=_env(Path(tmp)), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, cwd=tmp)
        shown = inside = None
        assert proc.stdout is not None
        for line in proc.stdout:
            m = SHOWN.search(line)
            if m and shown is None:
                shown = float(m.group(2)) - wall0 if m.group(2) else time.perf_counter() - t0
                inside = float(m.group(1))
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return shown, inside, time.perf_counter() - t0


def startup(cmd: list[str], runs: int) -> dict[str, object]:
    results = [startup_once(cmd) for _ in range(runs)]
    shown = [r[0] for r in results if r[0] is not None]
    inside = [r[1] for r in results if r[1] is not None]
    return {
        "runs": runs,
        "shown_first_s": results[0][0],
        "shown_median_s": statistics.median(shown) if shown else None,
        "shown_min_s": min(shown) if shown else None,
        "app_reported_median_s": statistics.median(inside) if inside else None,
        "exit_median_s": statistics.median(r[2] for r in results),
        "missing": runs - len(shown),
    }


def sizes(app_dir: Path, top: int = 12) -> tuple[int, list[tuple[int, str]]]:
    def size_of(p: Path) -> int:
        if p.is_symlink():
            return 0
        if p.is_file():
            return p.stat().st_size
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink())

    parts: list[tuple[int, str]] = []
    internal = app_dir / "_internal"
    for child in (internal.iterdir() if internal.is_dir() else app_dir.iterdir()):
        parts.append((size_of(child), child.name))
    # Qt's own parts are the biggest group: list them one level down.
    qt = internal / "PySide6" / "Qt"
    if qt.is_dir():
        parts += [(size_of(p), f"PySide6/Qt/{p.name}") for p in qt.iterdir()]
        parts += [(size_of(p), f"PySide6/Qt/lib/{p.name}") for p in (qt / "lib").iterdir()]
    return size_of(app_dir), sorted(parts, reverse=True)[:top]


def selftest(exe: Path, wrapper: list[str] | None = None) -> tuple[int, float, dict[str, object] | None, str]:
    with tempfile.TemporaryDirectory(prefix="qwenrag-bench-") as tmp:
        env = _env(Path(tmp))
        t0 = time.perf_counter()
        proc = subprocess.run([*(wrapper or []), str(exe), "--self-test", "--json"], env=env, cwd=tmp,
                              capture_output=True, text=True, timeout=1800)
        wall = time.perf_counter() - t0
    report = None
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            report = json.loads(line)
            break
    return proc.returncode, wall, report, proc.stderr[-2000:]


def network_uses(exe: Path, args: list[str], extra_env: dict[str, str] | None = None) -> tuple[int, int, int]:
    """(exit code, connect/send calls seen, of them to an AF_INET/AF_INET6 address) under strace -f."""
    with tempfile.TemporaryDirectory(prefix="qwenrag-bench-") as tmp:
        log = Path(tmp) / "strace.log"
        env = _env(Path(tmp)) | (extra_env or {})
        proc = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(log),
                               str(exe), *args], env=env, cwd=tmp, capture_output=True, text=True, timeout=1800)
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    calls = [ln for ln in lines if "connect(" in ln or "sendto(" in ln or "sendmsg(" in ln]
    return proc.returncode, len(calls), sum(1 for ln in calls if INET.search(ln))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--app", default=str(ROOT / "dist" / "QwenRAG" / "qwenrag"))
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--skip-selftest", action="store_true")
    p.add_argument("--skip-source", action="store_true")
    args = p.parse_args()
    exe = Path(args.app).resolve()
    if not exe.is_file():
        print(f"no built app at {exe}: run packaging/build.sh first", file=sys.stderr)
        return 1
    app_dir = exe.parent

    total, parts = sizes(app_dir)
    print(f"bundle {app_dir}: {total / 1e6:.0f} MB")
    for size, name in parts:
        print(f"  {size / 1e6:8.1f} MB  {name}")

    rows: list[tuple[str, str]] = []
    built = startup([str(exe)], args.runs)
    rows.append(("start-up, built app: first run (s)", _fmt(built["shown_first_s"])))
    rows.append((f"start-up, built app: median of {args.runs} (s)", _fmt(built["shown_median_s"])))
    rows.append(("start-up, built app: fastest (s)", _fmt(built["shown_min_s"])))
    rows.append(("  app's own number (from ui.app import), median (s)", _fmt(built["app_reported_median_s"])))
    rows.append(("  runs without a 'window shown' line", str(built["missing"])))
    if not args.skip_source:
        src = startup([sys.executable, "-m", "qwenrag"], args.runs)
        rows.append((f"start-up, from source: median of {args.runs} (s)", _fmt(src["shown_median_s"])))

    if not args.skip_selftest:
        code, wall, report, err = selftest(exe)
        rows.append(("self-test exit code / wall (s)", f"{code} / {wall:.1f}"))
        if report:
            t = report["timings"]
            assert isinstance(t, dict)
            rows += [(f"  self-test {k}", str(v)) for k, v in t.items()]
            rows.append(("  self-test check", str(report.get("check"))))
        elif err:
            print(err, file=sys.stderr)

    if shutil.which("strace"):
        code, calls, inet = network_uses(exe, ["--self-test"])
        rows.append(("self-test under strace: exit / connect+send calls / to AF_INET(6)", f"{code} / {calls} / {inet}"))
        code, calls, inet = network_uses(exe, [])
        rows.append(("window start-up under strace: exit / calls / AF_INET(6)", f"{code} / {calls} / {inet}"))
    else:
        rows.append(("strace", "not installed (apt-get install strace)"))
    if os.geteuid() == 0 and shutil.which("unshare") and not args.skip_selftest:
        code, wall, _report, _err = selftest(exe, ["unshare", "-n"])
        rows.append(("self-test with no network (unshare -n): exit / wall (s)", f"{code} / {wall:.1f}"))

    width = max(len(k) for k, _ in rows)
    print()
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return 0


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    raise SystemExit(main())
