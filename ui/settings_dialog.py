"""Settings: the model file, engine options, answers, and the interface language (switched live)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui import i18n
from ui.i18n import tr
from ui.services import Services, UiSettings, resolve_model_path, size_text

CONTEXT_SIZES = (2048, 4096, 8192, 16384, 32768)


def cost_text() -> str:
    """What Qwen2.5-0.5B-Instruct costs per quantization, as measured (qwenrag.models.QWEN_COSTS), and what
    to expect with more cores."""
    from qwenrag.models import CORES_MEASURED, QWEN_COSTS, SCALING_NOTE

    if not QWEN_COSTS:
        return ""
    lines = [tr("Qwen2.5-0.5B-Instruct on %1 cores, as measured (at most):").replace("%1", str(CORES_MEASURED))]
    for c in QWEN_COSTS:
        lines.append(tr("%1: %2 MB file, about %3 MB of memory, first word of an answer after about %4 s, "
                        "then about %5 words per second").replace("%1", c.quant).replace("%2", str(c.file_mb))
                     .replace("%3", str(c.ram_mb)).replace("%4", f"{c.first_word_s:.1f}")
                     .replace("%5", f"{c.tokens_s:.0f}"))
    four, eight = SCALING_NOTE
    lines.append(tr("With 4 cores (Q4_K_M) expect the first word after about %1 s, with 8 cores after about %2 s.")
                 .replace("%1", f"{four:.1f}").replace("%2", f"{eight:.1f}"))
    return "\n".join(lines)


class SettingsDialog(QDialog):
    """Edits UiSettings. `applied(model_changed)` fires after OK/Apply saved them."""

    applied = Signal(bool)
    modelChosen = Signal(str)  # a GGUF picked with "Choose a GGUF file…": the window checks and copies it

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.services = services
        self._build()
        self.load(services.settings)
        self.retranslateUi()
        services.settings_changed.connect(self._settings_saved)

    def _build(self) -> None:
        self.model_edit = QLineEdit(self)
        self.model_edit.setObjectName("modelPath")
        self.model_edit.setClearButtonEnabled(True)
        self.browse_button = QPushButton(self)
        self.browse_button.clicked.connect(self.choose_model)
        self.model_note = QLabel(self)
        self.model_note.setWordWrap(True)
        self.model_note.setObjectName("modelNote")
        self.model_edit.textChanged.connect(self._update_model_note)
        self.cost_note = QLabel(self)
        self.cost_note.setWordWrap(True)
        self.cost_note.setObjectName("modelCost")
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_edit, 1)
        model_row.addWidget(self.browse_button)

        self.threads = QSpinBox(self)
        self.threads.setRange(0, 64)
        self.context = QComboBox(self)
        for n in CONTEXT_SIZES:
            self.context.addItem(f"{n:,}".replace(",", " "), n)
        self.temperature = QDoubleSpinBox(self)
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.passages = QSpinBox(self)
        self.passages.setRange(1, 20)
        self.answer_language = QComboBox(self)
        for code in ("auto", "zh", "en"):
            self.answer_language.addItem("", code)
        self.interface_language = QComboBox(self)
        for code in ("auto", "en", "zh_CN"):
            self.interface_language.addItem("", code)

        self.model_group = QGroupBox(self)
        self.model_form = QFormLayout(self.model_group)
        self.model_form.addRow(QLabel(self), model_row)
        self.model_form.addRow("", self.model_note)
        self.model_form.addRow("", self.cost_note)
        self.model_form.addRow(QLabel(self), self.threads)
        self.model_form.addRow(QLabel(self), self.context)
        self.answer_group = QGroupBox(self)
        self.answer_form = QFormLayout(self.answer_group)
        self.answer_form.addRow(QLabel(self), self.temperature)
        self.answer_form.addRow(QLabel(self), self.passages)
        self.answer_form.addRow(QLabel(self), self.answer_language)
        self.ocr = QCheckBox(self)
        self.ocr.setObjectName("ocr")
        self.documents_group = QGroupBox(self)
        QVBoxLayout(self.documents_group).addWidget(self.ocr)
        self.ui_group = QGroupBox(self)
        self.ui_form = QFormLayout(self.ui_group)
        self.ui_form.addRow(QLabel(self), self.interface_language)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.Apply, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        layout = QVBoxLayout(self)
        layout.addWidget(self.model_group)
        layout.addWidget(self.answer_group)
        layout.addWidget(self.documents_group)
        layout.addWidget(self.ui_group)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        # The layout's minimum rules, not a fixed 560 px: with a minimum set on the dialog itself, Qt stops
        # enforcing the layout's, and the longer Chinese or English words overlapped "Choose…".
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)

    def _label(self, form: QFormLayout, row: int) -> QLabel:
        item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        widget = item.widget() if item is not None else None
        assert isinstance(widget, QLabel)
        return widget

    def retranslateUi(self) -> None:
        self.setWindowTitle(tr("Settings"))
        self.model_group.setTitle(tr("Model"))
        self.answer_group.setTitle(tr("Answers"))
        self.ui_group.setTitle(tr("Interface"))
        self.documents_group.setTitle(tr("Documents"))
        self.ocr.setText(tr("Read scanned pages and images (OCR)"))
        self.ocr.setToolTip(tr("Applies to documents added from now on. Reading a scanned page takes a few "
                               "seconds."))
        self._label(self.model_form, 0).setText(tr("Model file:"))
        self._label(self.model_form, 3).setText(tr("Threads:"))
        self._label(self.model_form, 4).setText(tr("Context size (tokens):"))
        self._label(self.answer_form, 0).setText(tr("Temperature:"))
        self._label(self.answer_form, 1).setText(tr("Passages per answer:"))
        self._label(self.answer_form, 2).setText(tr("Answer language:"))
        self._label(self.ui_form, 0).setText(tr("Interface language:"))
        self.browse_button.setText(tr("Choose a GGUF file…"))
        self.model_edit.setPlaceholderText(tr("Automatic: the Qwen model in the models folder"))
        self.threads.setSpecialValueText(tr("Automatic"))
        self.temperature.setToolTip(tr("Lower is more literal; higher is more varied."))
        for i, text in enumerate((tr("Same as the question"), "中文", "English")):
            self.answer_language.setItemText(i, text)
        for i, text in enumerate((tr("System language"), "English", "简体中文")):
            self.interface_language.setItemText(i, text)
        self._update_model_note()
        self.cost_note.setText(cost_text())
        self.cost_note.setVisible(bool(self.cost_note.text()))
        self._fit_words()

    def _fit_words(self) -> None:
        """The three groups' fields start in one column, and the model field shows its whole hint (it was
        cut to "…the mod…"), in either language."""
        labels = [self._label(form, row) for form, rows in ((self.model_form, (0, 3, 4)),
                                                            (self.answer_form, (0, 1, 2)), (self.ui_form, (0,)))
                  for row in rows]
        widest = max(label.sizeHint().width() for label in labels)
        for label in labels:
            label.setMinimumWidth(widest)
        hint = self.model_edit.fontMetrics().horizontalAdvance(self.model_edit.placeholderText())
        self.model_edit.setMinimumWidth(max(360, hint + 48))  # frame, margins and the clear button

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslateUi()
        super().changeEvent(event)

    # -- values -------------------------------------------------------------------------------------
    def load(self, s: UiSettings) -> None:
        self.model_edit.setText(s.model_path)
        self.threads.setValue(s.threads)
        i = self.context.findData(s.context_size)
        if i < 0:
            self.context.addItem(str(s.context_size), s.context_size)
            i = self.context.count() - 1
        self.context.setCurrentIndex(i)
        self.temperature.setValue(s.temperature)
        self.passages.setValue(s.passages)
        self.answer_language.setCurrentIndex(max(0, self.answer_language.findData(s.answer_language)))
        self.interface_language.setCurrentIndex(max(0, self.interface_language.findData(s.interface_language)))
        self.ocr.setChecked(s.ocr)

    def values(self) -> UiSettings:
        return replace(
            self.services.settings,
            model_path=self.model_edit.text().strip(),
            threads=self.threads.value(),
            context_size=int(self.context.currentData()),
            temperature=round(self.temperature.value(), 2),
            passages=self.passages.value(),
            answer_language=self.answer_language.currentData(),
            interface_language=self.interface_language.currentData(),
            ocr=self.ocr.isChecked(),
        )

    def _update_model_note(self) -> None:
        path, demo = resolve_model_path(self.model_edit.text().strip())
        size = size_text(path.stat().st_size) if path is not None and path.is_file() else ""
        if path is None:
            note = tr("No model file found.")
        elif demo:
            note = tr("In use: the small demo model (%1).").replace("%1", path.name)
        else:
            note = tr("In use: %1 (%2)").replace("%1", path.name).replace("%2", size)
        self.model_note.setText(note)
        self.model_note.setToolTip(str(path) if path is not None else "")

    def choose_model(self) -> None:
        start = self.model_edit.text() or str(self.services.models_dir())
        path, _ = QFileDialog.getOpenFileName(self, tr("Choose a GGUF file"), start, tr("GGUF models (*.gguf)"))
        if path:
            self.modelChosen.emit(path)

    def _settings_saved(self) -> None:
        """A model chosen here (or dropped on the window) was installed and selected: show it."""
        chosen = self.services.settings.model_path
        if chosen != self.model_edit.text().strip():
            self.model_edit.setText(chosen)

    def apply(self) -> None:
        new = self.values()
        old = self.services.settings
        model_changed = self.services.model_settings_differ(new)
        self.services.save_settings(new)
        if new.interface_language != old.interface_language:
            i18n.install(new.interface_language)  # LanguageChange reaches every widget, this dialog too
        self.applied.emit(model_changed)

    def accept(self) -> None:
        self.apply()
        super().accept()
