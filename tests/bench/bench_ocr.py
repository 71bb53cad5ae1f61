"""OCR benchmark: character accuracy, seconds per page and a parsing worker's peak memory, in one table.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_ocr.py [--quick] [--garbage]

Accuracy is 1 - CER (edit distance over the truth's length; NFKC, whitespace removed on both sides: layouts
differ in line breaks and in spaces between Chinese characters) against
  - `.gt.txt` files beside images in ../shared/corpora/images and scans (per source folder);
  - pages of real text PDFs rendered to images at 150 dpi and indexed as image-only PDFs, the text layer
    being the truth (clean printed Chinese, clean printed English).
Every file goes through the real path (indexing.parsers.open_document in a parsing worker process with the
worker's address-space cap). Seconds are wall-clock per page on this machine, with the CPU seconds beside them
(the 2 cores are shared: CPU seconds are the steadier number); peak memory is the worker's maxrss.
--garbage runs the text-layer garbage detector over every page of ../shared/corpora/pdf and scans.
--engines compares the candidate engines on the same images (raw engine calls, default settings, one process):
RapidOCR 3.x (PP-OCRv6, the one shipped) and rapidocr-onnxruntime 1.4 (PP-OCRv4) where it is installed
(`pip install --no-deps rapidocr-onnxruntime` in a scratch venv: its own dependency is the non-headless OpenCV).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.ocr_helpers import (  # noqa: E402
    char_accuracy,
    char_accuracy_any_order,
    image_only_pdf,
    page_text_layer,
)

CORPORA = ROOT.parent / "shared" / "corpora"
# (label, PDF with a good text layer, pages rendered to an image-only PDF)
TEXT_PDFS = [
    ("clean printed Chinese", "pdf/alibaba-p3c/Java开发手册(黄山版).pdf", [5, 9, 14, 22, 30]),
    ("clean printed English", "pdf/py-pdf-sample-files/004-pdflatex-4-pages/pdflatex-4-pages.pdf", [1, 2, 3, 4]),
]


def _parse_in_worker(path: str, queue: mp.Queue) -> None:
    """Runs in a spawned process with the worker's memory cap, like indexing.workers."""
    from indexing.limits import DEFAULT_LIMITS
    from indexing.parsers import open_document
    from indexing.workers import _restrict_self

    _restrict_self(DEFAULT_LIMITS)
    started, cpu = time.perf_counter(), time.process_time()
    try:
        doc = open_document(Path(path))
        pages = {b.location.page: b.text for b in doc.blocks}
        queue.put((pages, doc.info.pages or 1, time.perf_counter() - started, time.process_time() - cpu,
                   resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, None))
    except Exception as exc:  # reported in the table, not fatal to the run
        queue.put(({}, 0, time.perf_counter() - started, time.process_time() - cpu,
                   resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, f"{type(exc).__name__}: {exc}"))


def parse(path: Path) -> tuple[dict[int, str], int, float, float, float, str | None]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_parse_in_worker, args=(str(path), queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def ground_truth_files(quick: bool) -> list[tuple[str, Path, Path]]:
    out = []
    for gt in sorted(CORPORA.glob("images/**/*.gt.txt")) + sorted(CORPORA.glob("scans/**/*.gt.txt")):
        stem = gt.name[: -len(".gt.txt")]
        found = [p for p in gt.parent.iterdir() if p.name.startswith(stem + ".") and not p.name.endswith(".txt")]
        for source in found[:1]:
            out.append((str(gt.parent.relative_to(CORPORA)), source, gt))
    return out[:6] if quick else out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="a few files only")
    ap.add_argument("--garbage", action="store_true", help="measure the garbage detector instead")
    ap.add_argument("--engines", action="store_true", help="compare the candidate OCR engines instead")
    args = ap.parse_args()
    if args.garbage:
        garbage_report()
        return
    if args.engines:
        engines_report(args.quick)
        return
    rows: dict[str, list[tuple[float, float, int]]] = defaultdict(list)  # label -> (acc, any order, chars)
    seconds: list[tuple[float, float, int]] = []  # A4-at-150-dpi files: (wall, cpu, pages)
    peak = 0.0
    print(f"{'file':58} {'1-CER':>6} {'any':>6} {'pages':>5} {'s/page':>7} {'cpu/page':>8} {'MB':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, rel, numbers in TEXT_PDFS:
            source = CORPORA / rel
            numbers = numbers[:2] if args.quick else numbers
            scan = image_only_pdf(source, numbers, Path(tmp) / f"{source.stem}-scan.pdf", dpi=150)
            pages, count, wall, cpu, rss, error = parse(scan)
            peak = max(peak, rss)
            seconds.append((wall, cpu, count))
            for i, number in enumerate(numbers, 1):
                truth = page_text_layer(source, number)
                acc = char_accuracy(pages.get(i, ""), truth)
                free = char_accuracy_any_order(pages.get(i, ""), truth)
                rows[label].append((acc, free, len(truth)))
                print(f"{(Path(rel).name[-50:] + f' p{number}'):58} {acc:6.3f} {free:6.3f} {1:5d} {wall / max(1, count):7.2f} {cpu / max(1, count):8.2f} "
                      f"{rss:6.0f} {error or ''}", flush=True)
    a4 = sum(n for _, _, n in seconds) or 1
    print(f"  A4 at 150 dpi: {sum(w for w, _, _ in seconds) / a4:.2f} s/page wall, "
          f"{sum(c for _, c, _ in seconds) / a4:.2f} CPU s/page (engine load included)", flush=True)
    for label, source, gt in ground_truth_files(args.quick):
        pages, count, wall, cpu, rss, error = parse(source)
        truth = gt.read_text(encoding="utf-8")
        text = "\n".join(pages[p] for p in sorted(pages))
        acc, free = char_accuracy(text, truth), char_accuracy_any_order(text, truth)
        rows[label].append((acc, free, len(truth)))
        peak = max(peak, rss)
        print(f"{str(source.relative_to(CORPORA))[:58]:58} {acc:6.3f} {free:6.3f} {count:5d} {wall / max(1, count):7.2f} "
              f"{cpu / max(1, count):8.2f} {rss:6.0f} {error or ''}", flush=True)
    print("\nper source (accuracy weighted by characters)")
    print(f"{'source':44} {'files/pages':>11} {'1-CER':>6} {'any order':>9}")
    for label, items in rows.items():
        chars = max(1, sum(n for _, _, n in items))
        print(f"{label:44} {len(items):11d} {sum(a * n for a, _, n in items) / chars:6.3f} "
              f"{sum(f * n for _, f, n in items) / chars:9.3f}")
    wall = sum(w for w, _, _ in seconds)
    cpu = sum(c for _, c, _ in seconds)
    pages_done = sum(n for _, _, n in seconds)
    print(f"\nA4 pages at 150 dpi: {pages_done} pages, {wall / pages_done:.2f} s/page wall, "
          f"{cpu / pages_done:.2f} CPU s/page (goal <= 2 s/page on 2 cores)")
    print(f"peak worker RSS: {peak:.0f} MB")


def engines_report(quick: bool) -> None:
    engines = {}
    try:
        from rapidocr import RapidOCR

        v3 = RapidOCR(params={"Global.log_level": "error"})
        engines["rapidocr 3 (PP-OCRv6)"] = lambda p: "\n".join(v3(p).txts or [])
    except ImportError:
        pass
    try:
        from rapidocr_onnxruntime import RapidOCR as RapidOCRv1

        v1 = RapidOCRv1()
        engines["rapidocr-onnxruntime 1.4 (PP-OCRv4)"] = lambda p: "\n".join(x[1] for x in (v1(p)[0] or []))
    except ImportError:
        pass
    names = list(engines)
    print(f"{'file':48} " + " ".join(f"{n[:22]:>22} {'cpu s':>6}" for n in names))
    for _label, source, gt in ground_truth_files(quick):
        truth = gt.read_text(encoding="utf-8")
        cells = []
        for name in names:
            cpu = time.process_time()
            text = engines[name](str(source))
            cells.append(f"{char_accuracy_any_order(text, truth):22.3f} {time.process_time() - cpu:6.2f}")
        print(f"{str(source.relative_to(CORPORA))[:48]:48} " + " ".join(cells), flush=True)


def garbage_report() -> None:
    import pypdfium2 as pdfium

    from indexing.normalize import normalize_text
    from indexing.parsers.pdf import text_layer_is_garbage

    for folder in ("pdf", "scans"):
        pages = flagged = files = 0
        examples: list[str] = []
        for path in sorted((CORPORA / folder).rglob("*.pdf")):
            try:
                doc = pdfium.PdfDocument(path)
            except pdfium.PdfiumError:
                continue
            files += 1
            for index in range(len(doc)):
                try:
                    text = normalize_text(doc[index].get_textpage().get_text_range())
                except pdfium.PdfiumError:
                    continue
                if not text:
                    continue
                pages += 1
                if text_layer_is_garbage(text):
                    flagged += 1
                    examples.append(f"{path.relative_to(CORPORA)} p{index + 1}: {text[:40]!r}")
            doc.close()
        print(f"{folder}: {files} files, {pages} pages with a text layer, {flagged} flagged as garbage")
        for line in examples[:20]:
            print("   ", line)


if __name__ == "__main__":
    main()
