"""Interface language: Qt translators for our strings (qwenrag_<lang>.qm here) and Qt's own (qtbase).

Installing a translator makes Qt send QEvent.LanguageChange to every widget; each widget's changeEvent calls
its retranslateUi(), so switching language keeps every state (the conversation, the list, the selection).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QLibraryInfo, QLocale, QTranslator

HERE = Path(__file__).resolve().parent
LANGUAGES = ("en", "zh_CN")  # shipped interface languages; English is the source text

_installed: list[QTranslator] = []
_current = "en"


def tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    """Translate `text` (context ""): pyside6-lupdate extracts every literal `tr("…")` call in ui/, and at
    run time the same empty context finds it. Plurals: tr("%n file(s)", None, count)."""
    return QCoreApplication.translate("", text, disambiguation, n)


def counted(translated: str, n: int) -> str:
    """A count in a sentence: counted(tr("%1 file(s) indexed."), n). %1/%n become n, and the English
    source's "file(s)" becomes "file" or "files" (Chinese has no plural), so no one sees "(s)"."""
    out = translated.replace("%1", str(n)).replace("%n", str(n))
    return out.replace("(s)", "" if n == 1 else "s")


def system_language() -> str:
    """zh_CN when the system locale is Chinese (any region: Simplified is what we ship), else en."""
    for var in ("QWENRAG_UI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh_CN" if value.lower().startswith("zh") else "en"
    return "zh_CN" if QLocale.system().language() == QLocale.Language.Chinese else "en"


def resolve(choice: str) -> str:
    """"auto" / "" -> the system's language; anything else must be one we ship."""
    if choice in ("", "auto", "system"):
        return system_language()
    return choice if choice in LANGUAGES else "en"


def current_language() -> str:
    return _current


def install(choice: str) -> str:
    """Switch the interface language now; returns the language in force ('en' or 'zh_CN')."""
    global _current
    app = QCoreApplication.instance()
    lang = resolve(choice)
    if app is None:
        return lang
    for t in _installed:
        app.removeTranslator(t)
    _installed.clear()
    if lang != "en":
        ours = QTranslator(app)
        if ours.load(str(HERE / f"qwenrag_{lang}.qm")):
            _installed.append(ours)
        qt = QTranslator(app)
        if qt.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            _installed.append(qt)
    for t in _installed:
        app.installTranslator(t)
    # The core's per-file messages (indexing.messages) follow QWENRAG_LANG; parse workers inherit it.
    os.environ["QWENRAG_LANG"] = "zh" if lang.startswith("zh") else "en"
    _current = lang
    # Qt sends LanguageChange itself only once exec() runs (not before the window shows, nor under
    # pytest-qt); one more costs a cheap retranslate.
    QCoreApplication.sendEvent(app, QEvent(QEvent.Type.LanguageChange))
    return lang
