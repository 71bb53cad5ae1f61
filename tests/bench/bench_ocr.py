"""OCR benchmark: character accuracy, seconds per page and a parsing worker's peak memory, in one table.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_ocr.py [--quick] [--garbage]
    PYTHONPATH=. .venv/bin/python tests/bench/bench_ocr.py --configs [--part calibration|evaluation] [--models DIR]

Accuracy is 1 - CER (edit distance over the truth's length; NFKC, whitespace removed on both sides: layouts
differ in line breaks and in spaces between Chinese characters) against
  - `.gt.txt` files beside images in ../shared/corpora/images and scans (per source folder);
  - pages of real text PDFs rendered to images at 150 dpi and indexed as image-only PDFs, the text layer
    being the truth (clean printed Chinese, clean printed English).
Every file goes through the real path (indexing.parsers.open_document in a parsing worker process with the
worker's address-space cap). Seconds are wall-clock per page on this machine, with the CPU seconds beside them
(the 2 cores are shared: CPU seconds are the steadier number); peak memory is the worker's maxrss.
--garbage runs the text-layer garbage detector over every page of ../shared/corpora/pdf and scans.
--configs compares engine settings (indexing.parsers.ocr.Settings: detection size, models) side by side on
the same pages in one process: CPU seconds per A4 page split into detection and recognition, lines
recognised, re-reads, and accuracy per source. Settings are chosen on --part calibration (other pages of the
same PDFs, another English PDF, every other ground-truth image) and reported on --part evaluation (the pages
and images of the default run). --models DIR adds the same pipeline with other PP-OCR ONNX models found in
DIR (e.g. the PP-OCRv4 mobile ones inside the rapidocr-onnxruntime 1.4 wheel, unzipped).
--raw times each ONNX model alone on fixed inputs, one onnxruntime thread: recognition on 6 lines of 48x1776
pixels (a full-width A4 line at 150 dpi as the recogniser sees it), detection on a 1248x1760 page; models of
the rapidocr wheel plus every *.onnx in --models DIR (other wheels' models, int8 versions made with
onnxruntime.quantization.quantize_dynamic in a scratch venv: onnx is not a dependency).
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
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.ocr_helpers import (  # noqa: E402
    char_accuracy,
    char_accuracy_any_order,
    comparable,
    image_only_pdf,
    page_text_layer,
)

CORPORA = ROOT.parent / "shared" / "corpora"
# (label, PDF with a good text layer, pages rendered to an image-only PDF)
TEXT_PDFS = [
    ("clean printed Chinese", "pdf/alibaba-p3c/Java开发手册(黄山版).pdf", [5, 9, 14, 22, 30]),
    ("clean printed English", "pdf/py-pdf-sample-files/004-pdflatex-4-pages/pdflatex-4-pages.pdf", [1, 2, 3, 4]),
]
# The calibration part of --configs: pages never in TEXT_PDFS (settings are chosen here, reported there).
CALIBRATION_PDFS = [
    ("clean printed Chinese", "pdf/alibaba-p3c/Java开发手册(黄山版).pdf", [6, 11, 17, 25, 35]),
    ("clean printed English", "pdf/py-pdf-sample-files/006-pdflatex-outline/pdflatex-outline.pdf", [2, 3, 4]),
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
    ap.add_argument("--configs", action="store_true", help="compare engine settings side by side instead")
    ap.add_argument("--part", choices=("calibration", "evaluation"), default="calibration")
    ap.add_argument("--models", type=Path, help="a folder with other PP-OCR det/rec ONNX models to compare")
    ap.add_argument("--names", help="comma-separated configurations to run (default: all)")
    ap.add_argument("--raw", action="store_true", help="time the ONNX models alone on fixed inputs")
    args = ap.parse_args()
    if args.raw:
        raw_report(args.models)
        return
    if args.configs:
        configs_report(args.part, args.quick, args.models, args.names)
        return
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


def configs() -> dict[str, Any]:
    from indexing.parsers import ocr

    shipped = ocr.SETTINGS
    return {
        "shipped": shipped,
        "det full size": replace(shipped, det_max_side=0),
        "det 1600": replace(shipped, det_max_side=1600),
        "det 1280": replace(shipped, det_max_side=1280),
        "det 960": replace(shipped, det_max_side=960),
        "1 thread": replace(shipped, threads=1),
    }


def configs_report(part: str, quick: bool, models: Path | None, only: str | None) -> None:
    """Each configuration over the same pages and images, in this process (engine loads excluded)."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageOps

    from indexing.parsers import ocr

    table = configs()
    if models:
        for det, rec, name in (("ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx", "PP-OCRv4 mobile"),
                               ("ch_PP-OCRv4_det_server_infer.onnx", "ch_PP-OCRv4_rec_server_infer.onnx",
                                "PP-OCRv4 server")):
            if (models / det).is_file() and (models / rec).is_file():
                table[name] = replace(ocr.SETTINGS, models=models, det_model=det, rec_model=rec)
    if only:
        table = {name: table[name] for name in only.split(",")}
    items: list[tuple[str, str, Any, str]] = []  # (label, name, PIL image, truth)
    for label, rel, numbers in (CALIBRATION_PDFS if part == "calibration" else TEXT_PDFS):
        doc = pdfium.PdfDocument(CORPORA / rel)
        for number in numbers[:2] if quick else numbers:
            page = doc[number - 1]
            width, height = page.get_size()
            image = page.render(scale=ocr.render_scale(width, height), grayscale=True).to_pil()
            items.append((label, f"{Path(rel).name[:24]} p{number}", image, page.get_textpage().get_text_range()))
    images = ground_truth_files(False)
    for label, source, gt in images[(0 if part == "calibration" else 1)::2][: 3 if quick else None]:
        if source.suffix.lower() == ".pdf":  # a one-page scan
            page = pdfium.PdfDocument(source)[0]
            image = page.render(scale=ocr.render_scale(*page.get_size()), grayscale=True).to_pil()
        else:
            with Image.open(source) as opened:
                image = ImageOps.exif_transpose(opened).copy()
        items.append((label, str(source.relative_to(CORPORA))[-34:], image, gt.read_text(encoding="utf-8")))
    print(f"part: {part}; {len(items)} pages/images; CPU seconds of this process (the 2 cores are shared)")
    names = list(table)
    results: dict[str, list[tuple[str, float, float, int, float, float, Counter]]] = {n: [] for n in names}
    for name in names:
        ocr.engine(table[name])  # loaded outside the timing
        ocr.recognize(items[0][2], table[name])
    print(f"{'page':42} " + " ".join(f"{n[:13]:>13} {'cpu':>5}" for n in names))
    for label, title, image, truth in items:
        cells = []
        for name in names:
            ocr.stats.clear()
            cpu = time.process_time()
            lines = ocr.recognize(image, table[name])
            spent = time.process_time() - cpu
            text = "\n".join(ln.text for ln in lines)
            acc, free = char_accuracy(text, truth), char_accuracy_any_order(text, truth)
            results[name].append((label, acc, free, len(comparable(truth)), spent, float(len(lines)),
                                  Counter(ocr.stats)))
            cells.append(f"{acc:6.3f}/{free:6.3f} {spent:5.1f}")
        print(f"{title:42} " + " ".join(cells), flush=True)
    print("\nper source, accuracy weighted by characters: 1-CER / any order")
    labels = list(dict.fromkeys(r[0] for r in results[names[0]]))
    print(f"{'source':40} " + " ".join(f"{n[:19]:>19}" for n in names))
    for label in labels:
        cells = []
        for name in names:
            rows = [r for r in results[name] if r[0] == label]
            chars = max(1, sum(r[3] for r in rows))
            cells.append(f"{sum(r[1] * r[3] for r in rows) / chars:9.3f}/{sum(r[2] * r[3] for r in rows) / chars:.3f}")
        print(f"{label:40} " + " ".join(f"{c:>19}" for c in cells))
    print("\nA4 pages at 150 dpi (the rendered PDF pages): CPU s/page; lines recognised, re-reads, all items")
    for name in names:
        a4 = [r for r in results[name] if r[0].startswith("clean printed")]
        work: Counter = Counter()
        for r in results[name]:
            work.update(r[6])
        a4_work: Counter = Counter()
        for r in a4:
            a4_work.update(r[6])
        print(f"  {name:18} {sum(r[4] for r in a4) / max(1, len(a4)):5.2f} CPU s/page (detection "
              f"{a4_work['detection CPU s'] / max(1, len(a4)):.2f}, recognition "
              f"{a4_work['recognition CPU s'] / max(1, len(a4)):.2f})   "
              f"{work['lines recognised']} lines recognised, {work['re-reads']} re-reads, "
              f"{work['detections']} detections; all items {sum(r[4] for r in results[name]):.1f} CPU s")


def raw_report(extra: Path | None) -> None:
    import numpy as np
    import onnxruntime as ort

    from indexing.parsers import ocr

    paths = sorted(ocr.models_dir().glob("*.onnx")) + (sorted(extra.glob("*.onnx")) if extra else [])
    rng = np.random.default_rng(0)
    for path in paths:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.log_severity_level = 4
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        if "_rec" in path.name:
            batch = rng.random((6, 3, 48, 1776), dtype=np.float32)
        elif "_cls" in path.name:  # the 0/180 line classifier takes 48x192 lines
            batch = rng.random((6, 3, 48, 192), dtype=np.float32)
        else:
            batch = rng.random((1, 3, 1760, 1248), dtype=np.float32)
        name = session.get_inputs()[0].name
        session.run(None, {name: batch})
        cpu = time.process_time()
        for _ in range(2):
            session.run(None, {name: batch})
        print(f"{path.name:44} {path.stat().st_size / 1e6:6.1f} MB  input {list(batch.shape)!s:22} "
              f"{(time.process_time() - cpu) / 2:6.2f} CPU s", flush=True)


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
