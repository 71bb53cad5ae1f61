"""The saved conversations: pick one to read on, start a new one, rename, delete, export to Markdown.

    panel = ConversationsPanel(store)        # the same ConversationStore the ChatPanel saves to
    panel.attach(chat_panel)                 # wires selection, New chat, rename, delete and refresh both ways

Dialogs (confirm delete, choose an export file) go through `confirm_delete` and `choose_export_path`, so
tests can answer them without a modal loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, QEvent, QLocale, QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from qwenrag.conversations import (
    ConversationError,
    ConversationStore,
    ConversationSummary,
    ExportLabels,
    write_markdown,
)
from ui import errors
from ui.chat_theme import mix
from ui.source_label import describe_location

if TYPE_CHECKING:
    from ui.chat_panel import ChatPanel

ID_ROLE = Qt.ItemDataRole.UserRole
WHEN_ROLE = Qt.ItemDataRole.UserRole + 1
UPDATED_ROLE = Qt.ItemDataRole.UserRole + 2  # the summary's `updated` time, for ordering and the "when" text


class _ConversationDelegate(QStyledItemDelegate):
    """Two lines: the title, and below it when it was last used (muted)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        title, when = opt.text, str(index.data(WHEN_ROLE) or "")
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        pal = opt.palette
        text_color = pal.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        muted = mix(text_color, pal.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base),
                    0.4)
        r = opt.rect.adjusted(10, 6, -8, -6)
        fm = opt.fontMetrics
        painter.save()
        painter.setPen(text_color)
        painter.drawText(QRect(r.left(), r.top(), r.width(), fm.height()),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         fm.elidedText(title, Qt.TextElideMode.ElideRight, r.width()))
        small = opt.font
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.85))
        painter.setFont(small)
        painter.setPen(muted)
        painter.drawText(QRect(r.left(), r.top() + fm.height() + 2, r.width(), fm.height()),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), when)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(200, option.fontMetrics.height() * 2 + 16)


class ConversationsPanel(QWidget):
    """Signals: conversationSelected(str id), newChatRequested(), conversationRenamed(str id, str title),
    conversationDeleted(str id), conversationExported(str id, str path)."""

    conversationSelected = Signal(str)
    newChatRequested = Signal()
    conversationRenamed = Signal(str, str)
    conversationDeleted = Signal(str)
    conversationExported = Signal(str, str)

    def __init__(self, store: ConversationStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationsPanel")
        self.store = store or ConversationStore()
        self.current_id: str | None = None
        self._loading = False
        # replaceable for tests: a question that returns True to delete; a file chooser returning a path
        self.confirm_delete: Callable[[str], bool] = self._ask_delete
        self.choose_export_path: Callable[[str], str | None] = self._ask_export_path

        self.heading = QLabel()
        self.heading.setObjectName("conversationsHeading")
        self.new_button = QPushButton()
        self.new_button.setObjectName("newChatButton")
        self.new_button.clicked.connect(self.newChatRequested)
        top = QHBoxLayout()
        top.setContentsMargins(10, 8, 8, 4)
        top.addWidget(self.heading, 1)
        top.addWidget(self.new_button)

        self.list = QListWidget()
        self.list.setObjectName("conversationList")
        self.list.setItemDelegate(_ConversationDelegate(self.list))
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)  # F2; double-click opens
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.currentItemChanged.connect(self._on_current)
        self.list.itemChanged.connect(self._on_item_edited)
        self.list.setUniformItemSizes(True)

        self.empty = QLabel()
        self.empty.setObjectName("emptyNote")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setContentsMargins(16, 0, 16, 0)  # wrapped text must not touch the window's edge

        self.rename_button = self._tool_button(self.rename_current)
        self.delete_button = self._tool_button(self.delete_current)
        self.export_button = self._tool_button(self.export_current)
        actions = QHBoxLayout()
        actions.setContentsMargins(6, 2, 6, 6)
        actions.addWidget(self.rename_button)
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        actions.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addLayout(actions)

        self.delete_action = QAction(self)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_action.triggered.connect(self.delete_current)
        self.list.addAction(self.delete_action)

        self.retranslateUi()
        self.refresh()

    def _tool_button(self, slot: Callable[[], object]) -> QToolButton:
        button = QToolButton()
        button.setAutoRaise(True)
        button.clicked.connect(lambda _=False: slot())
        return button

    # -- wiring -------------------------------------------------------------------------------------
    def attach(self, chat: ChatPanel) -> None:
        """Connect this list and a ChatPanel both ways (they must share the store)."""
        self.conversationSelected.connect(chat.load_conversation)
        self.newChatRequested.connect(chat.new_chat)
        self.conversationRenamed.connect(chat.conversation_renamed)
        self.conversationDeleted.connect(chat.conversation_deleted)
        chat.conversationSaved.connect(self.conversation_saved)
        chat.titleChanged.connect(lambda _t: self.set_current(chat.conversation.id))
        chat.new_button.hide()  # this panel's New chat is right beside it; one button is enough

    # -- listing ------------------------------------------------------------------------------------
    def refresh(self, select_id: str | None = None) -> None:
        """Re-read the list from disk; select `select_id` (default: the current conversation)."""
        if select_id:
            self.current_id = select_id
        self._loading = True
        try:
            self.list.clear()
            for summary in self.store.list():
                self.list.addItem(self._item(summary))
            self._select(self.current_id)
        finally:
            self._loading = False
        self._update_state()

    def conversation_saved(self, conv_id: str) -> None:
        """One conversation changed: update its line and move it up, without re-reading the others."""
        summary = self.store.summary(conv_id)
        if summary is None:
            self.refresh(conv_id)
            return
        self.current_id = conv_id
        self._loading = True
        try:
            for i in range(self.list.count()):
                if self.list.item(i).data(ID_ROLE) == conv_id:
                    self.list.takeItem(i)
                    break
            row = next((i for i in range(self.list.count())
                        if float(self.list.item(i).data(UPDATED_ROLE) or 0) <= summary.updated),
                       self.list.count())
            self.list.insertItem(row, self._item(summary))
            self._select(conv_id)
        finally:
            self._loading = False
        self._update_state()

    def set_current(self, conv_id: str | None) -> None:
        """Mark the conversation the chat shows (a new, unsaved one selects nothing)."""
        self.current_id = conv_id
        self._loading = True
        try:
            self._select(conv_id)
        finally:
            self._loading = False
        self._update_state()

    def ids(self) -> list[str]:
        return [self.list.item(i).data(ID_ROLE) for i in range(self.list.count())]

    def _item(self, summary: ConversationSummary) -> QListWidgetItem:
        item = QListWidgetItem(summary.title or self.tr("Untitled conversation"))
        item.setData(ID_ROLE, summary.id)
        item.setData(WHEN_ROLE, self._when(summary.updated))
        item.setData(UPDATED_ROLE, summary.updated)
        item.setToolTip(self.tr("1 question") if summary.turns == 1 else
                        self.tr("%1 questions").replace("%1", str(summary.turns)))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        return item

    def _when(self, stamp: float) -> str:
        moment = QDateTime.fromSecsSinceEpoch(int(stamp))
        days = moment.date().daysTo(QDateTime.currentDateTime().date())
        clock = QLocale().toString(moment.time(), QLocale.FormatType.ShortFormat)
        if days == 0:
            return self.tr("Today %1").replace("%1", clock)
        if days == 1:
            return self.tr("Yesterday %1").replace("%1", clock)
        return QLocale().toString(moment.date(), QLocale.FormatType.ShortFormat)

    def _select(self, conv_id: str | None) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(ID_ROLE) == conv_id:
                self.list.setCurrentRow(i)
                return
        self.list.setCurrentItem(None)
        self.list.clearSelection()

    def _selected_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(ID_ROLE) if item is not None and item.isSelected() else None

    def _update_state(self) -> None:
        has_items = self.list.count() > 0
        self.list.setVisible(has_items)
        self.empty.setVisible(not has_items)
        selected = self._selected_id() is not None
        for button in (self.rename_button, self.delete_button, self.export_button):
            button.setEnabled(selected)

    # -- actions ------------------------------------------------------------------------------------
    def _on_current(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self._update_state()
        if self._loading or current is None:
            return
        conv_id = current.data(ID_ROLE)
        if conv_id != self.current_id:
            self.current_id = conv_id
            self.conversationSelected.emit(conv_id)

    def rename_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def rename(self, conv_id: str, title: str) -> None:
        try:
            conv = self.store.rename(conv_id, title)
        except ConversationError as exc:
            errors.show_exception(self, exc)
            self.refresh()
            return
        self.refresh()
        self.conversationRenamed.emit(conv_id, conv.display_title)

    def _on_item_edited(self, item: QListWidgetItem) -> None:
        if self._loading:
            return
        self.rename(item.data(ID_ROLE), item.text())

    def delete_current(self) -> None:
        conv_id = self._selected_id()
        if conv_id is not None:
            self.delete(conv_id)

    def delete(self, conv_id: str) -> bool:
        item = next((self.list.item(i) for i in range(self.list.count())
                     if self.list.item(i).data(ID_ROLE) == conv_id), None)
        title = item.text() if item is not None else ""
        if not self.confirm_delete(title):
            return False
        try:
            self.store.delete(conv_id)
        except ConversationError as exc:
            errors.show_exception(self, exc)
            return False
        if self.current_id == conv_id:
            self.current_id = None
        self.refresh()
        self.conversationDeleted.emit(conv_id)
        return True

    def export_current(self) -> None:
        conv_id = self._selected_id()
        if conv_id is not None:
            self.export(conv_id)

    def export(self, conv_id: str) -> str | None:
        try:
            conv = self.store.load(conv_id)
        except ConversationError as exc:
            errors.show_exception(self, exc)
            return None
        target = self.choose_export_path(_file_stem(conv.display_title) + ".md")
        if not target:
            return None
        try:
            write_markdown(conv, Path(target), labels=self.export_labels(), describe=describe_location)
        except ConversationError as exc:
            errors.show_exception(self, exc)
            return None
        self.conversationExported.emit(conv_id, target)
        return target

    def export_labels(self) -> ExportLabels:
        return ExportLabels(
            question=self.tr("Question"), sources=self.tr("Sources"),
            nearest=self.tr("Not found in your documents. The nearest passages:"),
            stopped=self.tr("(stopped)"), plain_chat=self.tr("(without document search)"),
            exported=self.tr("Exported from QwenRAG on %1").replace("%1", "{date}"),
            untitled=self.tr("Conversation"),
        )

    def _ask_delete(self, title: str) -> bool:
        answer = QMessageBox.question(
            self, self.tr("Delete conversation"),
            self.tr("Delete “%1”? This cannot be undone.").replace("%1", title),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _ask_export_path(self, suggested: str) -> str | None:
        start = str(Path.home() / "Documents" / suggested) if (Path.home() / "Documents").is_dir() else suggested
        path, _filter = QFileDialog.getSaveFileName(self, self.tr("Export conversation"), start,
                                                    self.tr("Markdown (*.md)"))
        if path and not path.lower().endswith(".md"):
            path += ".md"
        return path or None

    def _context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        self.list.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction(self.tr("Rename"), self.rename_current)
        menu.addAction(self.tr("Export to Markdown…"), self.export_current)
        menu.addSeparator()
        menu.addAction(self.tr("Delete"), self.delete_current)
        menu.popup(self.list.viewport().mapToGlobal(pos))

    # -- language -----------------------------------------------------------------------------------
    def retranslateUi(self) -> None:
        self.heading.setText(self.tr("Conversations"))
        self.new_button.setText(self.tr("New chat"))
        self.new_button.setToolTip(self.tr("Start a new conversation"))
        self.rename_button.setText(self.tr("Rename"))
        self.delete_button.setText(self.tr("Delete"))
        self.export_button.setText(self.tr("Export…"))
        self.export_button.setToolTip(self.tr("Save the conversation with its sources as a Markdown file"))
        self.empty.setText(self.tr("No saved conversations yet. Your questions and answers are kept here."))
        for i in range(self.list.count()):
            item = self.list.item(i)
            stamp = item.data(UPDATED_ROLE)
            if stamp:
                item.setData(WHEN_ROLE, self._when(float(stamp)))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslateUi()
        super().changeEvent(event)


def _file_stem(title: str) -> str:
    """A file name from a title: no path separators or characters Windows refuses."""
    cleaned = "".join("_" if ch in '\\/:*?"<>|' or ord(ch) < 32 else ch for ch in title).strip(" .")
    return cleaned[:80] or time.strftime("conversation-%Y%m%d")
