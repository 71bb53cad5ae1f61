"""An image file as the source of a passage: the picture fitted to the width, the passage's recognised lines
highlighted (their boxes were kept when the image was OCRed: indexing.page_lines), scrolled into view."""

from __future__ import annotations

import io
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QImageReader, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QScrollArea, QWidget

from indexing.page_lines import PageLine, lines_in_span, page_text
from ui.passage_match import find_passage
from ui.pdf_view import HIGHLIGHT

MAX_SHOWN_SIDE = 4000  # pixels: a 35000-pixel scan is shown scaled down, never decoded at full size


def passage_lines(lines: list[PageLine], passage: str) -> list[PageLine]:
    """The recognised lines that hold `passage` (empty when it is not on this page)."""
    span = find_passage(page_text(lines), passage) if passage.strip() else None
    return lines_in_span(lines, *span) if span else []


def load_image(path: str, page: int = 1) -> QImage:
    """Frame `page` (1-based) of an image file, upright (EXIF orientation applied), at most MAX_SHOWN_SIDE
    pixels on its long side. Formats Qt has no plugin for (HEIC) are read through Pillow."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    if page > 1:
        reader.jumpToImage(page - 1)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > MAX_SHOWN_SIDE:
        reader.setScaledSize(size.scaled(MAX_SHOWN_SIDE, MAX_SHOWN_SIDE, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        image = _load_with_pillow(path, page)
    return image


def _load_with_pillow(path: str, page: int) -> QImage:
    try:
        from PIL import Image, ImageOps

        try:
            from pillow_heif import register_heif_opener

            register_heif_opener()
        except ImportError:
            pass
        with Image.open(path) as im:
            if page > 1:
                im.seek(page - 1)
            im.thumbnail((MAX_SHOWN_SIDE, MAX_SHOWN_SIDE))
            buffer = io.BytesIO()
            ImageOps.exif_transpose(im).convert("RGB").save(buffer, "PNG")
    except Exception:  # any failure means the same here: the picture cannot be shown
        return QImage()
    return QImage.fromData(buffer.getvalue())


class _Canvas(QWidget):
    """Paints the image scaled to its own width and the highlighted boxes over it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = QImage()
        self.boxes: list[tuple[float, float, float, float]] = []

    def sizeHint(self) -> QSize:
        return self.image.size() if not self.image.isNull() else QSize(0, 0)

    def heightForWidth(self, width: int) -> int:
        if self.image.isNull() or self.image.width() == 0:
            return 0
        return round(width * self.image.height() / self.image.width())

    def box_rects(self) -> list[QRectF]:
        w, h = self.width(), self.height()
        return [QRectF(x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h) for x0, y0, x1, y1 in self.boxes]

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.image.isNull():
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(self.rect(), self.image)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(HIGHLIGHT)
        box = QRectF()
        for rect in self.box_rects():
            painter.drawRect(rect)
            box = box.united(rect)
        if not box.isEmpty():  # a bar in the margin, as in the PDF view
            painter.setBrush(self.palette().color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(QRectF(max(2.0, box.left() - 8.0), box.top(), 3.0, box.height()), 1.5, 1.5)
        painter.end()


class PassageImageView(QScrollArea):
    """The image of a cited passage with its recognised lines highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageView")
        self.canvas = _Canvas()
        self.setWidget(self.canvas)
        self.setWidgetResizable(False)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self._path = ""
        self._page = 0
        self.highlighted: list[PageLine] = []

    def show_passage(self, path: str, page: int, passage: str, lines: list[PageLine],
                     image: QImage | None = None) -> bool:
        """Show frame `page` of the image at `path` with the lines of `passage` highlighted. False when the
        image cannot be read; the highlight is empty when the passage is not among `lines`. `image`: the frame
        already decoded (load_image on a worker), else it is decoded here when it is not the one shown."""
        if image is not None:
            self.canvas.image = image
            self._path, self._page = (path, page) if not image.isNull() else ("", 0)
        elif (path, page) != (self._path, self._page) or self.canvas.image.isNull():
            self.canvas.image = load_image(path, page)
            self._path, self._page = (path, page) if not self.canvas.image.isNull() else ("", 0)
        self.highlighted = passage_lines(lines, passage)
        self.canvas.boxes = [line.box for line in self.highlighted]
        self._fit()
        self.reveal()
        self.canvas.update()
        return not self.canvas.image.isNull()

    def highlight_rects(self) -> list[QRectF]:
        """The highlighted lines in canvas pixels."""
        return self.canvas.box_rects()

    def reveal(self) -> None:
        rects = self.highlight_rects()
        if not rects:
            self.verticalScrollBar().setValue(0)
            return
        top = min(r.top() for r in rects)
        self.verticalScrollBar().setValue(max(0, int(top - self.viewport().height() * 0.3)))

    def _fit(self) -> None:
        width = max(50, self.viewport().width())
        if not self.canvas.image.isNull():
            width = min(width, max(self.canvas.image.width(), 50) * 2)  # small images: at most doubled
        self.canvas.resize(width, self.canvas.heightForWidth(width))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    @property
    def path(self) -> Path | None:
        return Path(self._path) if self._path else None
