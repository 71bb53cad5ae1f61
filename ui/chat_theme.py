"""The chat's colours and style sheet, mixed from the palette (never hard-coded), so a dark theme works."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """a blended towards b by t (0..1)."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


def rgb(c: QColor) -> str:
    return f"rgb({c.red()}, {c.green()}, {c.blue()})"


def theme(widget: QWidget) -> dict[str, str]:
    """The few colours of the chat, from the widget's palette."""
    pal = widget.palette()
    base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
    accent = pal.color(QPalette.ColorRole.Highlight)
    window = pal.color(QPalette.ColorRole.Window)
    return {
        "base": rgb(base),
        "text": rgb(text),
        "muted": rgb(mix(text, base, 0.45)),
        "border": rgb(mix(text, base, 0.85)),
        "bubble": rgb(mix(accent, base, 0.86)),
        "accent": rgb(accent),
        "hover": rgb(mix(accent, base, 0.92)),
        "info": rgb(mix(window, base, 0.35)),
        "info_border": rgb(mix(text, base, 0.78)),
        "badge": rgb(mix(accent, base, 0.75)),
        "error": rgb(mix(QColor(200, 40, 40), text, 0.15)),
    }


def chat_style(widget: QWidget) -> str:
    """The chat's style sheet, from the palette of `widget`."""
    c = theme(widget)
    return f"""
#messageListInner {{ background: {c['base']}; }}
#messageList {{ background: {c['base']}; }}
QLabel#questionBubble {{
    background: {c['bubble']}; color: {c['text']}; border-radius: 12px; padding: 8px 12px;
}}
QFrame#answerCard {{ background: {c['base']}; border: 1px solid {c['border']}; border-radius: 10px; }}
QFrame#answerCard[state="notfound"] {{ background: {c['info']}; border: 1px dashed {c['info_border']}; }}
QFrame#answerCard QLabel#headline {{ font-weight: 600; color: {c['text']}; }}
QFrame#answerCard QLabel#status {{ color: {c['muted']}; font-style: italic; }}
QFrame#answerCard[state="notfound"] QLabel#status {{ font-style: normal; }}
QFrame#answerCard QLabel#error {{ color: {c['error']}; }}
QFrame#answerCard QLabel#note {{ color: {c['muted']}; font-size: 11px; }}
QLabel#caption {{ color: {c['muted']}; font-size: 11px; font-weight: 600; text-transform: uppercase; }}
QFrame#sourceRow {{ border-radius: 6px; }}
QFrame#sourceRow:hover, QFrame#sourceRow[focused="true"] {{ background: {c['hover']}; }}
QLabel#sourceNumber {{ background: {c['badge']}; border-radius: 8px; padding: 0 5px; font-size: 11px; }}
QLabel#kindBadge {{ color: {c['muted']}; border: 1px solid {c['border']}; border-radius: 3px;
    padding: 0 3px; font-size: 10px; }}
QLabel#sourceWhere, QLabel#sourceSnippet {{ color: {c['muted']}; }}
QLabel#quoteWhere {{ color: {c['muted']}; font-size: 11px; }}
QToolButton#copyButton, QToolButton#moreButton {{ color: {c['muted']}; }}
QLabel#welcomeTitle {{ font-size: 18px; font-weight: 600; color: {c['text']}; }}
QLabel#welcomeHint, QLabel#welcomeModelHint {{ color: {c['muted']}; }}
"""
