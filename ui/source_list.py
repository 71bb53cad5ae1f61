"""The passages under an answer: one clickable row per source, the cited ones first."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from qwenrag.conversations import SourceRecord
from ui.source_label import describe_location

_KIND_BADGES = {"pdf": "PDF", "docx": "DOCX", "xlsx": "XLSX", "csv": "CSV", "markdown": "MD", "text": "TXT"}


def kind_badge(source: SourceRecord) -> str:
    kind = source.kind or source.file.rsplit(".", 1)[-1].lower()
    return _KIND_BADGES.get(kind, kind.upper()[:4] or "DOC")


def excerpt(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class SourceRow(QFrame):
    """One passage: number, file type, file name and where in it. Click (or Enter) opens it."""

    clicked = Signal(object)  # SourceRecord

    def __init__(self, source: SourceRecord, *, show_excerpt: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.setObjectName("sourceRow")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip(excerpt(source.text, 400))
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 4, 8, 4)
        outer.setSpacing(1)
        line = QHBoxLayout()
        line.setSpacing(6)
        self.number = QLabel(str(source.n))
        self.number.setObjectName("sourceNumber")
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number.setMinimumWidth(20)
        self.badge = QLabel(kind_badge(source))
        self.badge.setObjectName("kindBadge")
        self.name = QLabel(source.name)
        self.name.setObjectName("sourceName")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.name.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.where = QLabel(describe_location(source.location))
        self.where.setObjectName("sourceWhere")
        for w in (self.number, self.badge):
            line.addWidget(w)
        line.addWidget(self.name, 1)
        line.addWidget(self.where)
        outer.addLayout(line)
        self.snippet: QLabel | None = None
        if show_excerpt:
            self.snippet = QLabel(excerpt(source.text, 220))
            self.snippet.setObjectName("sourceSnippet")
            self.snippet.setWordWrap(True)
            outer.addWidget(self.snippet)

    def retranslateUi(self) -> None:
        self.where.setText(describe_location(self.source.location))

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


class SourceList(QWidget):
    """The sources under an answer: the cited ones, and the rest behind "n more"."""

    sourceClicked = Signal(object)  # SourceRecord

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
        self.more.clicked.connect(self._show_more)
        self.rows: list[SourceRow] = []
        self._hidden: list[SourceRow] = []
        self._captioned_as_cited = True
        self.hide()

    def set_sources(self, sources: Sequence[SourceRecord], cited: Sequence[int] = (), *,
                    excerpts: bool = False) -> None:
        for row in self.rows:
            row.deleteLater()
        self.rows, self._hidden = [], []
        self._layout.removeWidget(self.more)
        self.more.hide()
        cited_set = set(cited)
        first = [s for s in sources if s.n in cited_set] if cited_set else list(sources)
        first.sort(key=lambda s: s.n)
        rest = [s for s in sources if s not in first]
        self._captioned_as_cited = bool(cited_set) and bool(first)
        for src in first + rest:
            row = SourceRow(src, show_excerpt=excerpts, parent=self)
            row.clicked.connect(self.sourceClicked)
            self._layout.addWidget(row)
            self.rows.append(row)
            if src in rest and first:
                row.hide()
                self._hidden.append(row)
        if self._hidden:
            self._layout.addWidget(self.more)
            self.more.show()
        self.setVisible(bool(self.rows))
        self.retranslateUi()

    def _show_more(self) -> None:
        for row in self._hidden:
            row.show()
        self._hidden = []
        self.more.hide()

    def retranslateUi(self) -> None:
        self.caption.setText(self.tr("Sources") if self._captioned_as_cited else self.tr("Passages searched"))
        n = len(self._hidden)
        self.more.setText(self.tr("Show 1 more passage") if n == 1 else
                          self.tr("Show %1 more passages").replace("%1", str(n)))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslateUi()
        super().changeEvent(event)
