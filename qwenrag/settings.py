"""User settings: one JSON file in the config folder.

    s = settings.load()                       # never fails: defaults (and a warning) for a bad file
    settings.save(replace(s, top_k=8))        # atomic: temporary file + os.replace; SettingsError if not

Keys this version does not know are kept and written back, so a newer version's settings survive a
round trip through an older one. Values of the wrong type or out of range fall back to the default for
that field alone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from qwenrag import paths
from qwenrag.errors import SettingsError

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
AnswerLanguage = Literal["auto", "zh", "en"]
UiLanguage = Literal["auto", "zh_CN", "en"]
_ANSWER_LANGUAGES = ("auto", "zh", "en")
_UI_LANGUAGES = ("auto", "zh_CN", "en")


@dataclass(frozen=True)
class Settings:
    model_path: str | None = None  # None: discover (models folder, then the demo model)
    threads: int = 0  # 0: automatic (physical cores, fewer when other programs compete)
    context_size: int = 4096  # Qwen2.5-0.5B: 4096 tokens cost ~50 MB of KV cache, fine on any laptop
    temperature: float = 0.2  # low: answers should stick to the passages
    top_k: int = 5  # passages per answer
    answer_language: AnswerLanguage = "auto"
    ui_language: UiLanguage = "auto"
    use_documents: bool = True
    max_answer_tokens: int = 512
    ocr: bool = True  # read scanned pages and image files with OCR while indexing
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # unknown keys, preserved

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "extra"}
        return {**self.extra, **data}


def settings_path() -> Path:
    return paths.config_dir() / SETTINGS_FILE


def _valid(name: str, value: Any, default: Any) -> bool:
    if name == "model_path":
        return value is None or isinstance(value, str)
    if name == "answer_language":
        return value in _ANSWER_LANGUAGES
    if name == "ui_language":
        return value in _UI_LANGUAGES
    if name in ("use_documents", "ocr"):
        return isinstance(value, bool)
    if isinstance(value, bool):  # bool is an int: reject it for numeric fields
        return False
    if name == "temperature":
        return isinstance(value, (int, float)) and 0.0 <= value <= 2.0
    if name == "threads":
        return isinstance(value, int) and 0 <= value <= 256
    if name == "context_size":
        return isinstance(value, int) and 512 <= value <= 131072
    if name == "top_k":
        return isinstance(value, int) and 1 <= value <= 50
    if name == "max_answer_tokens":
        return isinstance(value, int) and 16 <= value <= 8192
    return isinstance(value, type(default))


def from_json(data: Any) -> Settings:
    """Settings from parsed JSON; anything unusable becomes the default (logged, never raised)."""
    if not isinstance(data, dict):
        log.warning("settings: expected a JSON object, got %s; using defaults", type(data).__name__)
        return Settings()
    defaults = Settings()
    known = {f.name for f in fields(Settings)} - {"extra"}
    values: dict[str, Any] = {}
    for name in known:
        if name not in data:
            continue
        value = data[name]
        if name == "model_path" and value == "":
            value = None
        if _valid(name, value, getattr(defaults, name)):
            values[name] = float(value) if name == "temperature" else value
        else:
            log.warning("settings: ignoring %s=%r (invalid); using %r", name, value, getattr(defaults, name))
    extra = {k: v for k, v in data.items() if k not in known}
    return Settings(**values, extra=extra)


def load(path: Path | None = None) -> Settings:
    """The saved settings, or defaults when there is no file or it cannot be read (with a warning)."""
    target = path or settings_path()
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        log.warning("settings: cannot read %s (%s); using defaults", target, exc)
        return Settings()
    try:
        data = json.loads(text)
    except ValueError as exc:
        log.warning("settings: %s is not valid JSON (%s); using defaults", target, exc)
        return Settings()
    return from_json(data)


def save(settings: Settings, path: Path | None = None) -> Path:
    """Write atomically: a crash leaves either the old file or the new one, never half of one."""
    target = path or settings_path()
    payload = json.dumps(settings.to_json(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise SettingsError(f"The settings cannot be saved in {target.parent}: {exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise SettingsError(f"The settings cannot be saved to {target}: {exc}") from exc
        raise
    return target
