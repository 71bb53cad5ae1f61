"""The document list: what is in the library, what is being indexed, and what could not be read and why."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QProcess,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from indexing.filetypes import SUPPORTED_SUFFIXES
from indexing.records import DocumentRecord, IndexEvent
from ui.document_dialogs import ExtractedTextDialog, PasswordDialog
from ui.errors import show_file_failures
from ui.i18n import counted, tr
from ui.indexing_controller import IndexingController, RunSummary
from ui.samples import sample_files
from ui.services import Services
from ui.tasks import TaskRunner

_ModelIndex = QModelIndex | QPersistentModelIndex
UI_REFRESH_MS = 150
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_SORT = int(Qt.ItemDataRole.UserRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_ROLES = frozenset((_DISPLAY, _TOOLTIP, _SORT, _FOREGROUND, _ALIGNMENT))  # the roles data() answers



@dataclass(frozen=True)
class DocRow:
    path: str
    kind: str = ""
    pages: int | None = None
    sheets: int = 0
    passages: int = 0
    status: str = "indexed"  # indexed, indexing, waiting, failed, skipped
    reason: str = ""
    detail: str = ""
    units_done: int = 0
    units_total: int = 0

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @classmethod
    def from_record(cls, d: DocumentRecord) -> DocRow:
        return cls(path=d.path, kind=d.kind, pages=d.pages, sheets=len(d.sheets), passages=d.chunks,
                   status=d.status if d.status in ("indexed", "failed") else "indexing",
                   reason=d.error or "", detail=d.detail or "")


def kind_label(kind: str, path: str) -> str:
    labels = {"pdf": "PDF", "docx": tr("Word"), "xlsx": tr("Excel"), "text": tr("Text"),
              "markdown": "Markdown", "csv": "CSV", "doc": tr("Word"), "xls": tr("Excel"),
              "pptx": tr("PowerPoint"), "ppt": tr("PowerPoint"), "rtf": "RTF"}
    if kind in labels:
        return labels[kind]
    suffix = Path(path).suffix.lower()
    return labels.get(SUPPORTED_SUFFIXES.get(suffix, ""), suffix.lstrip(".").upper() or "—")


def status_label(row: DocRow) -> str:
    if row.status == "indexing" and row.units_total:
        return tr("Indexing %1/%2").replace("%1", str(row.units_done)).replace("%2", str(row.units_total))
    return {"indexed": tr("Indexed"), "indexing": tr("Indexing…"), "failed": tr("Could not be read"),
            "skipped": tr("Not supported"), "waiting": tr("Waiting")}.get(row.status, row.status)


def units_label(row: DocRow) -> str:
    if row.sheets:
        return counted(tr("%n sheet(s)"), row.sheets)
    if row.pages and row.kind in ("pptx", "ppt"):
        return counted(tr("%n slide(s)"), row.pages)
    if row.pages:
        return counted(tr("%n page(s)"), row.pages)
    return ""


class DocumentsModel(QAbstractTableModel):
    """Rows keyed by path. Library records plus this session's files that never became records
    (unsupported types): nothing the person dropped disappears without a word."""

    COLUMNS = ("name", "type", "passages", "status")  # type holds the size too: "PDF, 7 pages"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[DocRow] = []
        self._where: dict[str, int] = {}
        self._text_cache: dict[DocRow, tuple[str, str, str, str]] = {}

    # -- Qt model API -------------------------------------------------------------------------------
    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008 — Qt's default argument
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return [tr("Name"), tr("Type"), tr("Passages"), tr("Status")][section]
        return None

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Called from C++ for every visible cell and every role on each repaint (~1,000 calls for a list
        pane): roles it has nothing for return at once, and a row's texts are made once per row version
        (kind_label and status_label translate and format on every call), not once per cell and repaint."""
        role = int(role)
        if role not in _ROLES or not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == _DISPLAY:
            return self._texts(row)[column]
        col = self.COLUMNS[column]
        if role == _TOOLTIP:
            if row.reason:
                return f"{row.path}\n{row.reason}"
            return row.path
        if role == _SORT:  # sort key
            if col == "type":
                return (kind_label(row.kind, row.path), row.sheets or row.pages or 0)
            return row.passages if col == "passages" else self._texts(row)[column]
        if role == _FOREGROUND and row.status in ("failed", "skipped") and col == "status":
            from PySide6.QtGui import QColor

            return QColor("#b3261e")
        if role == _ALIGNMENT and col == "passages":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _texts(self, row: DocRow) -> tuple[str, str, str, str]:
        """The row's four cells as shown (cached per DocRow value; clear_texts() after a language change)."""
        texts = self._text_cache.get(row)
        if texts is None:
            units = units_label(row)
            kind = kind_label(row.kind, row.path)
            texts = (row.name, f"{kind}, {units}" if units else kind,
                     str(row.passages) if row.status == "indexed" else "", status_label(row))
            if len(self._text_cache) > 4 * len(self.rows) + 64:  # old versions of rows: drop them all
                self._text_cache.clear()
            self._text_cache[row] = texts
        return texts

    def clear_texts(self) -> None:
        """The interface language changed: the cached cell texts are in the old one."""
        self._text_cache.clear()

    # -- updates ------------------------------------------------------------------------------------
    def row(self, path: str) -> DocRow | None:
        i = self._where.get(path)
        return None if i is None else self.rows[i]

    def upsert(self, row: DocRow) -> None:
        i = self._where.get(row.path)
        if i is None:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
            self._where[row.path] = len(self.rows)
            self.rows.append(row)
            self.endInsertRows()
        elif self.rows[i] != row:
            self.rows[i] = row
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.COLUMNS) - 1))

    def remove_paths(self, paths: set[str]) -> None:
        for i in sorted((self._where[p] for p in paths if p in self._where), reverse=True):
            self.beginRemoveRows(QModelIndex(), i, i)
            del self.rows[i]
            self.endRemoveRows()
        self._where = {r.path: i for i, r in enumerate(self.rows)}

    def set_documents(self, records: list[DocumentRecord]) -> None:
        """Merge a fresh list from the library; rows for files in flight or never recorded are kept.
        A few signals for the whole merge: per-row signals (or a reset, which re-sorts everything through
        Python) would stall the window for a library of thousands."""
        fresh = {d.path: DocRow.from_record(d) for d in records if d.status != "removing"}
        merged: list[DocRow] = []
        for old in self.rows:
            new = fresh.pop(old.path, None)
            if new is None:
                # Only rows the library once had go; files that never became records (unsupported,
                # old Office formats, unreadable) stay listed with their reason until removed.
                if old.status != "indexed":
                    merged.append(old)
            elif old.status == "indexing" and new.status != "indexed":
                merged.append(old)  # the run in flight knows better
            else:
                merged.append(new)
        gone = {r.path for r in self.rows} - {r.path for r in merged}
        if gone:
            self.remove_paths(gone)  # rare (removed elsewhere): row by row is fine
        changed = [i for i, (a, b) in enumerate(zip(self.rows, merged, strict=True)) if a != b]
        self.rows[:] = merged
        if changed:
            self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], len(self.COLUMNS) - 1))
        new = list(fresh.values())
        if new:  # one insertion for all of them: the sorted view places them in one pass
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self.rows.extend(new)
            self._where.update((r.path, first + i) for i, r in enumerate(new))
            self.endInsertRows()

    def apply(self, event: IndexEvent) -> None:
        if event.kind == "progress" and event.path:
            old = self.row(event.path) or DocRow(event.path)
            self.upsert(replace(old, status="indexing", units_done=event.units_done,
                                units_total=event.units_total))
        elif event.kind == "file_done" and event.path and event.status == "removed":
            self.remove_paths({event.path})  # gone from disk: it left the library (the status bar says so)
        elif event.kind == "file_done" and event.path:
            old = self.row(event.path) or DocRow(event.path)
            status = event.status or ""
            if status == "unchanged":
                status = "indexed" if old.status in ("indexed", "indexing") else old.status
            elif status == "cancelled":
                status = "indexed" if old.passages else "waiting"
            self.upsert(replace(old, status=status, passages=event.chunks or old.passages,
                                reason=event.reason or "", detail=event.detail or "", units_done=0,
                                units_total=0))

    def finish_run(self) -> None:
        """A run ended (or was cancelled): nothing is 'indexing' any more."""
        for r in list(self.rows):
            if r.status == "indexing":
                self.upsert(replace(r, status="waiting" if not r.passages else "indexed", units_total=0))


class DocumentsFilter(QSortFilterProxyModel):
    """Hides unsupported files unless asked: a folder of mixed files would bury the documents under them.
    They are counted beside the switch, and listed in the summary after the run: never silently dropped."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.show_skipped = False

    def set_show_skipped(self, show: bool) -> None:
        self.beginFilterChange()
        self.show_skipped = show
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _ModelIndex) -> bool:
        model = self.sourceModel()
        if self.show_skipped or not isinstance(model, DocumentsModel) or source_row >= len(model.rows):
            return True
        return model.rows[source_row].status != "skipped"


class DocumentsPanel(QWidget):
    """The list with its actions and the indexing progress (per file and overall, with Cancel)."""

    def __init__(self, services: Services, runner: TaskRunner, controller: IndexingController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentsPanel")
        self.services = services
        self.runner = runner
        self.controller = controller
        self.model = DocumentsModel(self)
        self.proxy = DocumentsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self._loaded = False
        self._current_file = ""
        self._file_units = (0, 0)
        self.confirm_box: QMessageBox | None = None  # the open "Remove from library?" question
        self._ui_timer = QTimer(self)  # coalesces list events into one refresh of bars and labels
        self._ui_timer.setSingleShot(True)
        self._ui_timer.setInterval(UI_REFRESH_MS)
        self._ui_timer.timeout.connect(self._refresh_progress)
        self._build()
        self.retranslateUi()
        controller.event.connect(self._on_event)
        controller.run_started.connect(self._on_run_started)
        controller.run_finished.connect(self._on_run_finished)
        controller.documents_changed.connect(self.reload)
        self._update_actions()

    # -- building -----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.title = QLabel(self)
        self.title.setObjectName("panelTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.add_files_action = QAction(self)
        self.add_files_action.setShortcut(QKeySequence.StandardKey.Open)
        self.add_files_action.triggered.connect(self.choose_files)
        self.add_folder_action = QAction(self)
        self.add_folder_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.add_folder_action.triggered.connect(self.choose_folder)
        self.remove_action = QAction(self)
        self.remove_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.remove_action.triggered.connect(self.remove_selected)
        self.reindex_action = QAction(self)
        self.reindex_action.triggered.connect(self.reindex_selected)
        self.open_action = QAction(self)
        self.open_action.triggered.connect(self.open_selected)
        self.reveal_action = QAction(self)
        self.reveal_action.triggered.connect(self.reveal_selected)
        self.password_action = QAction(self)
        self.password_action.triggered.connect(self.enter_password)
        self.text_action = QAction(self)
        self.text_action.triggered.connect(self.show_extracted_text)
        self.addAction(self.remove_action)

        self.add_files_button = QPushButton(self)
        self.add_files_button.clicked.connect(self.choose_files)
        self.add_folder_button = QToolButton(self)
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.more_button = QToolButton(self)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        # The style's corner arrow overlapped the last letter; an arrow in the text says the same.
        self.more_button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
        self.menu = QMenu(self)
        for a in (self.open_action, self.reveal_action, self.text_action, self.password_action,
                  self.reindex_action, self.remove_action):
            self.menu.addAction(a)
        self.more_button.setMenu(self.menu)

        self.table = QTableView(self)
        self.table.setObjectName("documentsTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the name gets what is left
        header.setMinimumSectionSize(40)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(lambda pos: self.menu.exec(self.table.viewport().mapToGlobal(pos)))
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self._kept_selection: list[str] = []
        self.model.modelAboutToBeReset.connect(
            lambda: setattr(self, "_kept_selection", [r.path for r in self.selected_rows()]))
        self.model.modelReset.connect(self._restore_selection)

        # The empty library: how to add documents, and the shipped samples to start with.
        self.empty_page = QWidget(self)
        self.empty_hint = QLabel(self.empty_page)
        self.empty_hint.setObjectName("emptyHint")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.samples_button = QPushButton(self.empty_page)
        self.samples_button.setObjectName("samplesButton")
        self.samples_button.clicked.connect(self.add_samples)
        self._samples = sample_files()  # a listing of one small folder: cheap enough at start
        self.samples_button.setVisible(bool(self._samples))
        empty_box = QVBoxLayout(self.empty_page)
        empty_box.addStretch(1)
        empty_box.addWidget(self.empty_hint)
        empty_box.addSpacing(8)
        empty_box.addWidget(self.samples_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_box.addStretch(1)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty_page)
        self.stack.addWidget(self.table)

        self.skipped_switch = QCheckBox(self)
        self.skipped_switch.setObjectName("showSkipped")
        self.skipped_switch.toggled.connect(self.proxy.set_show_skipped)
        self.skipped_switch.setVisible(False)

        self.details = QLabel(self)  # the details view of the selected document: full path, reason, cause
        self.details.setObjectName("documentDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setVisible(False)

        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("indexingLabel")
        # Ignored width: a new file name must not re-layout the panel on every update.
        self.progress_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.file_progress = QProgressBar(self)
        self.file_progress.setObjectName("fileProgress")
        self.file_progress.setMaximumHeight(8)
        self.file_progress.setTextVisible(False)
        # Hidden while the current file's progress is unknown, instead of a busy bar: its animation repainted
        # the bar and the panels beneath it ~90 times a second for as long as the run waited (half of the GUI
        # thread's CPU while an answer streamed during indexing). Its room is kept: no re-layout.
        policy = self.file_progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.file_progress.setSizePolicy(policy)
        self.overall_progress = QProgressBar(self)
        self.overall_progress.setObjectName("overallProgress")
        self.cancel_button = QPushButton(self)
        self.cancel_button.clicked.connect(self.controller.cancel)
        self.progress_box = QWidget(self)
        pl = QVBoxLayout(self.progress_box)
        pl.setContentsMargins(0, 4, 0, 0)
        pl.addWidget(self.progress_label)
        row = QHBoxLayout()
        row.addWidget(self.overall_progress, 1)
        row.addWidget(self.cancel_button)
        pl.addLayout(row)
        pl.addWidget(self.file_progress)
        self.progress_box.setVisible(False)

        buttons = QHBoxLayout()
        buttons.addWidget(self.title, 1)
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.add_folder_button)
        buttons.addWidget(self.more_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(buttons)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.skipped_switch)
        layout.addWidget(self.details)
        layout.addWidget(self.progress_box)

    def retranslateUi(self) -> None:
        self.title.setText(tr("Documents"))
        self.add_files_action.setText(tr("Add &files…"))
        self.add_folder_action.setText(tr("Add f&older…"))
        self.remove_action.setText(tr("&Remove from library"))
        self.reindex_action.setText(tr("Re-&index"))
        self.open_action.setText(tr("&Open in default app"))
        self.reveal_action.setText(tr("Show in &folder"))
        self.password_action.setText(tr("Enter &password…"))
        self.text_action.setText(tr("Show extracted &text"))
        self.add_files_button.setText(tr("Add files…"))
        self.add_files_button.setToolTip(tr("Add files to the library (Ctrl+O)"))
        self.add_folder_button.setText(tr("Add folder…"))
        self.more_button.setText(tr("More") + " ▾")
        self.cancel_button.setText(tr("Cancel"))
        self.empty_hint.setText(tr("No documents yet.\n\nDrop files or folders anywhere on this window,\n"
                                   "or use Add files… (PDF, Word, Excel, PowerPoint, text)."))
        self.samples_button.setText(tr("Add the sample documents"))
        self.samples_button.setToolTip(tr("Index the example documents that come with QwenRAG, to try it out"))
        self.model.clear_texts()
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(DocumentsModel.COLUMNS) - 1)
        self._size_columns()
        if self.model.rows:
            self.model.dataChanged.emit(self.model.index(0, 0),
                                        self.model.index(len(self.model.rows) - 1, len(DocumentsModel.COLUMNS) - 1))
        self._update_actions()
        self._update_progress_label()

    def _size_columns(self) -> None:
        """Fixed widths from the words that appear (per language), so the name keeps the rest."""
        fm = self.table.fontMetrics()
        pad = 18

        def wide(*texts: str) -> int:
            return max(fm.horizontalAdvance(t) for t in texts) + pad

        header = self.table.horizontalHeader()
        header.resizeSection(1, wide(tr("Type"), f"PDF, {counted(tr('%n page(s)'), 888)}",
                                     f"{tr('Excel')}, {counted(tr('%n sheet(s)'), 88)}"))
        header.resizeSection(2, wide(tr("Passages"), "88888"))
        header.resizeSection(3, wide(tr("Status"), tr("Indexed"), tr("Not supported"), tr("Indexing…"),
                                     tr("Could not be read"), tr("Waiting")))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslateUi()
        super().changeEvent(event)

    # -- loading ------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the library's documents on the pool (the writer may hold the database for a moment)."""
        if not self.runner.closed:  # closed: the window is going away
            self.runner.run(lambda: self.services.library.documents(), on_done=self._set_documents,
                            name="list documents")

    def _set_documents(self, records: list[DocumentRecord]) -> None:
        self._loaded = True
        self.model.set_documents(records)
        self._update_actions()

    # -- indexing progress --------------------------------------------------------------------------
    def _on_run_started(self, summary: RunSummary) -> None:
        self.overall_progress.setRange(0, 0)
        self.file_progress.setVisible(False)
        self.file_progress.setRange(0, 1)
        self.file_progress.setValue(0)
        self.progress_box.setVisible(True)
        self._current_file = ""
        self._file_units = (0, 0)
        self._refresh_progress()

    def _on_event(self, event: IndexEvent) -> None:
        """Per event only the list changes; bars and labels follow at UI_REFRESH_MS (QProgressBar.setValue
        repaints at once, and hundreds of events a second would freeze the window)."""
        self.model.apply(event)
        if event.kind == "progress":
            self._current_file = event.path
            self._file_units = (event.units_done, event.units_total)
        elif event.kind == "file_done" and event.path == self._current_file:
            self._file_units = (1, 1)
        if not self._ui_timer.isActive():
            self._ui_timer.start()

    def _refresh_progress(self) -> None:
        summary = self.controller.current
        if summary is not None:
            if summary.total:
                if self.overall_progress.maximum() != summary.total:
                    self.overall_progress.setRange(0, summary.total)
                if self.overall_progress.value() != summary.done:
                    self.overall_progress.setValue(summary.done)
            done, total = self._file_units
            if total and (self.file_progress.maximum(), self.file_progress.value()) != (total, done):
                self.file_progress.setRange(0, total)
                self.file_progress.setValue(done)
            if total and not self.file_progress.isVisibleTo(self.progress_box):
                self.file_progress.setVisible(True)
        self._update_progress_label()
        self._update_actions()

    def _update_progress_label(self) -> None:
        summary = self.controller.current
        if summary is None:
            return
        if not summary.total:
            text = tr("Looking for files…")
        else:
            text = tr("Indexing: %1 of %2 files").replace("%1", str(summary.done)).replace("%2", str(summary.total))
        if self._current_file:
            text += " — " + os.path.basename(self._current_file)
        self.progress_label.setText(text)

    def _on_run_finished(self, summary: RunSummary) -> None:
        self._ui_timer.stop()
        self.samples_button.setEnabled(True)  # cancelled before any sample was listed: offer them again
        self.model.finish_run()
        self._current_file = ""
        self._update_actions()
        if not self.controller.busy:
            self.progress_box.setVisible(False)
        self.reload()
        if summary.user_started and summary.failures:
            # Its own event-loop turn: building a long list is the slowest thing this panel does.
            QTimer.singleShot(0, self, lambda: show_file_failures(
                self.window(), summary.failures, max(summary.total, len(summary.failures))))

    # -- actions ------------------------------------------------------------------------------------
    def selected_rows(self) -> list[DocRow]:
        rows = {self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()}
        return [self.model.rows[r] for r in sorted(rows) if r < len(self.model.rows)]

    def _restore_selection(self) -> None:
        from PySide6.QtCore import QItemSelection, QItemSelectionModel

        selection = QItemSelection()
        for path in self._kept_selection:
            i = self.model._where.get(path)
            if i is not None:
                index = self.proxy.mapFromSource(self.model.index(i, 0))
                if index.isValid():
                    selection.select(index, index)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().select(selection, flags)
        self._kept_selection = []

    def _update_actions(self) -> None:
        rows = self.selected_rows()
        for a in (self.remove_action, self.reindex_action):
            a.setEnabled(bool(rows))
        for a in (self.open_action, self.reveal_action):
            a.setEnabled(len(rows) == 1)
        self.text_action.setEnabled(len(rows) == 1 and rows[0].status == "indexed")
        self.password_action.setEnabled(len(rows) == 1 and is_password_protected(rows[0]))
        self.stack.setCurrentWidget(self.table if self.model.rows else self.empty_page)
        skipped = sum(r.status == "skipped" for r in self.model.rows)
        if self.skipped_switch.isVisibleTo(self) != (skipped > 0):
            self.skipped_switch.setVisible(skipped > 0)
        text = tr("Show files that were not added (%1)").replace("%1", str(skipped))
        if self.skipped_switch.text() != text:
            self.skipped_switch.setText(text)
        self._update_details()

    def _update_details(self) -> None:
        rows = self.selected_rows() if hasattr(self, "table") else []
        if len(rows) != 1:
            self.details.setVisible(False)
            return
        r = rows[0]
        lines = [r.path, status_label(r)]
        if r.reason:
            lines.append(r.reason)
        if r.detail:
            lines.append(tr("Technical detail: %1").replace("%1", r.detail))
        self.details.setText("\n".join(lines))
        self.details.setToolTip(r.detail)
        self.details.setVisible(True)

    def file_filter(self) -> str:
        patterns = " ".join(f"*{s}" for s in SUPPORTED_SUFFIXES)
        return f"{tr('Documents')} ({patterns});;{tr('All files')} (*)"

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, tr("Add files to the library"), "", self.file_filter())
        if files:
            self.controller.add(files)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Add a folder to the library"))
        if folder:
            self.controller.add([folder])

    def add_samples(self) -> None:
        """Index the shipped sample documents (in place: nothing is copied)."""
        files = self._samples
        if files:
            self.samples_button.setEnabled(False)  # one click is enough; the list takes over once it fills
            self.controller.add([str(p) for p in files])

    def remove_selected(self) -> QMessageBox | None:
        """Delete (or the menu item) asks first; the answer removes the documents from the library, never
        the files on disk. The question is not modal: the window keeps working while it is open."""
        rows = self.selected_rows()
        if not rows:
            return None
        name = rows[0].name if len(rows) == 1 else ""
        question = (tr("Remove %1 from the library?").replace("%1", name) if name
                    else counted(tr("Remove %1 document(s) from the library?"), len(rows)))
        box = QMessageBox(QMessageBox.Icon.Question, tr("Remove from library"), question,
                          QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("confirmRemoveBox")
        box.setInformativeText(tr("The files on your disk are not touched; you can add them again later."))
        remove_button = box.addButton(tr("Remove"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: self._remove_rows(rows) if button is remove_button else None)
        self.confirm_box = box
        box.open()
        return box

    def _remove_rows(self, rows: list[DocRow]) -> None:
        paths = {r.path for r in rows}
        self.model.remove_paths({r.path for r in rows if r.status == "skipped"})  # never in the library
        self.controller.remove(sorted(paths), on_done=lambda _recs: self.model.remove_paths(paths))

    def reindex_selected(self) -> None:
        rows = [r for r in self.selected_rows() if r.status != "skipped"]
        if rows:
            self.controller.reindex([r.path for r in rows])

    def open_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) == 1:
            QDesktopServices.openUrl(QUrl.fromLocalFile(rows[0].path))

    def reveal_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) == 1:
            reveal_in_folder(rows[0].path)

    def enter_password(self) -> None:
        """Ask for the selected protected file's password and index it with it (once; never stored)."""
        rows = self.selected_rows()
        if len(rows) != 1 or not is_password_protected(rows[0]):
            return
        path = rows[0].path
        self.password_dialog = PasswordDialog(
            path, lambda password: self.controller.add([path], force=True, password=password), self)
        self.password_dialog.open()

    def show_extracted_text(self) -> None:
        rows = self.selected_rows()
        if len(rows) != 1:
            return
        path = rows[0].path
        self.text_dialog = ExtractedTextDialog(path, self.runner, lambda: self.services.library.passages(path),
                                               self)
        self.text_dialog.show()


def is_password_protected(row: DocRow) -> bool:
    """A file that failed because it needs a password (and not one that is rights-managed)."""
    return row.status == "failed" and row.detail.startswith("encrypted") and "rights-management" not in row.detail


def reveal_in_folder(path: str) -> None:
    """Show the file selected in the system's file manager where it can, else open its folder."""
    if sys.platform == "win32":
        QProcess.startDetached("explorer.exe", ["/select,", os.path.normpath(path)])
    elif sys.platform == "darwin":
        QProcess.startDetached("open", ["-R", path])
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))
