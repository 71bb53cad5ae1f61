"""OCR of scanned PDF pages, garbage text layers and image files, through the real engine and library."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexing.errors import ProblemKind
from indexing.library import Library
from indexing.limits import Limits
from indexing.page_lines import PageLine, dumps, lines_in_span, loads, page_text
from indexing.parsers import ocr, open_document
from indexing.parsers.ocr import reading_order
from indexing.parsers.pdf import text_layer_is_garbage
from tests.conftest import SAMPLES_DIR
from tests.ocr_helpers import (
    char_accuracy,
    char_accuracy_any_order,
    comparable,
    image_only_pdf,
    page_text_layer,
)

HANDBOOK = SAMPLES_DIR / "员工手册_Employee_Handbook.pdf"


# -- the garbage detector ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "䴀甀氀琀椀挀漀氀漀爀䈀氀愀挀欀\n倀甀爀攀䈀氀愀挀欀",  # "MulticolorBlack" byte-swapped (scans/cmyk.pdf)
    '"7+%-',  # a TrueType font without a Unicode map (scans/truetype_font_nomapping.pdf)
    "\ue001\ue002\ue003\ue004 \ue005",  # private-use code points
])
def test_garbage_layers_are_detected(text: str) -> None:
    assert text_layer_is_garbage(text)


@pytest.mark.parametrize("text", [
    "第一章 总则\n一、本手册适用于全体员工。",
    "The quick brown fox jumps over the lazy dog.",
    "- 3 -",
    "一一一",
    "2024-03-01 | 1,234.00 | 5.6%",
])
def test_good_layers_are_kept(text: str) -> None:
    assert not text_layer_is_garbage(text)


# -- boxes and reading order ---------------------------------------------------------------------------------

def _line(text: str, x0: float, y0: float, x1: float, y1: float) -> PageLine:
    return PageLine(text, (x0, y0, x1, y1), 0.99)


def test_two_columns_are_read_column_by_column() -> None:
    left = [_line(f"left {i}", 0.05, 0.1 + i * 0.03, 0.45, 0.125 + i * 0.03) for i in range(5)]
    right = [_line(f"right {i}", 0.55, 0.1 + i * 0.03, 0.95, 0.125 + i * 0.03) for i in range(5)]
    title = _line("title", 0.2, 0.02, 0.8, 0.06)
    shuffled = [right[2], left[4], title, right[0], left[0], right[4], left[1], right[1], left[3], right[3], left[2]]
    assert [ln.text for ln in reading_order(shuffled)] == ["title"] + [f"left {i}" for i in range(5)] + [
        f"right {i}" for i in range(5)]


def test_table_rows_are_read_across() -> None:
    cells = []
    for row in range(4):
        y = 0.1 + row * 0.05
        cells += [_line(f"r{row}a", 0.05, y, 0.15, y + 0.03), _line(f"r{row}b", 0.4, y, 0.6, y + 0.03),
                  _line(f"r{row}c", 0.8, y, 0.9, y + 0.03)]
    assert [ln.text for ln in reading_order(list(reversed(cells)))] == [c.text for c in cells]


def test_lines_round_trip_and_map_a_span_to_its_lines() -> None:
    lines = [_line("第一行", 0.1, 0.1, 0.5, 0.12), _line("second line", 0.1, 0.13, 0.6, 0.15),
             _line("third", 0.1, 0.16, 0.3, 0.18)]
    assert loads(dumps(lines)) == lines
    text = page_text(lines)
    start = text.index("line")
    assert [ln.text for ln in lines_in_span(lines, start, text.index("third") + 2)] == ["second line", "third"]


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_points_turn_and_come_back(turns: int) -> None:
    """Boxes are put in reading order where the text stands upright and mapped back to the image as shown."""
    width, height = 640, 480
    for x, y in ((0.0, 0.0), (10.0, 400.0), (639.0, 1.0)):
        turned = ocr._turn(x, y, turns, width, height)
        assert ocr._unturn(*turned, turns, width, height) == pytest.approx((x, y))
    # np.rot90 turns counter-clockwise: the top-left corner goes to the bottom left after a quarter turn
    assert ocr._turn(0.0, 0.0, 1, width, height) == (0.0, width)


def _quad(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def test_a_page_on_its_side_is_told_by_its_lines_not_by_lone_tall_characters() -> None:
    upright = [_quad(50, 40 + 30 * i, 550, 62 + 30 * i) for i in range(10)]
    digits = [_quad(600, 40 + 30 * i, 610, 62 + 30 * i) for i in range(10)]  # a column of lone "1"s
    assert ocr._tall_share(upright + digits) == 0.0
    sideways = [_quad(40 + 30 * i, 50, 62 + 30 * i, 550) for i in range(10)]
    assert ocr._tall_share([*sideways, _quad(600, 600, 640, 620)]) == 1.0


# -- the real engine -------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_image_file_is_read_with_its_boxes(shared_dir: Path) -> None:
    image = shared_dir / "images/tesseract-test/phototest.tif"
    doc = open_document(image)
    blocks = list(doc.blocks)
    assert doc.info.kind == "image"
    assert [b.location.page for b in blocks] == [1]
    truth = (shared_dir / "images/tesseract-test/phototest.gt.txt").read_text(encoding="utf-8")
    assert char_accuracy(blocks[0].text, truth) >= 0.98
    lines = doc.info.page_lines[1]
    assert [ln.text for ln in lines][:3] == ["This is a lot of 12 point text to test the",
                                            "ocr code and see if it works on all types", "of file format."]
    # "of file format." is the short third line: left third of the page, below the first two
    x0, y0, x1, y1 = lines[2].box
    assert x0 < 0.1 and x1 < 0.45 and lines[1].box[3] <= y1 and y0 < lines[3].box[1]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["phototest-rotated-180.png", "phototest-rotated-R.png", "phototest-rotated-L.png"])
def test_turned_page_reads_in_order(shared_dir: Path, name: str) -> None:
    ocr.stats.clear()
    doc = open_document(shared_dir / "images/tesseract-test" / name)
    text = next(iter(doc.blocks)).text
    assert text.startswith("This is a lot of 12 point text")
    assert text.index("of file format") < text.index("lazy fox")
    # The text is detected once whatever the turn; only the longest lines are read both ways
    lines = len(doc.info.page_lines[1])
    assert ocr.stats["detections"] == 1
    assert ocr.stats["lines recognised"] <= lines + 2 * ocr._SAMPLE


@pytest.mark.slow
def test_garbage_text_layer_is_replaced_by_ocr(shared_dir: Path) -> None:
    doc = open_document(shared_dir / "scans/ocrmypdf-tests/cmyk.pdf")
    text = "\n".join(b.text for b in doc.blocks)
    assert "Pure Magenta" in text and "Pure Cyan" in text
    assert 1 in doc.info.page_lines


def test_ocr_off_keeps_the_scan_message(shared_dir: Path) -> None:
    off = Limits(ocr=False)
    with pytest.raises(Exception) as caught:
        list(open_document(shared_dir / "scans/ocrmypdf-tests/linn.pdf", off).blocks)
    assert getattr(caught.value, "kind", None) is ProblemKind.NO_TEXT
    with pytest.raises(Exception) as caught:
        list(open_document(shared_dir / "images/tesseract-test/phototest.tif", off).blocks)
    assert getattr(caught.value, "kind", None) is ProblemKind.NO_TEXT


@pytest.mark.slow
def test_answer_only_on_a_scanned_page_is_found_and_cited(tmp_path: Path) -> None:
    """A scan made from pages 7 and 5 of the handbook: the sick-leave rule is only on the scan's page 2."""
    if not HANDBOOK.is_file():
        pytest.skip("samples/ has not been generated")
    scan = image_only_pdf(HANDBOOK, [7, 5], tmp_path / "扫描件.pdf")
    assert page_text_layer(scan, 2) == ""
    with Library.open(tmp_path / "lib") as lib:
        events = [e for e in lib.add([scan], workers=1) if e.kind == "file_done"]
        assert [e.status for e in events] == ["indexed"], events
        hits = lib.search("病假1天凭什么申请", k=3)
        assert hits and hits[0].file == str(scan) and hits[0].location.to_json() == {"page": 2}
        assert "门诊病历" in hits[0].text
        lines = lib.page_lines(scan, 2)
        truth = page_text_layer(HANDBOOK, 5)
        # the page's header and footer and its table come in another order than the text layer's
        assert char_accuracy_any_order(page_text(lines), truth) >= 0.97
        # one recognised line, character for character (a space beside a digit comes and goes with the box)
        texts = [comparable(ln.text) for ln in lines]
        assert "员工因病需要休息的,应在当天10:00前通知直属上级,并在返岗后3个工作日内在OA系统补办" in texts
