"""Where a citation points: the PDF page with the passage highlighted, or the passage in its context.

    view = SourceView(services, runner=runner)   # services: anything with a `.library`; runner: ui.tasks
    chat.sourceRequested.connect(view.show_source)

With a runner, the slow part of opening a source (PDFium parsing the PDF, reading the passages around the
cited one from the library) runs on a worker and a placeholder shows meanwhile; the GUI thread only puts
the result on screen. Without one (small tests) it is done in place.

PDF: the page rendered by Qt's PDF module, the passage's lines highlighted and scrolled into view.
Word, text, Markdown: the neighbouring passages in reading order with the cited one highlighted.
Excel sheets and Word tables: the rows around the cited ones as a table, the cited rows selected.
"Open in default app" hands the file to the system.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QSizeF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QHideEvent, QImage, QShowEvent
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from indexing.locations import Location
from indexing.records import Passage
from qwenrag.evidence import Quote
from ui.chat_theme import theme
from ui.image_view import PassageImageView, load_image
from ui.passage_match import parse_table_chunk
from ui.pdf_view import PassagePdfView, load_pdf_document, locate_passage, page_point_sizes
from ui.source_label import describe_location
from ui.source_list import kind_badge

CONTEXT_TEXT = 3  # passages before and after the cited one in the text view
CONTEXT_ROWS = 4  # table chunks before and after the cited one


@dataclass(frozen=True, slots=True)
class ContextChunk:
    text: str
    location: Location
    is_target: bool


def read_context(library: Any, source: Passage, before: int, after: int) -> list[ContextChunk]:
    """The cited chunk and its neighbours in reading order.

    Chunk ids change when a file is re-indexed, so a saved citation is checked against its text; when it no
    longer matches, the chunk is looked up in the file's current chunks by text, then by location.
    """
    if library is None:
        return [ContextChunk(source.text, source.location, True)]
    if source.chunk_id is not None:
        rows = library.chunk_context(source.chunk_id, before, after)
        target = next((r for r in rows if r[3]), None)
        if target is not None and _same(target[1], source.text):
            return [ContextChunk(text, loc, is_t) for _cid, text, loc, is_t in rows]
    doc = library.document(source.file) if source.file else None
    if doc is not None:
        chunks = library.store.chunks_of(doc.doc_id)
        index = next((i for i, c in enumerate(chunks) if _same(c[2], source.text)), None)
        if index is None:
            index = next((i for i, c in enumerate(chunks) if c[3] == source.location), None)
        if index is not None:
            part = chunks[max(0, index - before): index + after + 1]
            return [ContextChunk(c[2], c[3], c[0] == chunks[index][0]) for c in part]
    return [ContextChunk(source.text, source.location, True)]


def _slide_label(chunk: ContextChunk) -> str | None:
    """'slide 3, Budget' above a slide's passage; just 'slide 3' when the passage starts with its title."""
    loc = chunk.location
    if loc.slide is None:
        return None
    return describe_location(loc if loc.title and not chunk.text.startswith(loc.title) else replace(loc, title=None))


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _same_table(a: Location, b: Location) -> bool:
    return (a.sheet, a.table, a.heading if a.table is not None else None) == (
        b.sheet, b.table, b.heading if b.table is not None else None)


class SourceView(QWidget):
    """Signals: closeRequested() (the ✕ button; the view also hides itself); hidden() (hidden in any way)."""

    closeRequested = Signal()
    hidden = Signal()

    PDF, TEXT, TABLE, MESSAGE, IMAGE = range(5)

    def __init__(self, services: Any = None, parent: QWidget | None = None, runner: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceView")
        self.services = services
        self.runner = runner  # ui.tasks.TaskRunner: load off the GUI thread
        self._request = 0  # which show_source a finished load belongs to (a later one supersedes it)
        self.source: Passage | None = None
        self.quote = ""  # a quote was clicked: only these sentences of the passage are highlighted
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl  # tests replace it
        self._pdf_path = ""
        self._note_key = ""
        self._message_key = ""
        self._target_rows: list[int] = []
        self._scroll_pending = False

        self.badge = QLabel()
        self.badge.setObjectName("kindBadge")
        self.name = QLabel()
        self.name.setObjectName("sourceTitle")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where = QLabel()
        self.where.setObjectName("sourceWhere")
        self.open_button = QPushButton()
        self.open_button.setObjectName("openButton")
        self.open_button.clicked.connect(self.open_in_default_app)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self._close)
        title_row = QHBoxLayout()
        title_row.setSpacing(8)
        title_row.addWidget(self.badge)
        title_row.addWidget(self.name, 1)
        title_row.addWidget(self.open_button)
        title_row.addWidget(self.close_button)
        self.note = QLabel()
        self.note.setObjectName("sourceNote")
        self.note.setWordWrap(True)
        self.note.hide()
        header = QVBoxLayout()
        header.setContentsMargins(12, 8, 8, 6)
        header.setSpacing(2)
        header.addLayout(title_row)
        header.addWidget(self.where)
        header.addWidget(self.note)

        self.stack = QStackedWidget()
        self.pdf_view = PassagePdfView()
        # Parented to `self` only at the end of __init__, see there.
        self.pdf_document = QPdfDocument()
        self.pdf_view.setDocument(self.pdf_document)
        # a bound method, not a lambda: PySide drops the connection with its receiver
        self.pdf_view.pageNavigator().currentPageChanged.connect(self._on_current_page_changed)
        self.stack.addWidget(self._pdf_page())
        self.text_view = QTextBrowser()
        self.text_view.setObjectName("contextText")
        self.text_view.setOpenLinks(False)
        self.text_view.document().setDocumentMargin(14)
        self.stack.addWidget(self.text_view)
        self.table = QTableWidget()
        self.table.setObjectName("contextTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table_caption = QLabel()
        self.table_caption.setObjectName("tableCaption")
        self.table_caption.setWordWrap(True)
        self.table_caption.setContentsMargins(10, 6, 10, 6)
        table_page = QWidget()
        table_box = QVBoxLayout(table_page)
        table_box.setContentsMargins(0, 0, 0, 0)
        table_box.setSpacing(0)
        table_box.addWidget(self.table_caption)
        table_box.addWidget(self.table, 1)
        self.stack.addWidget(table_page)
        self.message = QLabel()
        self.message.setObjectName("sourceMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setContentsMargins(16, 16, 16, 16)
        self.stack.addWidget(self.message)
        self.image_view = PassageImageView()
        self.stack.addWidget(self.image_view)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)
        layout.addWidget(self.stack, 1)
        # The document must outlive the view that shows it. A QObject deletes its children in the order they
        # became its children, so the document joins `self` after the stack holding the view. Made a child
        # first, it was deleted before the view, whose page navigator then emitted currentPageChanged(0)
        # into Python against the deleted QPdfDocument ("already deleted" spilling into later tests). As a
        # child of the view itself it is deleted inside the view's destructor, which crashes QPdfView.
        self.pdf_document.setParent(self)
        self._apply_style()
        self.retranslateUi()
        self._show_empty()

    def _pdf_page(self) -> QWidget:
        page = QWidget()
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 4)
        self.prev_button = self._bar_button("‹", lambda: self._step_page(-1))
        self.next_button = self._bar_button("›", lambda: self._step_page(1))
        self.page_label = QLabel()
        self.zoom_out_button = self._bar_button("−", lambda: self.pdf_view.zoom_by(1 / 1.25))
        self.zoom_in_button = self._bar_button("+", lambda: self.pdf_view.zoom_by(1.25))
        self.fit_button = self._bar_button("", self.pdf_view.set_fit_width)
        self.passage_button = self._bar_button("", self.pdf_view.reveal)
        for w in (self.prev_button, self.page_label, self.next_button):
            bar.addWidget(w)
        bar.addStretch(1)
        for w in (self.passage_button, self.zoom_out_button, self.zoom_in_button, self.fit_button):
            bar.addWidget(w)
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(bar)
        box.addWidget(self.pdf_view, 1)
        return page

    def _bar_button(self, text: str, slot: Callable[[], object]) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setAutoRaise(True)
        button.clicked.connect(lambda _=False: slot())
        return button

    # -- showing ------------------------------------------------------------------------------------
    def show_source(self, src: Passage | Quote) -> None:
        """Show where the passage `src` comes from; for a Quote, its sentences are what is highlighted."""
        if isinstance(src, Quote):
            self.quote, src = src.text, src.passage
        else:
            self.quote = ""
        self.source = src
        self._note_key = ""
        self.badge.setText(kind_badge(src))
        self.badge.setVisible(bool(src.file))
        self.name.setText(src.name or self.tr("Unknown document"))
        self.name.setToolTip(src.file)
        self.open_button.setEnabled(bool(src.file) and Path(src.file).is_file())
        self._update_where()
        self._request += 1
        if not src.file or not Path(src.file).is_file():
            self._show_message("missing")
        elif self._is_pdf(src) and src.location.page is not None:
            self._show_pdf(src)
        elif src.kind == "image":
            self._show_image(src)
        else:
            self._show_context(src)
        self._update_note()
        self.show()

    @staticmethod
    def _is_pdf(src: Passage) -> bool:
        return src.kind == "pdf" or src.file.lower().endswith(".pdf")

    @property
    def loading(self) -> bool:
        """A placeholder is shown while the source loads on a worker."""
        return self.stack.currentIndex() == self.MESSAGE and self._message_key == "loading"

    def _in_background(self, work: Callable[[], Any], show: Callable[[Any], None],
                       failed: Callable[[BaseException], None]) -> None:
        """Run `work` on the runner and `show` its result, unless another source was asked for meanwhile."""
        request = self._request
        self._show_message("loading")
        if self.runner.closed:  # the window is closing
            return
        self.runner.run(work, on_done=lambda result: show(result) if request == self._request else None,
                        on_error=lambda exc: failed(exc) if request == self._request else None,
                        name="open source")

    def _show_pdf(self, src: Passage) -> None:
        if self._pdf_path != src.file or self.pdf_document.status() != QPdfDocument.Status.Ready:
            if self.runner is not None:
                passage = self.quote or src.text
                self._in_background(lambda: self._load_and_locate(src, passage),
                                    lambda loaded: self._pdf_loaded(src, *loaded),
                                    lambda _exc: self._pdf_failed())
                return
            self.pdf_document.close()
            self.pdf_document.load(src.file)
            self._pdf_path = src.file
        self._show_pdf_page(src)

    def _load_and_locate(self, src: Passage, passage: str
                         ) -> tuple[QPdfDocument, list[Any] | None, list[QSizeF]]:
        """On a worker: open the PDF, find the passage on its page (the OCR lines read from the library
        too) and read every page's size: no view uses the document yet, and the GUI thread only shows the
        result."""
        doc = load_pdf_document(src.file)
        polygons = locate_passage(doc, (src.location.page or 1) - 1, passage, self._ocr_lines(src))
        return doc, polygons, page_point_sizes(doc)

    def _pdf_loaded(self, src: Passage, doc: QPdfDocument, polygons: list[Any] | None = None,
                    points: list[QSizeF] | None = None) -> None:
        old, self.pdf_document = self.pdf_document, doc
        doc.setParent(self)  # last among the children: deleted after the view (see __init__)
        if points is not None:
            self.pdf_view.set_page_points(doc, points)
        self.pdf_view.setDocument(doc)
        old.close()
        old.deleteLater()
        self._pdf_path = src.file
        self._show_pdf_page(src, polygons)
        self._update_note()

    def _pdf_failed(self) -> None:
        self._pdf_path = ""
        self._show_message("unreadable")

    def _show_pdf_page(self, src: Passage, polygons: list[Any] | None = None) -> None:
        """Show the passage's page; `polygons`: the passage located on a worker (else found here)."""
        if self.pdf_document.status() != QPdfDocument.Status.Ready:
            self._pdf_path = ""
            self._show_message("unreadable")
            return
        self.stack.setCurrentIndex(self.PDF)
        page = (src.location.page or 1) - 1
        lines = None if polygons is not None else self._ocr_lines(src)
        if not self.pdf_view.show_passage(page, self.quote or src.text, lines, polygons):
            self._note_key = "not_on_page"
        self._update_page_label()

    def _ocr_lines(self, src: Passage) -> list[Any]:
        """The recognised lines of an OCRed page (a scan or an image), [] for a page with a text layer."""
        library = self._library()
        return library.page_lines(src.file, src.location.page or 1) if library is not None else []

    def _show_image(self, src: Passage) -> None:
        page = src.location.page or 1
        if self.runner is not None:  # a photo can take a second to decode: never on the GUI thread
            self._in_background(lambda: (load_image(src.file, page), self._ocr_lines(src)),
                                lambda loaded: self._image_loaded(src, *loaded),
                                lambda _exc: self._show_message("unreadable"))
            return
        self._image_loaded(src, None, self._ocr_lines(src))

    def _image_loaded(self, src: Passage, image: QImage | None, lines: list[Any]) -> None:
        if not self.image_view.show_passage(src.file, src.location.page or 1, self.quote or src.text, lines,
                                            image):
            self._show_message("unreadable")
            return
        self.stack.setCurrentIndex(self.IMAGE)
        if not self.image_view.highlighted:
            self._note_key = "not_on_page"
        self._update_note()

    def _show_context(self, src: Passage) -> None:
        table_like = src.location.sheet is not None or src.location.table is not None or src.kind == "csv"
        n = CONTEXT_ROWS if table_like else CONTEXT_TEXT

        def read() -> tuple[list[ContextChunk], bool]:
            library = self._library()
            return read_context(library, src, n, n), library is not None

        if self.runner is not None:
            self._in_background(read, lambda result: self._context_read(src, table_like, *result),
                                lambda _exc: self._context_read(src, table_like, [], False))
            return
        self._context_read(src, table_like, *read())

    def _context_read(self, src: Passage, table_like: bool, chunks: list[ContextChunk],
                      has_library: bool) -> None:
        if not chunks:  # the library could not be read: the passage alone is still worth showing
            chunks = [ContextChunk(src.text, src.location, True)]
        if len(chunks) == 1 and has_library and src.chunk_id is not None:
            self._note_key = "changed"  # the file was re-indexed and the passage is gone from it
        if src.location.slide is not None:  # a slide's text, not its neighbours': the slide is the page
            chunks = [c for c in chunks if c.location.slide == src.location.slide] or chunks
        if table_like and self._fill_table(src, chunks):
            self.stack.setCurrentIndex(self.TABLE)
        else:
            self._fill_text(chunks)
            self.stack.setCurrentIndex(self.TEXT)
        self._scroll_pending = True
        QTimer.singleShot(0, self, self._scroll_to_target)
        self._update_note()

    def _fill_text(self, chunks: list[ContextChunk]) -> None:
        c = theme(self)
        parts = [f"<style>p {{ margin: 0 0 10px 0; line-height: 140%; }} "
                 f".h {{ color: {c['muted']}; font-weight: 600; margin-top: 6px; }}</style>"]
        heading: str | None = None
        for chunk in chunks:
            h = chunk.location.heading or _slide_label(chunk)
            # a section's path, once, unless the passage itself starts with its heading
            if h and h != heading and not chunk.text.lstrip().startswith(h.split(" > ")[-1]):
                parts.append(f"<p class='h'>{escape(h)}</p>")
            heading = h or heading
            body = escape(chunk.text).replace("\n", "<br/>")
            at = chunk.text.find(self.quote) if chunk.is_target and self.quote else -1
            if at >= 0:  # only the quoted sentences carry the marker
                parts.append("<a name='target'></a><p style='line-height: 140%;'>" + "".join((
                    escape(chunk.text[:at]).replace("\n", "<br/>"),
                    f"<span style='background-color: {_TARGET_BG}; color: {_TARGET_FG};'>",
                    escape(self.quote).replace("\n", "<br/>"), "</span>",
                    escape(chunk.text[at + len(self.quote):]).replace("\n", "<br/>"))) + "</p>")
            elif chunk.is_target:
                parts.append(f"<a name='target'></a><table width='100%' cellpadding='8' "
                             f"style='background-color: {_TARGET_BG}; color: {_TARGET_FG}; margin: 4px 0 12px 0;'>"
                             f"<tr><td><p style='margin: 0; line-height: 140%;'>{body}</p></td></tr></table>")
            else:
                parts.append(f"<p>{body}</p>")
        self.text_view.setHtml("".join(parts))

    def _fill_table(self, src: Passage, chunks: list[ContextChunk]) -> bool:
        header: list[str] = []
        rows: list[tuple[list[tuple[str, str]], bool, str, str]] = []  # (record, is target, label, line)
        captions: list[str] = []  # a sheet's title lines above its header row
        for chunk in chunks:
            if not _same_table(chunk.location, src.location) and not chunk.is_target:
                continue
            parsed = parse_table_chunk(chunk.text, chunk.location.sheet)
            if parsed is None:
                if chunk.is_target:
                    return False
                continue
            head, entries = parsed
            header += [name for name in head if name not in header]
            labels = _row_labels(chunk.location, len(entries))
            for (record, line), label in zip(entries, labels, strict=True):
                if record is None:
                    captions.append(line)
                else:
                    rows.append((record, chunk.is_target, label, line))
        # "币种：人民币" above a sheet's header parses as a record, but no other row shares its column
        seen = Counter(name for record, *_ in rows for name, _v in record if name)
        if len(rows) >= 3:
            lone = [r for r in rows if not r[1] and all(seen[n] == 1 for n, _v in r[0] if n)]
            captions += [r[3] for r in lone]
            rows = [r for r in rows if r not in lone]
        if not rows:
            return False
        for record, *_ in rows:
            header += [name for name, _v in record if name not in header]
        self.table_caption.setText("  ·  ".join(captions))
        self.table_caption.setVisible(bool(captions))
        self.table.clear()
        self.table.setColumnCount(len(header))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels([h or "—" for h in header])
        self.table.setVerticalHeaderLabels([label for _r, _t, label, _l in rows])
        column = {name: i for i, name in enumerate(header)}
        self._target_rows = []
        # a quote selects its own rows of the passage (all of them when its text matches no row whole)
        quoted = bool(self.quote) and any(t and line in self.quote for _r, t, _l, line in rows)
        for r, (record, is_target, _label, _line) in enumerate(rows):
            for name, value in record:
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(r, column[name], item)
            if is_target and (not quoted or _line in self.quote):
                self._target_rows.append(r)
        self.table.resizeColumnsToContents()
        for col in range(self.table.columnCount()):  # long cells wrap instead of making one huge column
            self.table.setColumnWidth(col, min(self.table.columnWidth(col), 320))
        self.table.resizeRowsToContents()
        self._select_target_rows()
        return True

    def _select_target_rows(self) -> None:
        model = self.table.model()
        selection = QItemSelection()
        for r in self._target_rows:
            selection.select(model.index(r, 0), model.index(r, max(0, model.columnCount() - 1)))
        self.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if self._target_rows:
            self.table.setCurrentCell(self._target_rows[0], 0, QItemSelectionModel.SelectionFlag.NoUpdate)

    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.table.selectionModel().selectedRows()})

    def highlighted_text(self) -> str:
        """The passage as highlighted in the text view ("" when another view is shown)."""
        if self.stack.currentIndex() != self.TEXT or self.source is None:
            return ""
        if self.quote:  # the text that carries the marker colour, read back from the document
            marked = []
            block = self.text_view.document().begin()
            while block.isValid():
                it = block.begin()
                while not it.atEnd():
                    frag = it.fragment()
                    if frag.charFormat().background().color().name() == _TARGET_BG:
                        marked.append(frag.text())
                    it += 1
                block = block.next()
            return "\n".join(marked)
        found = self.text_view.document().find(self.source.text.split("\n")[0].strip()[:40])
        return found.block().text() if not found.isNull() else ""

    def _scroll_to_target(self) -> None:
        if not self._scroll_pending:
            return
        if self.stack.currentIndex() == self.TEXT:
            self.text_view.scrollToAnchor("target")
        elif self.stack.currentIndex() == self.TABLE and self._target_rows:
            self.table.scrollToItem(self.table.item(self._target_rows[0], 0) or QTableWidgetItem(),
                                    QAbstractItemView.ScrollHint.PositionAtCenter)
        if self.isVisible():
            self._scroll_pending = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._scroll_pending:
            QTimer.singleShot(0, self, self._scroll_to_target)

    def _show_message(self, key: str) -> None:
        self._message_key = key
        self.stack.setCurrentIndex(self.MESSAGE)
        self._update_message()

    def _show_empty(self) -> None:
        self.badge.hide()
        self.open_button.setEnabled(False)
        self._show_message("empty")

    # -- actions ------------------------------------------------------------------------------------
    def open_in_default_app(self) -> bool:
        if self.source is None or not self.source.file:
            return False
        return bool(self.open_url(QUrl.fromLocalFile(self.source.file)))

    def _step_page(self, delta: int) -> None:
        nav = self.pdf_view.pageNavigator()
        page = min(max(0, nav.currentPage() + delta), max(0, self.pdf_document.pageCount() - 1))
        nav.jump(page, nav.currentLocation(), self.pdf_view.zoomFactor())

    def _close(self) -> None:
        self.closeRequested.emit()
        self.hide()

    def _library(self) -> Any:
        services = self.services
        if services is None:
            return None
        try:
            return services.library if hasattr(services, "library") else services
        except Exception:  # the library cannot be opened: the passage alone is still worth showing
            return None

    # -- words --------------------------------------------------------------------------------------
    def _update_where(self) -> None:
        src = self.source
        if src is None:
            self.where.setText("")
            return
        where = describe_location(src.location)
        folder = str(Path(src.file).parent) if src.file else ""
        self.where.setText(" · ".join(x for x in (where, folder) if x))

    def _on_current_page_changed(self, _page: int) -> None:
        self._update_page_label()

    def _update_page_label(self) -> None:
        count = self.pdf_document.pageCount()
        current = self.pdf_view.pageNavigator().currentPage() + 1
        self.page_label.setText(self.tr("Page %1 of %2").replace("%1", str(current)).replace("%2", str(count)))
        self.prev_button.setEnabled(current > 1)
        self.next_button.setEnabled(current < count)

    def _update_note(self) -> None:
        text = {
            "not_on_page": self.tr("The passage could not be marked on this page; its text is in the tooltip."),
            "changed": self.tr("The document has changed since this answer; the passage is shown as it was."),
        }.get(self._note_key, "")
        self.note.setText(text)
        self.note.setVisible(bool(text))
        self.note.setToolTip(self.source.text if self.source is not None and text else "")

    def _update_message(self) -> None:
        src = self.source
        if self._message_key == "empty":
            text = self.tr("Click a citation such as [1], or a source under an answer, to see the passage "
                           "in its document.")
        elif self._message_key == "missing":
            text = self.tr("The file is no longer at %1. The passage, as it was when indexed:").replace(
                "%1", src.file if src else "")
        elif self._message_key == "loading":
            text = self.tr("Opening %1…").replace("%1", src.name if src else "")
        else:
            text = self.tr("The file could not be opened. The passage, as it was when indexed:")
        if src is not None and self._message_key not in ("empty", "loading"):
            text = f"<p>{escape(text)}</p><blockquote>{escape(src.text).replace(chr(10), '<br/>')}</blockquote>"
        self.message.setText(text)

    def _apply_style(self) -> None:
        c = theme(self)
        self.setStyleSheet(f"""
QLabel#sourceTitle {{ font-weight: 600; font-size: 14px; }}
QLabel#sourceWhere {{ color: {c['muted']}; }}
QLabel#sourceNote {{ color: {c['muted']}; font-style: italic; }}
QLabel#kindBadge {{ color: {c['muted']}; border: 1px solid {c['border']}; border-radius: 3px; padding: 0 4px;
    font-size: 10px; }}
QLabel#tableCaption {{ color: {c['muted']}; }}
QLabel#sourceMessage {{ color: {c['text']}; }}
QTableWidget#contextTable {{ selection-background-color: {_TARGET_BG}; selection-color: {_TARGET_FG}; }}
""")

    def retranslateUi(self) -> None:
        self.open_button.setText(self.tr("Open in default app"))
        self.open_button.setToolTip(self.tr("Open the file in the program your computer uses for it"))
        self.close_button.setToolTip(self.tr("Close"))
        self.prev_button.setToolTip(self.tr("Previous page"))
        self.next_button.setToolTip(self.tr("Next page"))
        self.zoom_in_button.setToolTip(self.tr("Zoom in"))
        self.zoom_out_button.setToolTip(self.tr("Zoom out"))
        self.fit_button.setText(self.tr("Fit width"))
        self.passage_button.setText(self.tr("Back to passage"))
        self._update_where()
        self._update_page_label()
        self._update_note()
        self._update_message()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslateUi()
        super().changeEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        # A signal, not the window's event filter on this view: a Python filter ran for each of its events,
        # every paint included, and each call waits for the GIL while a worker runs Python.
        super().hideEvent(event)
        self.hidden.emit()


_TARGET_BG = "#fff1b8"  # the same marker yellow as the PDF highlight, opaque for text
_TARGET_FG = "#1a1a1a"  # dark text on the marker, also under a dark theme


def _row_labels(loc: Location, count: int) -> list[str]:
    """Row numbers for a chunk's lines. A sheet's header row is not a line of its first chunk, so when the
    span is longer than the lines, the lines are the span's last rows (the records are; titles go above)."""
    span = loc.rows or loc.lines  # CSV passages are located by lines
    if span is None or span[1] - span[0] + 1 < count:
        return [""] * count
    return [str(span[1] - (count - 1) + i) for i in range(count)]
