"""OCR of a page image: PaddleOCR's PP-OCRv6 detection and recognition models (Chinese and English in one
model) run on onnxruntime through RapidOCR.

Why RapidOCR 3.x: its wheel carries the ONNX models (det 9.9 MB, rec 21 MB, cls 0.6 MB) with the character
dictionary inside the recognition model, so nothing is downloaded at run time; we pass the bundled paths
explicitly, so a missing file is an error and never a download. Measured against rapidocr-onnxruntime 1.4
(PP-OCRv4) on the corpus images with ground truth: better or equal accuracy on most, faster
(tests/bench/bench_ocr.py --engines, README "Scanned pages and images").

Orientation: the page is read upright first. Most text boxes taller than wide means the page lies on its side:
the two quarter turns are read instead. (Vertical Chinese, whose columns are also tall boxes, is not told
apart from a page on its side: it is read turned, character by character sideways, and comes out poorly.) A low mean confidence means it may be upside
down: the half turn is read as well. The reading with the most confidently recognised characters wins. Skew
needs nothing: the detector returns each line's quadrilateral and the line is cut out straightened.
"""

from __future__ import annotations

import os
import statistics
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from indexing.page_lines import PageLine

MAX_SIDE = 2000  # pixels: larger images are scaled down to this first (RapidOCR's own limit too)
MIN_SIDE = 1000  # pixels: small pages are rendered at least this large so small print stays legible
RENDER_DPI = 150  # PDF pages without a usable text layer are rendered at this resolution
MAX_DECODE_PIXELS = 150_000_000  # an image file larger than this is refused: decoding it would exhaust memory
_TALL = 1.5  # a box this many times taller than wide runs vertically
_RETRY_BELOW = 0.80  # mean confidence under which the upside-down reading is tried as well
_MIN_GUTTER = 0.25  # line heights: narrower vertical gaps are spaces between words

_engine: Any = None
_engine_lock = threading.Lock()


def models_dir() -> Path:
    """The folder with the bundled ONNX models (collected into the PyInstaller build)."""
    import rapidocr

    return Path(rapidocr.__file__).parent / "models"


def _get_engine() -> Any:
    global _engine
    with _engine_lock:
        if _engine is None:
            from rapidocr import RapidOCR

            models = models_dir()
            threads = max(1, min(2, os.cpu_count() or 1))  # more threads mostly spin (measured: CPU 17 -> 24 s)
            _engine = RapidOCR(params={
                "Global.log_level": "error",
                "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
                "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx"),
                "Cls.model_path": str(models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            })
        return _engine


def available() -> bool:
    """Whether the OCR engine and its models are installed (a build without them reports scans as before)."""
    try:
        return (models_dir() / "PP-OCRv6_rec_small.onnx").is_file()
    except ImportError:
        return False


def recognize(image: Any) -> list[PageLine]:
    """The text lines of a PIL image in reading order, boxes as fractions of the image."""
    import numpy as np

    rgb = prepare(image)
    width, height = rgb.size
    bgr = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
    readings = {0: _read(bgr, 0)}
    upright = readings[0]
    if upright and _tall_share(upright, width, height) > 0.5:
        # The page lies on its side. RapidOCR turns each tall line before reading it, so the upright
        # reading has the words right but the lines in reverse order half the time: only the two quarter
        # turns compete (measured on phototest-rotated-L/R: the right one wins by 270 to 77).
        readings = {1: _read(bgr, 1), 3: _read(bgr, 3)}
    elif upright and _mean_score(upright) < _RETRY_BELOW:
        readings[2] = _read(bgr, 2)
    return max(readings.values(), key=_weight)


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


def _read(bgr: Any, quarter_turns: int) -> list[PageLine]:
    """OCR the image turned counter-clockwise by `quarter_turns`; boxes mapped back to the unturned image."""
    import numpy as np

    height, width = bgr.shape[:2]
    turned = np.ascontiguousarray(np.rot90(bgr, quarter_turns)) if quarter_turns else bgr
    result = _get_engine()(turned, use_cls=False)
    if not result.txts:
        return []
    upright: list[PageLine] = []  # boxes in the turned image, where the text stands upright
    for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=False):
        if text.strip():
            xs = [float(p[0]) for p in quad]
            ys = [float(p[1]) for p in quad]
            upright.append(PageLine(text.strip(), (min(xs), min(ys), max(xs), max(ys)), float(score)))
    lines: list[PageLine] = []
    for line in reading_order(upright):  # ordered as the text reads, then mapped back to the image
        x0, y0, x1, y1 = line.box
        points = [_unturn(x, y, quarter_turns, width, height) for x, y in ((x0, y0), (x1, y1))]
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        box = (max(0.0, min(xs) / width), max(0.0, min(ys) / height),
               min(1.0, max(xs) / width), min(1.0, max(ys) / height))
        lines.append(PageLine(line.text, box, line.score))
    return lines


def _unturn(x: float, y: float, quarter_turns: int, width: int, height: int) -> tuple[float, float]:
    """A point of np.rot90(image, k) back in the image (width x height) it was turned from."""
    if quarter_turns == 1:
        return width - y, x
    if quarter_turns == 2:
        return width - x, height - y
    if quarter_turns == 3:
        return y, height - x
    return x, y


def _weight(lines: list[PageLine]) -> float:
    return sum(line.score * len(line.text) for line in lines)


def _mean_score(lines: list[PageLine]) -> float:
    chars = sum(len(line.text) for line in lines)
    return _weight(lines) / chars if chars else 0.0


def _tall_share(lines: list[PageLine], width: int, height: int) -> float:
    tall = sum(1 for ln in lines if len(ln.text) > 1
               and (ln.box[3] - ln.box[1]) * height > _TALL * (ln.box[2] - ln.box[0]) * width)
    return tall / len(lines)


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
