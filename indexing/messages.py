"""Messages for a person, one per problem kind.

English and Simplified Chinese; the language follows QWENRAG_LANG, then the system locale. Kept as plain
tables so the interface layer can translate them again through Qt if it wants.
"""

from __future__ import annotations

import locale
import os

from indexing.errors import ProblemKind

_MESSAGES: dict[str, dict[ProblemKind, str]] = {
    "en": {
        ProblemKind.ENCRYPTED: "The file is password-protected. Choose \u201cEnter password\u2026\u201d for it in "
        "the documents list (or index it with --password-file) to read it.",
        ProblemKind.NO_TEXT: "The file has no text layer (probably a scan or a picture) and reading scanned "
        "pages is turned off. Turn on \u201cRead scanned pages and images (OCR)\u201d in Settings and add it again.",
        ProblemKind.EMPTY: "The file is empty: there is no text to index.",
        ProblemKind.CORRUPT: "The file is damaged or incomplete and cannot be read.",
        ProblemKind.WRONG_TYPE: "The file is not really the type its name says.",
        ProblemKind.LEGACY: "This is an old format QwenRAG cannot read (such as Microsoft Works or "
        "WordPerfect). Save it as .docx, .xlsx or .pdf and add it again.",
        ProblemKind.UNSUPPORTED: "This type of file is not supported.",
        ProblemKind.TOO_LARGE: "The file is too large to index.",
        ProblemKind.BOMB: "The file looks unsafe (it expands to an enormous size or references outside "
        "content) and was not opened.",
        ProblemKind.TIMEOUT: "Reading the file took too long and was stopped.",
        ProblemKind.UNREADABLE: "The file could not be opened (it may have moved, or you may not have "
        "permission to read it).",
        ProblemKind.MISSING_LIBRARY: "A program library QwenRAG needs for this type of file is missing: "
        "{module}. Reinstall QwenRAG.",
        ProblemKind.INTERNAL: "QwenRAG could not read this file because of an internal error (a bug in "
        "QwenRAG, not a problem with the file). Copy the details and report them.",
    },
    "zh": {
        ProblemKind.ENCRYPTED: "文件设有密码保护。请在文档列表中对它选择“输入密码…”（或用 --password-file 索引）后读取。",
        ProblemKind.NO_TEXT: "文件没有文字层（可能是扫描件或图片），而文字识别已关闭。请在设置中打开“识别扫描页和图片中的文字（OCR）”后重新添加。",
        ProblemKind.EMPTY: "文件是空的，没有可索引的文字。",
        ProblemKind.CORRUPT: "文件已损坏或不完整，无法读取。",
        ProblemKind.WRONG_TYPE: "文件的实际类型与扩展名不符。",
        ProblemKind.LEGACY: "这是 QwenRAG 无法读取的旧格式（如 Microsoft Works 或 WordPerfect）。请另存为 .docx、.xlsx 或 .pdf 后再添加。",
        ProblemKind.UNSUPPORTED: "不支持这种类型的文件。",
        ProblemKind.TOO_LARGE: "文件太大，无法索引。",
        ProblemKind.BOMB: "文件看起来不安全（解压后体积异常巨大或引用外部内容），未打开。",
        ProblemKind.TIMEOUT: "读取文件用时过长，已停止。",
        ProblemKind.UNREADABLE: "无法打开文件（可能已被移动，或没有读取权限）。",
        ProblemKind.MISSING_LIBRARY: "缺少 QwenRAG 读取此类文件所需的程序库：{module}。请重新安装 QwenRAG。",
        ProblemKind.INTERNAL: "由于内部错误（QwenRAG 自身的缺陷，而不是文件的问题），QwenRAG 无法读取此文件。"
        "请复制详细信息并报告。",
    },
}


_WRONG_PASSWORD = {
    "en": "The password did not open the file. Check it and try again.",
    "zh": "密码无法打开此文件。请检查后重试。",
}


def wrong_password_message(language: str | None = None) -> str:
    """For a password-protected file whose given password was wrong (still an ENCRYPTED problem)."""
    lang = language or current_language()
    return _WRONG_PASSWORD.get(lang, _WRONG_PASSWORD["en"])


def current_language() -> str:
    """'zh' or 'en': QWENRAG_LANG first, then the system locale."""
    lang = os.environ.get("QWENRAG_LANG", "")
    if not lang:
        for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
            lang = os.environ.get(var, "")
            if lang:
                break
    if not lang:
        try:
            lang = locale.getlocale()[0] or ""
        except ValueError:
            lang = ""
    return "zh" if lang.lower().startswith("zh") else "en"


def problem_message(kind: ProblemKind, language: str | None = None, *, module: str = "") -> str:
    """The sentence for `kind`; `module` names the missing library (MISSING_LIBRARY)."""
    lang = language or current_language()
    text = _MESSAGES.get(lang, _MESSAGES["en"])[kind]
    return text.replace("{module}", module or "?")
