"""OCR of a page image: PaddleOCR's PP-OCRv6 detection and recognition models (Chinese and English in one
model) run on onnxruntime through RapidOCR.

Why RapidOCR 3.x: its wheel carries the ONNX models (det 9.9 MB, rec 21 MB, cls 0.6 MB) with the character
dictionary inside the recognition model, so nothing is downloaded at run time; we pass the bundled paths
explicitly, so a missing file is an error and never a download. Measured against rapidocr-onnxruntime 1.4
(PP-OCRv4) on the corpus images with ground truth: better or equal accuracy on most, faster
(tests/bench/bench_ocr.py --engines, README "Scanned pages and images").

Where the time goes (tests/bench/bench_ocr.py --configs; a dense A4 page at 150 dpi, ~45 lines): recognition
is ~85% of it, ~0.2 CPU s per full-width line, the backbone's convolutions two thirds of that. The wheel has
no smaller recogniser: PP-OCRv4 mobile (rapidocr-onnxruntime 1.4's wheel) is slower (1.8 vs 1.3 CPU s per
6 full lines), and onnxruntime's dynamic int8 quantisation slows both models down (4.1 vs 1.6 s). So the
speed comes from doing each step once: detection runs once per page whatever its orientation (it used to
run again for each turn tried), and a turned page's way up is decided on a sample of its longest lines.

Orientation: text is detected on the page as it is. Most multi-character boxes taller than wide means the
page lies on its side: the longest lines are read turned a quarter both ways and the better reading decides
for all lines. Otherwise the lines are read upright; a low mean confidence means the page may be upside
down, and the longest lines are read half a turn round as well. Skew needs nothing: each line's
quadrilateral is cut out straightened. Vertical Chinese is not supported: RapidOCR 3.10 has no vertical
text model or setting (its only handling is turning a tall line a quarter, which reads a column's
characters sideways), and a page of columns looks like a page on its side.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexing.page_lines import PageLine

MAX_SIDE = 2000  # pixels: larger images are scaled down to this first (RapidOCR's own limit too)
MIN_SIDE = 1000  # pixels: small pages are rendered at least this large so small print stays legible
RENDER_DPI = 150  # PDF pages without a usable text layer are rendered at this resolution
MAX_DECODE_PIXELS = 150_000_000  # an image file larger than this is refused: decoding it would exhaust memory
_TALL = 1.5  # a box this many times taller than wide runs vertically
_RETRY_BELOW = 0.80  # mean confidence under which the upside-down reading is tried as well
_SAMPLE = 8  # lines (the longest) read both ways to tell which way a page is turned
_MIN_GUTTER = 0.25  # line heights: narrower vertical gaps are spaces between words
_MIN_SCORE = 0.5  # lines recognised less confidently are dropped (RapidOCR's text_score)


@dataclass(frozen=True)
class Settings:
    """How the engine is run. The defaults are the shipped choice; tests/bench/bench_ocr.py --configs
    compares others on the same pages."""

    # Detection input, long side in pixels (small images are still enlarged to 736 on the short side, as
    # RapidOCR does); 0 = never scaled down (RapidOCR's default). 960 chosen on bench_ocr.py --configs
    # --part calibration: A4 pages 12.3 -> 9.5 CPU s (detection 2.4 -> 0.7, and fewer, whole-line boxes
    # to recognise), accuracy within 0.001 of full size on every source, magazine small print included.
    det_max_side: int = 960
    threads: int = 2  # onnxruntime intra-op threads (more mostly spin on 2 cores: measured CPU 17 -> 24 s)
    det_model: str = "PP-OCRv6_det_small.onnx"
    rec_model: str = "PP-OCRv6_rec_small.onnx"
    models: Path | None = None  # None = the rapidocr wheel's models folder


SETTINGS = Settings()
# The work done (detections, lines recognised, re-reads, CPU seconds of each step), for the benchmark.
stats: Counter[str] = Counter()  # counts, and seconds as floats

_engines: dict[Settings, Any] = {}
_engine_lock = threading.Lock()


def models_dir() -> Path:
    """The folder with the bundled ONNX models (collected into the PyInstaller build)."""
    import rapidocr

    return Path(rapidocr.__file__).parent / "models"


def engine(settings: Settings = SETTINGS) -> Any:
    """The RapidOCR engine for these settings, made once (the models load in about a second)."""
    with _engine_lock:
        if settings not in _engines:
            from rapidocr import RapidOCR

            models = settings.models or models_dir()
            threads = max(1, min(settings.threads, os.cpu_count() or 1))
            _engines[settings] = RapidOCR(params={
                "Global.log_level": "error",
                "Det.model_path": str(models / settings.det_model),
                "Rec.model_path": str(models / settings.rec_model),
                # never loaded (orientation is decided here), but a path keeps RapidOCR from looking for one
                "Cls.model_path": str(models_dir() / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            })
        return _engines[settings]


def available() -> bool:
    """Whether the OCR engine and its models are installed (a build without them reports scans as before)."""
    try:
        return (models_dir() / SETTINGS.rec_model).is_file()
    except ImportError:
        return False


def recognize(image: Any, settings: Settings = SETTINGS) -> list[PageLine]:
    """The text lines of a PIL image in reading order, boxes as fractions of the image.

    Text is detected once; orientation only changes how the line images are turned before recognition
    (turning the page and detecting again cost a full detection each time, for the same boxes).
    A page whose multi-character boxes mostly stand upright lies on its side: its longest lines are read
    turned a quarter both ways and the better reading decides the way for all lines. Otherwise the lines
    are read upright and, when the mean confidence is low, the longest are tried upside down too."""
    import numpy as np

    rgb = prepare(image)
    bgr = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
    eng = engine(settings)
    with _engine_lock:  # RapidOCR keeps per-call state on the engine object
        quads = _detect(eng, bgr, settings)
        if not quads:
            return []
        crops = [_crop(bgr, quad) for quad in quads]
        if _tall_share(quads) > 0.5:
            # On its side: one quarter turn stands the lines upright, the other upside down.
            turn, reads = _better_turn(eng, crops, 1, 3)
        else:
            turn, reads = _better_turn(eng, crops, 0, 2, known=_rec(eng, crops, 0))
    return _lines(quads, reads, turn, bgr.shape[1], bgr.shape[0])


def _detect(eng: Any, bgr: Any, settings: Settings) -> list[Any]:
    """Text quadrilaterals (4 points each, clockwise from the top left) in the image's pixels."""
    import numpy as np

    height, width = bgr.shape[:2]
    det = eng._load_det_model()
    if settings.det_max_side and max(height, width) > settings.det_max_side:
        det.limit_type, det.limit_side_len = "max", settings.det_max_side
    else:
        det.limit_type, det.limit_side_len = "min", 736  # RapidOCR's default: small images enlarged
    stats["detections"] += 1
    cpu = time.process_time()
    # Through RapidOCR's call, which also pads very wide strips before detecting and maps the boxes back.
    result = eng(bgr, use_det=True, use_cls=False, use_rec=False)
    stats["detection CPU s"] += time.process_time() - cpu
    boxes = getattr(result, "boxes", None)
    quads = [] if boxes is None else [quad.astype("float32") for quad in boxes]
    # A box over half the page both ways is not a line of text: a scaled-down page turns a large dark
    # shape (a photo, a filled rectangle) into one, which reads as "1" or "■".
    return [q for q in quads if not (np.ptp(q[:, 0]) > width / 2 and np.ptp(q[:, 1]) > height / 2)]


def _crop(bgr: Any, quad: Any) -> Any:
    """The quadrilateral cut out and straightened (skew needs nothing more), not turned."""
    import cv2
    import numpy as np

    width = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    height = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    return cv2.warpPerspective(bgr, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE,
                               flags=cv2.INTER_CUBIC)


def _rec(eng: Any, crops: list[Any], quarter_turns: int) -> list[tuple[str, float]]:
    """(text, confidence) of each line image turned counter-clockwise by `quarter_turns`."""
    import numpy as np

    if not crops:
        return []
    stats["lines recognised"] += len(crops)
    turned = [np.ascontiguousarray(np.rot90(c, quarter_turns)) if quarter_turns else c for c in crops]
    cpu = time.process_time()
    result = eng.recognize_txt(turned)
    stats["recognition CPU s"] += time.process_time() - cpu
    return [(str(t), float(s)) for t, s in zip(result.txts, result.scores, strict=True)]


def _better_turn(eng: Any, crops: list[Any], first: int, second: int,
                 known: list[tuple[str, float]] | None = None) -> tuple[int, list[tuple[str, float]]]:
    """Of two turns half a turn apart, the one whose reading of the longest lines is more confident, and
    every line read that way. `known`: every line already read at `first`; then `second` is tried only
    when their mean confidence is low (a page upside down reads poorly, but so does a poor photo)."""
    if known is not None and _mean_score(known) >= _RETRY_BELOW:
        return first, known
    longest = sorted(range(len(crops)), key=lambda i: -max(crops[i].shape[:2]))[:_SAMPLE]
    if known is not None:
        stats["re-reads"] += 1
        a = [known[i] for i in longest]
    else:
        a = _rec(eng, [crops[i] for i in longest], first)
    b = _rec(eng, [crops[i] for i in longest], second)
    turn, sample = (first, a) if _weight(a) >= _weight(b) else (second, b)
    if turn == first and known is not None:
        return first, known
    reads: list[tuple[str, float]] = [("", 0.0)] * len(crops)
    for i, read in zip(longest, sample, strict=True):
        reads[i] = read
    sampled = set(longest)
    rest = [i for i in range(len(crops)) if i not in sampled]
    for i, read in zip(rest, _rec(eng, [crops[i] for i in rest], turn), strict=True):
        reads[i] = read
    return turn, reads


def _lines(quads: list[Any], reads: list[tuple[str, float]], turn: int, width: int,
           height: int) -> list[PageLine]:
    """PageLines in reading order (decided where the text stands upright), boxes mapped back to the image."""
    upright: list[PageLine] = []  # boxes in the turned image
    for quad, (text, score) in zip(quads, reads, strict=True):
        if text.strip() and score >= _MIN_SCORE:
            points = [_turn(float(x), float(y), turn, width, height) for x, y in quad]
            xs = [p[0] for p in points]
            ys = [p[1] for p in points]
            upright.append(PageLine(text.strip(), (min(xs), min(ys), max(xs), max(ys)), score))
    lines: list[PageLine] = []
    for line in reading_order(upright):
        x0, y0, x1, y1 = line.box
        points = [_unturn(x, y, turn, width, height) for x, y in ((x0, y0), (x1, y1))]
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        box = (max(0.0, min(xs) / width), max(0.0, min(ys) / height),
               min(1.0, max(xs) / width), min(1.0, max(ys) / height))
        lines.append(PageLine(line.text, box, line.score))
    return lines


def render_scale(width_pt: float, height_pt: float) -> float:
    """PDF points -> pixels for OCR: RENDER_DPI, but the long side between MIN_SIDE and MAX_SIDE pixels (a
    poster is not rendered at full size, a label-sized page is enlarged)."""
    longest = max(width_pt, height_pt, 1.0)
    scale = RENDER_DPI / 72
    if longest * scale > MAX_SIDE:
        scale = MAX_SIDE / longest
    elif longest * scale < MIN_SIDE:
        scale = min(MIN_SIDE / longest, 4 * RENDER_DPI / 72)
    return scale


def prepare(image: Any) -> Any:
    """RGB (palette, 1-bit, CMYK, alpha on white), at most MAX_SIDE pixels on the long side."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    if image.mode != "RGB":
        image = image.convert("RGB")
    longest = max(image.size)
    if longest > MAX_SIDE:
        scale = MAX_SIDE / longest
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.LANCZOS)
    return image


def _turn(x: float, y: float, quarter_turns: int, width: int, height: int) -> tuple[float, float]:
    """A point of the image (width x height) in np.rot90(image, k)."""
    if quarter_turns == 1:
        return y, width - x
    if quarter_turns == 2:
        return width - x, height - y
    if quarter_turns == 3:
        return height - y, x
    return x, y


def _unturn(x: float, y: float, quarter_turns: int, width: int, height: int) -> tuple[float, float]:
    """A point of np.rot90(image, k) back in the image (width x height) it was turned from."""
    if quarter_turns == 1:
        return width - y, x
    if quarter_turns == 2:
        return width - x, height - y
    if quarter_turns == 3:
        return y, height - x
    return x, y


def _weight(reads: list[tuple[str, float]]) -> float:
    return sum(score * len(text.strip()) for text, score in reads if score >= _MIN_SCORE)


def _mean_score(reads: list[tuple[str, float]]) -> float:
    chars = sum(len(text.strip()) for text, score in reads if score >= _MIN_SCORE)
    return _weight(reads) / chars if chars else 0.0


def _tall_share(quads: list[Any]) -> float:
    """The share of multi-character boxes (long side at least twice the median short side: a "1" or an
    "l" alone stands tall on any page) that are taller than wide."""
    import numpy as np

    sides = [(float(np.linalg.norm(q[0] - q[1])), float(np.linalg.norm(q[1] - q[2]))) for q in quads]
    short = statistics.median(min(w, h) for w, h in sides)
    lines = [(w, h) for w, h in sides if max(w, h) >= 2 * short]
    return sum(1 for w, h in lines if h > _TALL * w) / len(lines) if lines else 0.0


# --- reading order ---------------------------------------------------------------------------------------

def reading_order(lines: Sequence[PageLine]) -> list[PageLine]:
    """Lines in the order a person reads them: recursive XY-cut. At each level a column gutter (a vertical
    gap with running text on both sides) splits left from right, otherwise the widest horizontal gaps split
    the rows; what cannot be split is grouped into rows, each read left to right. A table's cells do not
    fill their columns, so its rows are read across."""
    if len(lines) <= 1:
        return list(lines)
    line_height = statistics.median(ln.box[3] - ln.box[1] for ln in lines) or 1e-3
    return _cut(list(lines), line_height)


def _cut(lines: list[PageLine], line_height: float) -> list[PageLine]:
    if len(lines) <= 1:
        return lines
    # Detection boxes are padded (unclipped) and neighbouring lines' boxes overlap: rows are told apart by
    # the middle half of each box.
    rows = _gaps([(ln.box[1] * 0.75 + ln.box[3] * 0.25, ln.box[1] * 0.25 + ln.box[3] * 0.75) for ln in lines])
    widest_row = max((g[0] for g in rows), default=-1.0)
    columns = [g for g in _gaps([(ln.box[0], ln.box[2]) for ln in lines])
               if g[0] >= _MIN_GUTTER * line_height and _text_columns(lines, g[1])]
    # Cut at the widest gaps only (and those nearly as wide): a title's gap first, then the gutter, then
    # the lines; cutting at every row gap at once would interleave columns that share a line grid.
    if columns:
        widest = max(g[0] for g in columns)
        axis, cuts = 0, sorted(g[1] for g in columns if g[0] >= 0.9 * widest)
    elif rows:
        axis, cuts = 1, sorted(g[1] for g in rows if g[0] >= 0.9 * widest_row)
    else:
        return _by_rows(lines, line_height)
    groups: list[list[PageLine]] = [[] for _ in range(len(cuts) + 1)]
    for line in lines:
        centre = (line.box[axis] + line.box[axis + 2]) / 2
        groups[sum(1 for c in cuts if centre > c)].append(line)
    out: list[PageLine] = []
    for group in groups:
        out.extend(_cut(group, line_height) if len(group) < len(lines) else _by_rows(group, line_height))
    return out


def _text_columns(lines: list[PageLine], at: float) -> bool:
    """Whether a narrow vertical gap at `at` separates columns of running text (most lines on each side
    fill their side's width) rather than the cells of a table (whose rows are read across)."""
    for side in ([ln for ln in lines if ln.box[2] <= at], [ln for ln in lines if ln.box[0] >= at]):
        if len(side) < 3:
            return False
        extent = max(ln.box[2] for ln in side) - min(ln.box[0] for ln in side)
        full = sum(1 for ln in side if ln.box[2] - ln.box[0] >= 0.6 * extent)
        if full < 0.6 * len(side):
            return False
    return True


def _by_rows(lines: list[PageLine], line_height: float) -> list[PageLine]:
    """Lines that no gap separates: grouped into rows by their vertical centres, each row left to right."""
    ordered = sorted(lines, key=lambda ln: ln.box[1] + ln.box[3])
    out: list[PageLine] = []
    row: list[PageLine] = []
    for line in ordered:
        if row and (line.box[1] + line.box[3]) - (row[0].box[1] + row[0].box[3]) > line_height:
            out.extend(sorted(row, key=lambda ln: ln.box[0]))
            row = []
        row.append(line)
    out.extend(sorted(row, key=lambda ln: ln.box[0]))
    return out


def _gaps(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(size, middle) of each stretch that no span covers, between the first start and the last end."""
    ordered = sorted(spans)
    gaps: list[tuple[float, float]] = []
    reach = ordered[0][1]
    for start, end in ordered[1:]:
        if start > reach:
            gaps.append((start - reach, (start + reach) / 2))
        reach = max(reach, end)
    return gaps
