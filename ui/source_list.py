"""The passages under an answer (one clickable row per source, the cited ones first) and the quotes above it."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from indexing.records import Passage
from qwenrag.evidence import Quote
from ui.source_label import describe_location
from ui.tasks import next_turn

_KIND_BADGES = {"pdf": "PDF", "docx": "DOCX", "xlsx": "XLSX", "csv": "CSV", "markdown": "MD", "text": "TXT"}


def kind_badge(source: Passage) -> str:
    kind = source.kind or source.file.rsplit(".", 1)[-1].lower()
    return _KIND_BADGES.get(kind, kind.upper()[:4] or "DOC")


def excerpt(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class ElidedLabel(QLabel):
    """A one-line label that may be narrower than its text: it paints the text elided (text() stays whole).
    The row decides how narrow each one gets, so the file name is the last thing to be cut."""

    def __init__(self, text: str, mode: Qt.TextElideMode, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def full_width(self) -> int:
        return self.fontMetrics().horizontalAdvance(self.text()) + 2

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(self.full_width(), super().sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), self._mode, rect.width())
        self.style().drawItemText(painter, rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                                  self.palette(), self.isEnabled(), shown, self.foregroundRole())
        painter.end()  # now, not when the frame is freed: anything holding it (a profiler) kept it active


class SourceRow(QFrame):
    """One passage: number, file type, file name and where in it. Click (or Enter) opens it."""

    clicked = Signal(object)  # Passage

    def __init__(self, source: Passage, *, show_excerpt: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.setObjectName("sourceRow")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 4, 8, 4)
        outer.setSpacing(1)
        self._line = QHBoxLayout()
        self._line.setSpacing(6)
        self.number = QLabel(str(source.n))
        self.number.setObjectName("sourceNumber")
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number.setMinimumWidth(20)
        self.badge = QLabel(kind_badge(source))
        self.badge.setObjectName("kindBadge")
        # The name is cut last and in the middle (the extension stays); a long Word heading path is cut
        # first and at its start, keeping the most specific heading and the paragraph.
        self.name = ElidedLabel(source.name, Qt.TextElideMode.ElideMiddle)
        self.name.setObjectName("sourceName")
        self.where = ElidedLabel(describe_location(source.location), Qt.TextElideMode.ElideLeft)
        self.where.setObjectName("sourceWhere")
        for w in (self.number, self.badge):
            w.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)  # the text takes the room
            self._line.addWidget(w)
        self._line.addWidget(self.name)
        self._line.addWidget(self.where)
        outer.addLayout(self._line)
        self.snippet: QLabel | None = None
        if show_excerpt:
            self.snippet = QLabel(excerpt(source.text, 220))
            self.snippet.setObjectName("sourceSnippet")
            self.snippet.setWordWrap(True)
            outer.addWidget(self.snippet)
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        where = self.where.text()
        head = f"{self.source.name} — {where}" if where else self.source.name
        self.setToolTip(f"{head}\n\n{excerpt(self.source.text, 400)}")

    def _share_width(self) -> None:
        """Give the file name its full width first; the location gets the rest, cut at its start."""
        margins = self.layout().contentsMargins()
        line = self.contentsRect().width() - margins.left() - margins.right()
        if line <= 0:
            return
        spacing = self._line.spacing()
        fixed = sum(w.sizeHint().width() + spacing for w in (self.number, self.badge) if not w.isHidden())
        room = max(0, line - fixed - spacing)
        # The name whole (cut only when it alone is wider than the row); the location gets what is left.
        name_w = min(self.name.full_width(), room)
        where_w = room - name_w
        if where_w < self.where.fontMetrics().horizontalAdvance("…, ¶00") and where_w < self.where.full_width():
            where_w = 0  # "…3" says nothing: rather none (the tooltip has it whole)
        # Maximum widths only: with a minimum, a narrowing window could never make the row narrower again.
        for label, width in ((self.name, name_w), (self.where, where_w)):
            if label.maximumWidth() != max(0, width):
                label.setMaximumWidth(max(0, width))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._share_width()

    def retranslateUi(self) -> None:
        self.where.setText(describe_location(self.source.location))
        self._update_tooltip()
        self._share_width()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslateUi()
        super().changeEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit(self.source)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit(self.source)
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.setProperty("focused", True)
        self.style().polish(self)
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.setProperty("focused", False)
        self.style().polish(self)
        super().focusOutEvent(event)


def _key(source: Passage, excerpts: bool) -> tuple[object, ...]:
    return (source.n, source.file, source.chunk_id, source.location, source.text, excerpts)


class SourceList(QWidget):
    """The sources under an answer: the cited ones, and the rest behind "n more".

    Rows are widgets, and a handful of them built at the end of an answer stalled the window. So rows are
    built ahead while the answer streams (`prepare`, one row per event-loop turn), and rows behind
    "n more" that were not prepared (a reloaded conversation) are only built when that is clicked.
    """

    sourceClicked = Signal(object)  # Passage

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 4, 0, 0)
        self._layout.setSpacing(2)
        self.caption = QLabel()
        self.caption.setObjectName("caption")
        self._layout.addWidget(self.caption)
        self.more = QToolButton()
        self.more.setObjectName("moreButton")
        self.more.setAutoRaise(True)
        self.more.setCursor(Qt.CursorShape.PointingHandCursor)
        self.more.clicked.connect(self.show_more)
        self._built: dict[tuple[object, ...], SourceRow] = {}
        self._first: list[Passage] = []  # shown
        self._rest: list[Passage] = []  # behind "n more" until it is clicked
        self._expanded = False
        self._excerpts = False
        self._to_prepare: list[Passage] = []
        self._prepare_scheduled = False
        self._captioned_as_cited = True
        self.hide()

    @property
    def rows(self) -> list[SourceRow]:
        """The rows built so far, in display order (rows behind "n more" may not exist yet)."""
        out = []
        for src in self._first + self._rest:
            row = self._built.get(_key(src, self._excerpts))
            if row is not None:
                out.append(row)
        return out

    def prepare(self, sources: Sequence[Passage]) -> None:
        """Build (hidden) rows for these sources, one per event-loop turn, before set_sources needs them."""
        self._to_prepare = [s for s in sources if _key(s, False) not in self._built]
        if self._to_prepare and not self._prepare_scheduled:
            self._prepare_scheduled = True
            next_turn(self, self._prepare_next)

    def _prepare_next(self) -> None:
        self._prepare_scheduled = False
        if not self._to_prepare:
            return
        src = self._to_prepare.pop(0)
        if _key(src, False) not in self._built:
            self._row(src, False)
        if self._to_prepare:
            self._prepare_scheduled = True
            next_turn(self, self._prepare_next)

    def _row(self, src: Passage, excerpts: bool) -> SourceRow:
        key = _key(src, excerpts)
        row = self._built.get(key)
        if row is None:
            row = SourceRow(src, show_excerpt=excerpts, parent=self)
            row.hide()
            row.clicked.connect(self.sourceClicked)
            row.ensurePolished()  # the style sheet's cost now, not when the row is first shown
            self._built[key] = row
        return row

    def set_sources(self, sources: Sequence[Passage], cited: Sequence[int] = (), *,
                    excerpts: bool = False) -> None:
        self._to_prepare = []
        cited_set = set(cited)
        first = [s for s in sources if s.n in cited_set] if cited_set else list(sources)
        first.sort(key=lambda s: s.n)
        self._first = first
        self._rest = [s for s in sources if s not in first] if first else []
        self._excerpts = excerpts
        self._expanded = False
        self._captioned_as_cited = bool(cited_set) and bool(first)
        for src in first:
            self._row(src, excerpts)
        wanted = {_key(s, excerpts) for s in self._first + self._rest}
        for key in [k for k in self._built if k not in wanted]:
            self._built.pop(key).deleteLater()
        self._arrange()
        self.setVisible(bool(self._first))
        self.retranslateUi()

    def show_more(self) -> None:
        """Show the sources behind "n more" (building the rows not built yet)."""
        for src in self._rest:
            self._row(src, self._excerpts)
        self._expanded = True
        self._arrange()
        self.retranslateUi()

    def _arrange(self) -> None:
        """Put the rows in order under the caption; the hidden ones stay out of sight."""
        for row in self._built.values():
            self._layout.removeWidget(row)
        self._layout.removeWidget(self.more)
        shown = self._first + (self._rest if self._expanded else [])
        for src in self._first + self._rest:
            row = self._built.get(_key(src, self._excerpts))
            if row is not None:
                self._layout.addWidget(row)
                row.setVisible(src in shown)
        folded = bool(self._rest) and not self._expanded
        if folded:
            self._layout.addWidget(self.more)
        self.more.setVisible(folded)

    def retranslateUi(self) -> None:
        self.caption.setText(self.tr("Sources") if self._captioned_as_cited else self.tr("Passages searched"))
        n = 0 if self._expanded else len(self._rest)
        self.more.setText(self.tr("Show 1 more passage") if n == 1 else
                          self.tr("Show %1 more passages").replace("%1", str(n)))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslateUi()
        super().changeEvent(event)


class QuoteRow(QFrame):
    """One quote: the document's own sentences, verbatim, with [n], and below them where they are. Click (or
    Enter) opens the source with exactly these sentences highlighted.

    Two plain-text labels, not one word-wrapped rich-text label, whose QTextDocument layout cost more, in
    turns that come while the answer streams (bench_gui.py --widget-costs-only: a row built, laid out and
    painted 2.35 -> 1.80 ms of GUI CPU)."""

    clicked = Signal(object)  # Quote

    def __init__(self, quote: Quote, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.quote = quote
        self.setObjectName("quoteRow")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        self.words = QLabel()  # (plain text, no interaction: clicks go to the row)
        self.words.setObjectName("quoteWords")
        self.words.setTextFormat(Qt.TextFormat.PlainText)
        self.words.setWordWrap(True)
        self.place = QLabel()
        self.place.setObjectName("quoteWhere")
        self.place.setTextFormat(Qt.TextFormat.PlainText)
        self.place.setWordWrap(True)
        layout.addWidget(self.words)
        layout.addWidget(self.place)
        self.retranslateUi()

    def where(self) -> str:
        p = self.quote.passage
        return ", ".join(x for x in (p.name, describe_location(p.location)) if x)

    def text(self) -> str:
        """The row as read: [n] “the sentences” — where."""
        return f"{self.words.text()} {self.place.text()}"

    def retranslateUi(self) -> None:
        self.words.setText(f"[{self.quote.n}] “{' '.join(self.quote.text.split())}”")
        self.place.setText(f"— {self.where()}")
        self.setToolTip(self.tr("Open the source with this passage highlighted"))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.quote)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit(self.quote)
            return
        super().keyPressEvent(event)


class QuoteList(QWidget):
    """What the documents say, shown first (before the model has written a word): up to three quotes.

    A quote row is a word-wrapped label: laying one out costs milliseconds, and the three of them
    built with the answer's sources in one event-loop turn stalled the window. So the first row is built
    at once and each further one on its own turn (`pending` says how many are still to come)."""

    quoteClicked = Signal(object)  # Quote

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[QuoteRow] = []
        self._to_build: list[Quote] = []
        self._build_scheduled = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.heading = QLabel()
        self.heading.setObjectName("quotesHeading")
        layout.addWidget(self.heading)
        self.hide()
        self.retranslateUi()

    @property
    def pending(self) -> int:
        """Quotes given to set_quotes whose rows are not built yet."""
        return len(self._to_build)

    def set_quotes(self, quotes: Sequence[Quote]) -> None:
        for row in self.rows:
            row.hide()
            row.deleteLater()
        self.rows = []
        self._to_build = list(quotes)
        self.setVisible(bool(self._to_build))
        self._build_next()

    def _build_next(self) -> None:
        self._build_scheduled = False
        if not self._to_build:
            return
        row = QuoteRow(self._to_build.pop(0), self)
        row.clicked.connect(self.quoteClicked)
        self.layout().addWidget(row)
        self.rows.append(row)
        if self._to_build and not self._build_scheduled:
            self._build_scheduled = True
            next_turn(self, self._build_next)

    def retranslateUi(self) -> None:
        self.heading.setText(self.tr("Your documents say:"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslateUi()
            for row in self.rows:
                row.retranslateUi()
        super().changeEvent(event)
