"""Legacy, WPS, PowerPoint and password-protected files, measured through the real library. Prints tables.

    .venv/bin/python tests/bench/bench_legacy.py [--workers 2]

1. ../shared/corpora/legacy: every .doc/.dot/.wps/.xls/.xlt/.et/.ppt/.pps/.dps indexed (worker processes);
   outcome per reason, and word recall (character recall for Chinese) of the indexed passages against the
   expected text the source projects ship (node-word-extractor *.snapx, textract raw_text.txt).
2. The .xls reader choice: cells found and seconds for xlrd and python-calamine over the same files.
3. ../shared/corpora/pptx: outcome per reason; the share of passages whose words are all on the slide
   they cite (read independently from the slide XML, as tests/test_pptx.py does).
4. Encrypted files with a known password (legacy/MANIFEST.md, malformed/MANIFEST.md notes): reported as
   password-protected without it; indexed with it.
5. What the new readers add to the bundle: the installed size of the packages they bring.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from indexing.filetypes import SUPPORTED_SUFFIXES  # noqa: E402
from indexing.library import Library  # noqa: E402
from tests.corpus_truth import MALFORMED_PASSWORDS, legacy_passwords, legacy_truth, recall, tokens  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"


def _files(root: Path, kinds: set[str]) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and SUPPORTED_SUFFIXES.get(p.suffix.lower()) in kinds)


def _outcomes(lib: Library, files: list[Path], workers: int, password: str | None = None) -> dict[str, dict]:
    return {e.path: e.to_json() for e in lib.add([str(p) for p in files], workers=workers, password=password)
            if e.kind == "file_done"}


def _reason(row: dict) -> str:
    return row["status"] if row["status"] == "indexed" else (row.get("detail") or "").split(":")[0]


def legacy(lib: Library, workers: int) -> None:
    files = _files(CORPORA / "legacy", {"doc", "xls", "ppt"})
    started = time.perf_counter()
    rows = _outcomes(lib, files, workers)
    seconds = time.perf_counter() - started
    print(f"\n## legacy/: {len(files)} files in {seconds:.1f} s ({workers} workers)\n")
    by_kind: dict[str, Counter[str]] = {}
    for path in files:
        kind = SUPPORTED_SUFFIXES[path.suffix.lower()]
        by_kind.setdefault(kind, Counter())[_reason(rows[str(path)])] += 1
    print("| kind | files | indexed | reasons of the rest |")
    print("|---|---|---|---|")
    for kind, counts in sorted(by_kind.items()):
        rest = ", ".join(f"{n} {r}" for r, n in counts.most_common() if r != "indexed")
        print(f"| {kind} | {sum(counts.values())} | {counts['indexed']} | {rest or '-'} |")
    print("\n| expected text | files | mean recall | min recall | files >= 0.95 |")
    print("|---|---|---|---|---|")
    groups: dict[str, list[float]] = {}
    for path, expected in legacy_truth(CORPORA).items():
        got = "\n".join(t for _l, t in lib.passages(path))
        groups.setdefault(path.parent.relative_to(CORPORA / "legacy").parts[0] + f" ({path.suffix})", []).append(
            recall(expected, got))
    for name, scores in sorted(groups.items()):
        print(f"| {name} | {len(scores)} | {statistics.mean(scores):.3f} | {min(scores):.3f} | "
              f"{sum(s >= 0.95 for s in scores)} |")
    chinese = CORPORA / "legacy" / "node-word-extractor" / "test11.doc"
    snap = legacy_truth(CORPORA)[chinese]
    got = "\n".join(t for _l, t in lib.passages(chinese))
    print(f"\nChinese Word file test11.doc: character+word recall {recall(snap, got):.3f}; "
          f"WPS Writer test.wps: {len(lib.passages(CORPORA / 'legacy' / 'kingsoft-wps-sample' / 'test.wps'))} "
          "passages")


def xls_readers() -> None:
    import python_calamine
    import xlrd

    def with_xlrd(path: Path) -> int:
        book = xlrd.open_workbook(str(path), logfile=io.StringIO())
        return sum(1 for sh in book.sheets() for r in range(sh.nrows) for c in sh.row(r)
                   if c.ctype not in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK))

    def with_calamine(path: Path) -> int:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        return sum(1 for m in wb.sheets_metadata if str(m.typ).endswith("WorkSheet")
                   for row in wb.get_sheet_by_name(m.name).to_python() for v in row if v not in ("", None))

    files = _files(CORPORA / "legacy", {"xls"})
    readers = {"xlrd": with_xlrd, "calamine": with_calamine}
    found: dict[str, dict[Path, int]] = {name: {} for name in readers}
    seconds = dict.fromkeys(readers, 0.0)
    for path in files:
        for name, read in readers.items():
            t = time.perf_counter()
            with contextlib.suppress(Exception):  # counting what each reader refuses
                found[name][path] = read(path)
            seconds[name] += time.perf_counter() - t
    both = set(found["xlrd"]) & set(found["calamine"])
    print(f"\n## .xls readers over the same {len(files)} files ({len(both)} read by both)\n")
    print("| reader | files read | cells in the files both read | files where it finds more | seconds |")
    print("|---|---|---|---|---|")
    for name, other in (("xlrd", "calamine"), ("calamine", "xlrd")):
        more = sum(found[name][p] > found[other][p] for p in both)
        print(f"| {name} | {len(found[name])} | {sum(found[name][p] for p in both)} | {more} | "
              f"{seconds[name]:.2f} |")
    only = sorted(p.name for p in set(found["calamine"]) - set(found["xlrd"]))
    print(f"read by calamine only (the fallback): {', '.join(only) or '-'}")


def pptx(lib: Library, workers: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from tests.test_pptx import _slide_words

    files = _files(CORPORA / "pptx", {"pptx"})
    rows = _outcomes(lib, files, workers)
    counts = Counter(_reason(r) for r in rows.values())
    on_slide = total = 0
    for path, row in rows.items():
        if row["status"] != "indexed":
            continue
        slides = _slide_words(Path(path))
        for loc, text in lib.passages(path):
            total += 1
            on_slide += not (set(tokens(text)) - slides.get(loc.slide, set()))
    print(f"\n## pptx/: {len(files)} decks: " + ", ".join(f"{n} {r}" for r, n in counts.most_common()))
    print(f"passages on the slide they cite: {on_slide}/{total} = {on_slide / max(total, 1):.3f}")


def passwords(lib: Library, workers: int) -> None:
    files = legacy_passwords(CORPORA)
    files.update({CORPORA / "malformed" / rel: pw for rel, pw in MALFORMED_PASSWORDS.items()})
    files[CORPORA / "pptx" / "apache-tika" / "testPPT_protected_passtika.pptx"] = "tika"
    first = _outcomes(lib, list(files), workers)
    reported = sum((r.get("detail") or "").startswith("encrypted:") for r in first.values())
    opened: Counter[str] = Counter()
    for password in set(files.values()):
        paths = [p for p, pw in files.items() if pw == password]
        for row in _outcomes(lib, paths, workers, password=password).values():
            opened[_reason(row)] += 1
    print(f"\n## encrypted files with a known password: {len(files)}")
    print(f"reported password-protected without it: {reported} (the rest open with Excel's built-in password)")
    print("with the password: " + ", ".join(f"{n} {r}" for r, n in opened.most_common()))


def bundle() -> None:
    import importlib.metadata as md

    total = 0
    print("\n## installed size of the packages the new readers bring (the bundle takes what is imported)\n")
    print("| package | MB |")
    print("|---|---|")
    for dist in ("olefile", "xlrd", "msoffcrypto-tool", "striprtf", "cryptography", "cffi"):
        try:
            files = md.distribution(dist).files or []
        except md.PackageNotFoundError:
            continue
        size = sum((f.locate().stat().st_size for f in files if Path(str(f.locate())).is_file()), 0)
        total += size
        print(f"| {dist} | {size / 1e6:.2f} |")
    print(f"| total | {total / 1e6:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not CORPORA.is_dir():
        raise SystemExit(f"{CORPORA} is missing")
    with tempfile.TemporaryDirectory(prefix="qwenrag-bench-") as tmp:
        with Library.open(Path(tmp) / "legacy") as lib:
            legacy(lib, args.workers)
        xls_readers()
        with Library.open(Path(tmp) / "pptx") as lib:
            pptx(lib, args.workers)
        with Library.open(Path(tmp) / "passwords") as lib:
            passwords(lib, args.workers)
    bundle()


if __name__ == "__main__":
    main()
