"""A citation on a scanned page or an image file: the source view shows the page or the picture with the
recognised lines of the passage highlighted where the words really are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtPdf import QPdfDocument
from pytestqt.qtbot import QtBot

from indexing.library import Library
from tests.conftest import SAMPLES_DIR
from tests.ocr_helpers import image_only_pdf
from ui.pdf_view import PassagePdfView
from ui.source_view import SourceView

HANDBOOK = SAMPLES_DIR / "员工手册_Employee_Handbook.pdf"
pytestmark = pytest.mark.slow


class _Services:
    def __init__(self, library: Library) -> None:
        self.library = library


@pytest.fixture(scope="module")
def ocr_library(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> tuple[Library, Path, Path]:
    if not HANDBOOK.is_file():
        pytest.skip("samples/ has not been generated")
    folder = tmp_path_factory.mktemp("scans")
    scan = image_only_pdf(HANDBOOK, [7, 5], folder / "扫描件.pdf")
    image = shared_dir / "images/tesseract-test/phototest.tif"
    lib = Library.open(folder / "lib")
    done = [e.status for e in lib.add([scan, image], workers=1) if e.kind == "file_done"]
    assert done == ["indexed", "indexed"]
    yield lib, scan, image
    lib.close()


def _original_rect(page: int, phrase: str) -> QRectF:
    """Where `phrase` is printed on the handbook page (0-based), from the original's text layer."""
    doc = QPdfDocument()
    doc.load(str(HANDBOOK))
    try:
        polygons = PassagePdfView.passage_polygons(doc, page, phrase)
        box = QRectF()
        for polygon in polygons:
            box = box.united(polygon.boundingRect())
        return box
    finally:
        doc.close()


def test_scanned_page_citation_highlights_the_recognised_lines(qtbot: QtBot, ocr_library) -> None:
    lib, scan, _ = ocr_library
    hit = lib.search("病假1天凭什么申请", k=1)[0]
    assert hit.file == str(scan) and hit.location.page == 2 and "门诊病历" in hit.text
    view = SourceView(_Services(lib))
    qtbot.addWidget(view)
    view.resize(700, 900)
    view.show_source(hit)
    assert view.stack.currentIndex() == SourceView.PDF
    assert view.pdf_view.highlight_page == 1
    rects = view.pdf_view.highlight_rects()
    assert rects, "no recognised line was highlighted"
    # The scan is the handbook's page 5 as an image: the line with 门诊病历 must be among the highlighted ones,
    # at the place the original prints it (a few points of slack for the detector's padding).
    where = _original_rect(4, "病假 1 天的，凭门诊病历或挂号记录即可申请")
    assert not where.isEmpty()
    assert any(abs(r.center().y() - where.center().y()) < 6 and r.left() < where.center().x() < r.right()
               for r in rects)
    page = view.pdf_document.pagePointSize(1)
    assert all(r.top() >= 0 and r.bottom() <= page.height() + 1 for r in rects)


def test_image_citation_shows_the_picture_with_its_boxes(qtbot: QtBot, ocr_library) -> None:
    lib, _, image = ocr_library
    hit = lib.search("quick brown dog jumped lazy fox", k=1)[0]
    assert hit.file == str(image) and hit.location.to_json() == {"page": 1}
    view = SourceView(_Services(lib))
    qtbot.addWidget(view)
    view.resize(700, 900)
    view.show()
    view.show_source(hit)
    assert view.stack.currentIndex() == SourceView.IMAGE
    shown = view.image_view
    assert not shown.canvas.image.isNull()
    assert "of file format." in [ln.text for ln in shown.highlighted]
    rects = shown.highlight_rects()
    assert len(rects) == len(shown.highlighted) >= 3
    # boxes sit on the picture as drawn: inside the canvas, top to bottom in reading order
    canvas = QRectF(0, 0, shown.canvas.width(), shown.canvas.height())
    assert all(canvas.contains(r.center()) for r in rects)
    assert [r.top() for r in rects] == sorted(r.top() for r in rects)


def test_an_image_source_is_decoded_on_a_worker_behind_a_placeholder(qtbot: QtBot, ocr_library) -> None:
    import threading

    import ui.source_view as sv
    from ui.tasks import TaskRunner

    lib, _, image = ocr_library
    hit = lib.search("quick brown dog jumped lazy fox", k=1)[0]
    assert hit.file == str(image)
    runner = TaskRunner()
    view = SourceView(_Services(lib), runner=runner)
    qtbot.addWidget(view)
    view.resize(700, 900)
    view.show()
    decoded_on: list[threading.Thread] = []
    real = sv.load_image

    def spy(path: str, page: int = 1) -> Any:
        decoded_on.append(threading.current_thread())
        return real(path, page)

    sv.load_image = spy
    try:
        view.show_source(hit)
        assert view.loading and view.stack.currentIndex() == SourceView.MESSAGE  # the placeholder, at once
        qtbot.waitUntil(lambda: not view.loading, timeout=30_000)
    finally:
        sv.load_image = real
    assert decoded_on and decoded_on[0] is not threading.current_thread()
    assert view.stack.currentIndex() == SourceView.IMAGE
    assert "of file format." in [ln.text for ln in view.image_view.highlighted]
    view.close()
    assert runner.shutdown(10)
