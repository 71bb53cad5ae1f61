"""A QPdfView that shows the cited passage: the page, the passage's lines highlighted, scrolled into view.

QPdfView draws search results only for a QPdfSearchModel, which matches one exact phrase; a cited passage
spans lines and its text differs from the indexed chunk in whitespace and folding. So the passage is found
in the page's text layer (ui.passage_match), its line rectangles come from QPdfDocument.getSelectionAtIndex,
and this view paints them over the page itself, mapping points to pixels the way QPdfView lays out pages
(qpdfview.cpp). Zoom stays in Custom mode and fit-to-width is computed here: in its FitToWidth mode QPdfView
scales pages without updating zoomFactor, so the mapping could not be known from outside.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QPointF, QRect, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QPainter,
    QPaintEvent,
    QPalette,
    QPolygonF,
    QResizeEvent,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QWidget

from indexing.page_lines import PageLine, lines_in_span, page_text
from ui.passage_match import find_passage

HIGHLIGHT = QColor(255, 204, 0, 95)  # a marker pen: readable through, visible on white and on scans
ZOOM_MIN, ZOOM_MAX = 0.25, 6.0


def load_pdf_document(path: str) -> QPdfDocument:
    """On a worker thread: open `path` (PDFium reads and parses it here, not on the GUI thread) and hand the
    document to the GUI thread, where the view will use it. Qt serialises PDFium calls with a global lock."""
    doc = QPdfDocument()
    doc.load(path)
    doc.pageCount()
    app = QCoreApplication.instance()
    if app is not None:
        doc.moveToThread(app.thread())  # a QObject may only be moved from its own thread: here
    return doc


def page_point_sizes(doc: QPdfDocument) -> list[QSizeF]:
    """Every page's size in points. Any thread may call this for a document no view shows yet: each size is a
    PDFium call under Qt's global PDFium lock, which the view's page-rendering thread holds while it
    renders, so a 100-page PDF's sizes asked on the GUI thread could wait there (see set_page_points)."""
    return [doc.pagePointSize(p) for p in range(doc.pageCount())]


def locate_passage(doc: QPdfDocument, page: int, passage: str, ocr_lines: list[PageLine] | None = None
                   ) -> list[QPolygonF] | None:
    """Where `passage` is on `page` (0-based), in page points: [] when it is not found there, None when the
    page cannot be shown. Any thread may call this for a document no view shows yet: reading the page's
    text and matching it in Python took ~60 ms for a cold 100-page PDF, which the GUI thread must not."""
    if doc.status() != QPdfDocument.Status.Ready or not 0 <= page < doc.pageCount():
        return None
    if not passage.strip():
        return []
    if ocr_lines:
        return PassagePdfView.ocr_polygons(doc, page, passage, ocr_lines)
    return PassagePdfView.passage_polygons(doc, page, passage)


class PassagePdfView(QPdfView):
    """Multi-page PDF view that highlights one passage on one page and scrolls to it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPageMode(QPdfView.PageMode.MultiPage)
        self.setZoomMode(QPdfView.ZoomMode.Custom)
        screen = QGuiApplication.primaryScreen()
        # the same resolution QPdfView captured when it was constructed
        self._resolution = (screen.logicalDotsPerInch() if screen else 96.0) / 72.0
        self.fit_width = True
        self._page = -1  # the page of the highlight (0-based)
        self._polygons: list[QPolygonF] = []
        self._reveal_pending = False
        self._sizes: tuple[float, list[QSize], list[int], int] | None = None  # (zoom, page sizes in pixels,
        # each page's top without margins, the widest page): cached per zoom
        self._points: tuple[QPdfDocument | None, list[QSizeF]] = (None, [])  # the document's page sizes
        self.verticalScrollBar().sliderPressed.connect(self._stop_revealing)

    # -- showing a passage ---------------------------------------------------------------------------
    def show_passage(self, page: int, passage: str, ocr_lines: list[PageLine] | None = None,
                     polygons: list[QPolygonF] | None = None) -> bool:
        """Go to `page` (0-based) and highlight `passage` on it. False when the text was not found there
        (the page is still shown). `ocr_lines`: the recognised lines of a page that was OCRed (it has no
        usable text layer), whose boxes are highlighted instead. `polygons`: the passage already located
        (locate_passage, on a worker): nothing is searched here."""
        doc = self.document()
        self._sizes = None
        self._polygons = []
        self._page = page
        if doc is None or doc.status() != QPdfDocument.Status.Ready or not 0 <= page < doc.pageCount():
            return False
        found = polygons if polygons is not None else locate_passage(doc, page, passage, ocr_lines) or []
        self._polygons = found
        self._apply_fit()
        self.pageNavigator().jump(page, QPointF(), self.zoomFactor())
        self._reveal_pending = True
        self.reveal()
        self.viewport().update()
        return bool(found)

    @staticmethod
    def passage_polygons(doc: QPdfDocument, page: int, passage: str) -> list[QPolygonF]:
        text = doc.getAllText(page).text()
        span = find_passage(text, passage)
        if span is None:
            return []
        selection = doc.getSelectionAtIndex(page, span[0], span[1] - span[0])
        return [QPolygonF(p) for p in selection.bounds()] if selection.isValid() else []

    @staticmethod
    def ocr_polygons(doc: QPdfDocument, page: int, passage: str, lines: list[PageLine]) -> list[QPolygonF]:
        """The boxes of the recognised lines holding `passage`, in page points (boxes are page fractions)."""
        span = find_passage(page_text(lines), passage)
        if span is None:
            return []
        size = doc.pagePointSize(page)
        w, h = size.width(), size.height()
        return [QPolygonF(QRectF(x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h))
                for x0, y0, x1, y1 in (line.box for line in lines_in_span(lines, *span))]

    def clear_passage(self) -> None:
        self._polygons = []
        self._page = -1
        self.viewport().update()

    @property
    def highlight_page(self) -> int:
        return self._page

    def highlight_rects(self) -> list[QRectF]:
        """The highlighted lines in page points (PDF page coordinates, origin top left)."""
        return [p.boundingRect() for p in self._polygons]

    def highlight_viewport_rects(self) -> list[QRectF]:
        """Where the highlighted lines are drawn, in viewport pixels."""
        if not self._polygons or self._page < 0:
            return []
        page = self.page_geometry(self._page)
        scale = self._resolution * self.zoomFactor()
        dx = page.x() - self.horizontalScrollBar().value()
        dy = page.y() - self.verticalScrollBar().value()
        return [QRectF(r.x() * scale + dx, r.y() * scale + dy, r.width() * scale, r.height() * scale)
                for r in self.highlight_rects()]

    def highlight_viewport_rect(self) -> QRectF:
        """The whole highlight in viewport pixels (empty when there is none)."""
        box = QRectF()
        for rect in self.highlight_viewport_rects():
            box = box.united(rect)
        return box

    def reveal(self) -> None:
        """Scroll so the passage sits in the upper part of the view (QPdfView takes the page at 40% of the
        height as the current one, so the passage's middle goes there)."""
        if self._page < 0:
            return
        page = self.page_geometry(self._page)
        if self._polygons:
            scale = self._resolution * self.zoomFactor()
            box = QRectF()
            for rect in self.highlight_rects():
                box = box.united(rect)
            centre = page.y() + box.center().y() * scale
            if box.height() * scale > self.viewport().height() * 0.6:  # long passage: show its start
                centre = page.y() + box.top() * scale + self.viewport().height() * 0.35
            target = int(centre - self.viewport().height() * 0.4)
        else:
            target = page.y()
        self.verticalScrollBar().setValue(max(0, target))

    # -- zoom ----------------------------------------------------------------------------------------
    def zoom_by(self, factor: float) -> None:
        self.fit_width = False
        self.setZoomFactor(min(ZOOM_MAX, max(ZOOM_MIN, self.zoomFactor() * factor)))
        self._reveal_pending = True
        self.reveal()

    def set_fit_width(self) -> None:
        self.fit_width = True
        self._apply_fit()
        self.reveal()

    def _apply_fit(self) -> None:
        doc = self.document()
        if not self.fit_width or doc is None or doc.pageCount() == 0:
            return
        page = max(0, self._page)
        sizes = self._page_points()
        points = (sizes[page].width() if page < len(sizes) else 0.0) or 612.0
        margins = self.documentMargins()
        room = self.viewport().width() - margins.left() - margins.right()
        if room > 50:  # (the layout below is cached per zoom: a resize that keeps it reuses it)
            self.setZoomFactor(min(ZOOM_MAX, max(ZOOM_MIN, room / (points * self._resolution))))

    # -- the layout QPdfView uses (qpdfview.cpp, calculateDocumentLayout) ------------------------------
    def set_page_points(self, doc: QPdfDocument, points: list[QSizeF]) -> None:
        """The page sizes of `doc` (page_point_sizes, read on the worker that opened it): the layout below
        then asks PDFium nothing on the GUI thread (it asked for every page's size on each zoom change)."""
        self._points = (doc, points)
        self._sizes = None

    def _page_points(self) -> list[QSizeF]:
        doc = self.document()
        if self._points[0] is not doc:
            self._points = (doc, page_point_sizes(doc) if doc is not None else [])
        return self._points[1]

    def _layout(self) -> tuple[float, list[QSize], list[int], int]:
        zoom = self.zoomFactor()
        if self._sizes is None or self._sizes[0] != zoom or self._points[0] is not self.document():
            scale = self._resolution * zoom
            sizes = [(p * scale).toSize() for p in self._page_points()]
            tops, y = [], 0
            for size in sizes:
                tops.append(y)
                y += size.height() + self.pageSpacing()
            self._sizes = (zoom, sizes, tops, max((s.width() for s in sizes), default=0))
        return self._sizes

    def _page_sizes(self) -> list[QSize]:
        return self._layout()[1]

    def page_geometry(self, page: int) -> QRect:
        """Where `page` lies in the scrollable document, in pixels (as QPdfView lays it out)."""
        _zoom, sizes, tops, widest = self._layout()
        if not 0 <= page < len(sizes):
            return QRect()
        margins = self.documentMargins()
        single = self.pageMode() == QPdfView.PageMode.SinglePage
        size = sizes[page]
        total_width = (size.width() if single else widest) + margins.left() + margins.right()
        y = margins.top() + (0 if single else tops[page])
        x = (max(total_width, self.viewport().width()) - size.width()) // 2
        return QRect(x, y, size.width(), size.height())

    # -- drawing -------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._polygons or self._page < 0:
            return
        page = self.page_geometry(self._page)
        scale = self._resolution * self.zoomFactor()
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(page.x() - self.horizontalScrollBar().value(),
                          page.y() - self.verticalScrollBar().value())
        painter.scale(scale, scale)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(HIGHLIGHT)
        box = QRectF()
        for polygon in self._polygons:
            painter.drawPolygon(polygon)
            box = box.united(polygon.boundingRect())
        # a bar in the margin, so the eye finds the passage at any zoom
        accent = self.palette().color(QPalette.ColorRole.Highlight)
        painter.setBrush(accent)
        bar_x = max(2.0, box.left() - 10.0)
        painter.drawRoundedRect(QRectF(bar_x, box.top(), 3.0, box.height()), 1.5, 1.5)
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fit_width:
            self._apply_fit()
        if self._reveal_pending:
            self.reveal()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.fit_width:
            self._apply_fit()
        if self._reveal_pending:
            self.reveal()

    def wheelEvent(self, event: QWheelEvent) -> None:
        self._reveal_pending = False  # the person scrolls: a later resize must not pull the view back
        super().wheelEvent(event)

    def _stop_revealing(self) -> None:
        self._reveal_pending = False
