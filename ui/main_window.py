"""The main window: hosts the panels in splitters, menus, the status bar, and drops anywhere on it.

Thin on purpose: the panels are their own widgets in their own files. What it owns is the frame — window
geometry and splitter state in QSettings, the model's name and size in the status bar with the demo badge,
and file drops (documents go to the indexing controller; a .gguf file is offered as the model).

Embedded panels (the chat helper's): `ChatPanel(services, runner, store, parent)`,
`ConversationsPanel(store, parent).attach(chat)`, and `SourceView(services, parent).show_source(src)`
on `chat.sourceRequested`; until they exist, placeholders.
"""

from __future__ import annotations

import importlib
import os
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QMouseEvent,
)
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QSplitter,
    QTextEdit,
    QWidget,
)

from ui.documents_panel import DocumentsPanel
from ui.errors import show_error, show_exception
from ui.i18n import counted, tr
from ui.indexing_controller import IndexingController, RunSummary
from ui.services import INDEX_LANE, QWEN_MODEL_FILE, ModelState, Services, size_text
from ui.tasks import TaskRunner

CLOSE_WAIT_S = 0.5  # the most closing the window waits on the GUI thread for background work to stop
PREBUILD_SOURCE_VIEW_MS = 1500  # after start-up: build the source view before the first citation click
PREBUILD_STEP_GAP_MS = 250  # between the steps below: the loop runs in between
# imported one per step before the view is built: each alone stays well under a stall (bench_gui.py --dispatch)
SOURCE_MIN_WIDTH = 460  # px: a PDF page at fit-width stays legible
PREBUILD_IMPORTS = ("PySide6.QtPdfWidgets", "ui.image_view", "ui.source_view")


def window_settings() -> QSettings:
    """Geometry and splitter state beside the user settings (so tests and portable use stay isolated)."""
    from qwenrag import paths

    folder = paths.config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat)


def local_paths(event: QDropEvent | QDragEnterEvent) -> list[str]:
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


class _DropCatcher(QObject):
    """Drops on child widgets that would take text drops themselves (an editable text box, which would
    paste a dropped file's path): they go to the window. Elsewhere a drop reaches the window by itself
    (read-only views and lists ignore it and Qt hands it to their parents).

    Installed on those widgets only, never on the application: an application-wide Python event filter
    runs for every event of every widget, and each call must take the GIL, which a worker running Python
    holds for up to 5 ms at a time: every repaint and re-layout of the window slowed to a crawl."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.main = window

    def watch(self, root: QWidget) -> None:
        """Catch drops on the editable text widgets inside `root` (and on their viewports)."""
        for w in root.findChildren(QWidget):
            if isinstance(w, QLineEdit | QPlainTextEdit | QTextEdit) and not w.isReadOnly() and w.acceptDrops():
                w.installEventFilter(self)
                viewport = getattr(w, "viewport", None)
                if viewport is not None:
                    viewport().installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        etype = event.type()
        if etype not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return False
        if not isinstance(obj, QWidget) or obj.window() is not self.main:
            return False
        assert isinstance(event, QDropEvent)
        paths = local_paths(event)
        if not paths:
            return False
        if etype == QEvent.Type.Drop:
            event.acceptProposedAction()
            self.main.handle_dropped_paths(paths)
        else:
            event.acceptProposedAction()
        return True


class _ClickableLabel(QLabel):
    """A label that says when it is clicked. (An event filter would run Python for each of its events, every
    paint included, and each call waits for the GIL while a worker runs Python.)"""

    clicked = Signal()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        self.clicked.emit()


class ModelStatusWidget(QWidget):
    """The status bar's right end: model name and size, a busy bar while loading, and the demo badge."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtWidgets import QHBoxLayout

        self.services = services
        self.label = QLabel(self)
        self.label.setObjectName("modelLabel")
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setFixedWidth(80)
        self.busy.setMaximumHeight(12)
        self.badge = _ClickableLabel(self)
        self.badge.setObjectName("demoBadge")
        self.badge.setStyleSheet("QLabel#demoBadge { background: #fff4ce; color: #6b4e00; border: 1px solid #e0c36a;"
                                 " border-radius: 3px; padding: 1px 6px; font-weight: 600; }")
        self.badge.setCursor(Qt.CursorShape.PointingHandCursor)
        self.badge.clicked.connect(lambda: show_demo_hint(self.window()))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(self.badge)
        layout.addWidget(self.busy)
        layout.addWidget(self.label)
        services.model_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        m = self.services.model
        self.busy.setVisible(m.state is ModelState.LOADING)
        self.badge.setVisible(m.is_demo and m.state is not ModelState.FAILED)
        self.badge.setText(tr("Demo model"))
        self.badge.setToolTip(demo_hint())
        size = f" ({size_text(m.size_bytes)})" if m.size_bytes else ""
        if m.state is ModelState.LOADING:
            text = tr("Loading model %1…").replace("%1", m.name + size)
        elif m.state is ModelState.READY:
            text = tr("Model: %1").replace("%1", m.name + size)
        elif m.state is ModelState.FAILED:
            text = tr("No model: %1").replace("%1", m.error)
        else:
            text = tr("Model not loaded")
        self.label.setText(text)
        self.label.setToolTip(m.path or m.detail)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.refresh()
        super().changeEvent(event)


def demo_hint() -> str:
    from qwenrag import paths

    return tr("This is a tiny demo model: its answers are poor. For real answers, get the Qwen model file "
              "%1 and put it into the models folder:\n%2").replace("%1", QWEN_MODEL_FILE).replace(
                  "%2", str(paths.models_dir()))


def show_demo_hint(parent: QWidget) -> None:
    from qwenrag import paths

    box = QMessageBox(QMessageBox.Icon.Information, tr("Get the Qwen model"), demo_hint(),
                      QMessageBox.StandardButton.Close, parent)
    open_button = box.addButton(tr("Open models folder"), QMessageBox.ButtonRole.ActionRole)

    def clicked(button: object) -> None:
        if button is open_button:
            paths.models_dir().mkdir(parents=True, exist_ok=True)
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.models_dir())))

    box.buttonClicked.connect(clicked)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


class MainWindow(QMainWindow):
    def __init__(self, services: Services, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.services = services
        self.runner = runner
        self._closed = False
        self._closer: threading.Thread | None = None  # finishes closing what did not stop in CLOSE_WAIT_S
        self._model_chosen = False  # the next model change was asked for by the person
        self.source_view: Any = None
        self._sizes_before_source: list[int] = []  # the list and the chat before a source opened
        self.controller = IndexingController(services, runner, self)
        self.documents = DocumentsPanel(services, runner, self.controller, self)
        self.chat = self._make_chat_panel()
        self.conversations = self._make_conversations_panel()

        self.side = QSplitter(Qt.Orientation.Vertical, self)
        self.side.setObjectName("sideSplitter")
        self.side.addWidget(self.conversations)
        self.side.addWidget(self.documents)
        self.side.setStretchFactor(1, 1)
        self.side.setSizes([220, 480])
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.side)
        self.splitter.addWidget(self.chat)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([470, 810])
        self.setCentralWidget(self.splitter)

        self._build_actions()
        self.model_status = ModelStatusWidget(services, self)
        self.statusBar().addPermanentWidget(self.model_status)
        self.setAcceptDrops(True)
        self._drops = _DropCatcher(self)
        self._drops.watch(self)
        self.controller.run_finished.connect(self._on_run_finished)
        self.controller.waiting_for_writer.connect(self._on_waiting_for_writer)
        services.model_changed.connect(self._on_model_changed)
        self.retranslateUi()
        self.resize(1280, 800)
        self._restore_state()

    # -- panels -------------------------------------------------------------------------------------
    def _make_chat_panel(self) -> QWidget:
        try:
            from qwenrag.conversations import ConversationStore
            from ui.chat_panel import ChatPanel
        except ImportError:
            return self._placeholder("chatPlaceholder")
        self.store = ConversationStore()
        chat = ChatPanel(self.services, self.runner, self.store, self)
        chat.sourceRequested.connect(self.show_source)
        return chat

    def _make_conversations_panel(self) -> QWidget:
        try:
            from ui.chat_panel import ChatPanel
            from ui.conversations_panel import ConversationsPanel
        except ImportError:
            return self._placeholder("conversationsPlaceholder")
        if not isinstance(self.chat, ChatPanel):
            return self._placeholder("conversationsPlaceholder")
        panel = ConversationsPanel(self.store, self)
        panel.attach(self.chat)
        return panel

    def show_source(self, source: object) -> None:
        """A citation was clicked: the source view opens in the lists' place (built ahead, see
        _prebuild_source_view, else now)."""
        opening = self.source_view is None or not self.source_view.isVisible()
        if self._ensure_source_view() is None:
            return
        if self.splitter.indexOf(self.source_view) < 0:
            self.splitter.addWidget(self.source_view)  # not before: the saved splitter state has two panes
        if opening:
            # The lists step aside until the source is closed and the chat keeps its width: the answer
            # being read does not re-wrap under the reader, and the click does not pay for re-laying out
            # the whole chat (the largest part of its cost, and of the GUI's longest stall while an
            # answer streams; bench_gui.py). The chat gives up width only for a narrow list.
            sizes = self.splitter.sizes()
            self._sizes_before_source = sizes[:2]
            total = sum(sizes)
            chat = max(min(sizes[1], total - SOURCE_MIN_WIDTH), self.chat.minimumSizeHint().width())
            self.side.hide()
            self.source_view.show()
            self.splitter.setSizes([0, chat, max(total - chat, 0)])
        self.source_view.show_source(source)

    def _ensure_source_view(self) -> Any:
        """The source view, built hidden on first need (None when the module is missing)."""
        if self.source_view is None:
            try:
                from ui.source_view import SourceView
            except ImportError:
                return None
            view = SourceView(self.services, self, runner=self.runner)
            view.hide()
            view.hidden.connect(self._source_hidden)  # hidden in any way: the lists come back
            self.source_view = view
        return self.source_view

    def _prebuild_source_view(self, step: int = 0) -> None:
        """Build the source view while the window idles after start-up, one step per event-loop turn with
        the loop running in between: importing its modules (~50 ms in all) and building the view (~25 ms)
        made the first citation click the longest stall of a session, and back to back the steps still held
        the loop ~80 ms as one stall."""
        if self._closed or self.source_view is not None:
            return
        if step < len(PREBUILD_IMPORTS):
            try:
                importlib.import_module(PREBUILD_IMPORTS[step])
            except ImportError:
                return
            QTimer.singleShot(PREBUILD_STEP_GAP_MS, self, lambda: self._prebuild_source_view(step + 1))
        else:
            self._ensure_source_view()

    def _source_hidden(self) -> None:
        self.side.show()
        if self._sizes_before_source:
            self.splitter.setSizes([*self._sizes_before_source, 0])
            self._sizes_before_source = []

    def _placeholder(self, name: str) -> QWidget:
        label = QLabel(self)
        label.setObjectName(name)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        return label

    def _build_actions(self) -> None:
        d = self.documents
        self.settings_action = QAction(self)
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)
        self.quit_action = QAction(self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        self.model_hint_action = QAction(self)
        self.model_hint_action.triggered.connect(lambda: show_demo_hint(self))
        self.models_folder_action = QAction(self)
        self.models_folder_action.triggered.connect(self._open_models_folder)
        self.about_action = QAction(self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self._about)
        self.repair_action = QAction(self)
        self.repair_action.setObjectName("repairAction")
        self.repair_action.triggered.connect(self.repair_library)

        bar = self.menuBar()
        self.file_menu = bar.addMenu("")
        for a in (d.add_files_action, d.add_folder_action):
            self.file_menu.addAction(a)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.settings_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        self.documents_menu = bar.addMenu("")
        for a in (d.open_action, d.reveal_action, d.reindex_action, d.remove_action):
            self.documents_menu.addAction(a)
        self.documents_menu.addSeparator()
        self.documents_menu.addAction(self.repair_action)
        self.help_menu = bar.addMenu("")
        for a in (self.model_hint_action, self.models_folder_action, self.about_action):
            self.help_menu.addAction(a)

    def retranslateUi(self) -> None:
        self.setWindowTitle(tr("QwenRAG — ask your documents"))
        self.file_menu.setTitle(tr("&File"))
        self.documents_menu.setTitle(tr("&Documents"))
        self.help_menu.setTitle(tr("&Help"))
        self.settings_action.setText(tr("&Settings…"))
        self.quit_action.setText(tr("&Quit"))
        self.model_hint_action.setText(tr("How to get the &Qwen model"))
        self.models_folder_action.setText(tr("Open the &models folder"))
        self.about_action.setText(tr("&About QwenRAG"))
        self.repair_action.setText(tr("Re&pair library"))
        self.repair_action.setToolTip(tr("Rebuild the search index from the library; nothing you added is lost"))
        for w, text in ((self.chat, tr("The chat is loading…")),
                        (self.conversations, tr("Conversations"))):
            if isinstance(w, QLabel) and w.objectName().endswith("Placeholder"):
                w.setText(text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslateUi()
        super().changeEvent(event)

    # -- start-up -----------------------------------------------------------------------------------
    def start_background_work(self, *, load_model: bool = True) -> None:
        """After the window is shown: list the library, re-index what changed, load the model."""
        self.documents.reload()
        self.controller.start()
        if load_model:
            self.services.start_model_load(self.runner)
        QTimer.singleShot(PREBUILD_SOURCE_VIEW_MS, self, self._prebuild_source_view)

    # -- drops --------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event)
        if paths:
            event.acceptProposedAction()
            self.handle_dropped_paths(paths)

    def handle_dropped_paths(self, paths: list[str]) -> None:
        models = [p for p in paths if p.lower().endswith(".gguf") and os.path.isfile(p)]
        documents = [p for p in paths if p not in models]
        if documents:
            self.controller.add(documents)
            self.statusBar().showMessage(counted(tr("Adding %1 item(s) to the library…"), len(documents)), 4000)
        if models:
            self.offer_model(models[0])

    def offer_model(self, path: str) -> QMessageBox:
        """Ask whether to use a dropped .gguf file as the model (non-blocking)."""
        box = QMessageBox(QMessageBox.Icon.Question, tr("Use this model?"),
                          tr("Use %1 as the model for answers?").replace("%1", Path(path).name),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("useModelBox")
        box.setInformativeText(tr("It is checked and copied into the models folder (%1).")
                               .replace("%1", str(self.services.models_dir())))
        box.setDetailedText(path)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(result: int) -> None:
            if result == QMessageBox.StandardButton.Yes:
                self.install_model(path)

        box.finished.connect(answered)
        box.open()
        return box

    def install_model(self, path: str) -> None:
        """A GGUF the person chose or dropped: checked and copied into the models folder on a worker (a
        model is hundreds of MB), then selected and loaded. A bad file gets its message and changes nothing."""
        name = Path(path).name
        bar = self.statusBar()
        bar.showMessage(tr("Checking %1…").replace("%1", name))
        installed: list[Any] = []

        def progress(step: Any) -> None:
            if step.model is not None:
                installed.append(step.model)
            elif step.total:
                bar.showMessage(tr("Copying %1 into the models folder: %2%").replace("%1", name)
                                .replace("%2", str(step.copied * 100 // step.total)))

        def done() -> None:
            bar.clearMessage()  # the model's name and size show at the status bar's right end
            if installed:
                self.use_model(str(installed[-1].path))

        def failed(exc: BaseException) -> None:
            bar.clearMessage()
            show_exception(self, exc)

        self.runner.run_generator(lambda: self.services.install_model(path), on_item=progress, on_done=done,
                                  on_error=failed, throttle_ms=100, keep=lambda step: step.model is not None,
                                  name="install model")

    def use_model(self, path: str) -> None:
        from dataclasses import replace

        self.services.save_settings(replace(self.services.settings, model_path=path))
        self._model_chosen = True
        self.services.start_model_load(self.runner)

    # -- settings -----------------------------------------------------------------------------------
    def open_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.services, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.applied.connect(self._settings_applied)
        dialog.modelChosen.connect(self.install_model)
        dialog.open()

    def _settings_applied(self, model_changed: bool) -> None:
        if model_changed:
            self._model_chosen = True
            self.services.start_model_load(self.runner)

    # -- repair -------------------------------------------------------------------------------------
    def repair_library(self) -> None:
        """Rebuild the search index (Documents > Repair library). Runs on the index lane, after any indexing
        already queued; progress and the result go to the status bar, a failure to the error dialog."""
        if self.runner.closed:
            return
        self.repair_action.setEnabled(False)
        self.statusBar().showMessage(tr("Repairing the library…"))

        def progress(event: Any) -> None:
            if event.kind == "repair" and event.units_total:
                percent = 100 * event.units_done // event.units_total
                self.statusBar().showMessage(tr("Repairing the library… %1%").replace("%1", str(percent)))
            elif event.kind == "finished":
                docs = event.counts.get("documents", event.files_total)
                self.statusBar().showMessage(
                    counted(tr("The library was repaired: %1 document(s) searchable."), docs), 8000)

        def done() -> None:
            self.repair_action.setEnabled(True)
            self.services.notify_library_changed()

        def failed(exc: BaseException) -> None:
            self.repair_action.setEnabled(True)
            self.statusBar().clearMessage()
            show_exception(self, exc)

        self.runner.run_generator(self.services.repair_library, on_item=progress, on_done=done, on_error=failed,
                                  throttle_ms=100, keep=lambda e: e.kind != "repair", lane=INDEX_LANE,
                                  name="repair library")

    # -- status -------------------------------------------------------------------------------------
    def _on_waiting_for_writer(self, _reason: str) -> None:
        """Indexing or a removal waits for another QwenRAG process; repeated every second or so while it
        lasts, so the message goes away a few seconds after the wait ends."""
        self.statusBar().showMessage(
            tr("Another QwenRAG process is changing this library; waiting for it to finish…"), 3000)

    def _on_run_finished(self, summary: RunSummary) -> None:
        indexed = summary.counts.get("indexed", 0)
        bad = len(summary.failures)
        removed = summary.counts.get("removed", 0)  # files gone from disk left the library (refresh)
        if removed and not summary.cancelled:
            gone = counted(tr("Removed from the library, no longer on disk: %1 file(s)."), removed)
            if indexed or bad:
                gone += " " + (counted(tr("%1 file(s) indexed; %2 could not be read."), indexed).replace(
                    "%2", str(bad)) if bad else counted(tr("%1 file(s) indexed."), indexed))
            self.statusBar().showMessage(gone, 12000)
            return
        if summary.cancelled:
            msg = counted(tr("Indexing cancelled: %1 file(s) indexed."), indexed)
        elif bad:
            msg = counted(tr("%1 file(s) indexed; %2 could not be read."), indexed).replace("%2", str(bad))
        elif indexed:
            msg = counted(tr("%1 file(s) indexed."), indexed)
        else:
            return
        self.statusBar().showMessage(msg, 8000)

    def _on_model_changed(self) -> None:
        """A model the person just chose that fails gets a dialog; at start the status bar says it."""
        m = self.services.model
        if m.state is ModelState.LOADING:
            return
        if m.state is ModelState.FAILED and m.error and self._model_chosen:
            show_error(self, m.error, m.detail)
        self._model_chosen = False

    def _open_models_folder(self) -> None:
        from qwenrag import paths

        paths.models_dir().mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.models_dir())))

    def _about(self) -> None:
        QMessageBox.about(self, tr("About QwenRAG"),
                          tr("QwenRAG answers questions from your own documents, offline, and shows the "
                             "passages each answer comes from."))

    # -- state --------------------------------------------------------------------------------------
    def _restore_state(self) -> None:
        s = window_settings()
        geometry = s.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        for key, splitter in (("splitter", self.splitter), ("side", self.side)):
            value = s.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty():
                splitter.restoreState(value)
        state = s.value("windowState")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)

    def save_state(self) -> None:
        s = window_settings()
        s.setValue("geometry", self.saveGeometry())
        s.setValue("windowState", self.saveState())
        s.setValue("splitter", self.splitter.saveState())
        s.setValue("side", self.side.saveState())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closed:
            self._closed = True
            self.save_state()
            stop_chat = getattr(self.chat, "stop_and_save", None)
            if stop_chat is not None:
                stop_chat()  # the answer so far is kept in the conversation
            self.controller.cancel()
            self.services.stop_answers()  # the model aborts even a prompt it is still reading
            self.services.resume_indexing_if_open()  # a paused run would never see its cancel
            joined = self.runner.shutdown(CLOSE_WAIT_S)
            flush = getattr(self.chat, "flush_saves", None)
            if flush is not None:
                flush()  # a conversation write the shutdown dropped from the queue
            if joined:
                self.services.close(engine_wait=CLOSE_WAIT_S)
            else:
                # A worker is inside a call that cannot be interrupted (a parse, a large commit). The window
                # goes now; this thread closes the library once it is out, and the process waits for it
                # (not a daemon) so nothing is cut off mid-write.
                runner, services = self.runner, self.services
                self._closer = threading.Thread(target=_finish_closing, args=(runner, services),
                                                name="qwenrag-close")
                self._closer.start()
        super().closeEvent(event)

    def wait_closed(self, timeout: float) -> bool:
        """After close(): wait for the closing that continued in the background. True when it is done."""
        if self._closer is not None:
            self._closer.join(timeout)
            return not self._closer.is_alive()
        return True


def _finish_closing(runner: TaskRunner, services: Services, timeout: float = 60.0) -> None:
    """Off the GUI thread, after the window closed: wait for the workers, then release library and model.
    A worker still stuck after `timeout` keeps the library open (closing it under a writer is worse than a
    process exit: the store is crash-safe); the model is released either way."""
    if runner.wait_threads(timeout):
        services.close(engine_wait=5.0)
    else:
        services.stop_answers()
