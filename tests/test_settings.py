"""User settings: defaults, atomic save, unknown keys kept, bad files and values never crash."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest

from qwenrag import paths, settings
from qwenrag.errors import SettingsError
from qwenrag.settings import Settings


def test_defaults_without_a_file() -> None:
    s = settings.load()
    assert s == Settings()
    assert s.context_size == 4096 and s.top_k == 5 and s.use_documents and s.answer_language == "auto"
    assert settings.settings_path().parent == paths.config_dir()


def test_round_trip_keeps_unknown_keys() -> None:
    path = settings.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"top_k": 8, "future_option": {"a": 1}, "theme": "dark"}), encoding="utf-8")
    s = settings.load()
    assert s.top_k == 8 and s.extra == {"future_option": {"a": 1}, "theme": "dark"}
    settings.save(replace(s, temperature=0.5, ui_language="zh_CN"))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["future_option"] == {"a": 1} and data["theme"] == "dark"
    assert data["temperature"] == 0.5 and data["ui_language"] == "zh_CN" and data["top_k"] == 8
    assert settings.load().temperature == 0.5


def test_save_is_atomic_and_leaves_no_temp_files() -> None:
    target = settings.save(Settings(model_path="/m/qwen.gguf"))
    assert [p.name for p in target.parent.iterdir()] == [settings.SETTINGS_FILE]
    assert settings.load().model_path == "/m/qwen.gguf"


def test_a_failed_write_keeps_the_old_file(monkeypatch: pytest.MonkeyPatch) -> None:
    settings.save(Settings(top_k=3))

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as m:
        m.setattr(settings.os, "replace", boom)
        with pytest.raises(SettingsError, match="disk full"):
            settings.save(Settings(top_k=9))
    assert settings.load().top_k == 3
    assert len(list(settings.settings_path().parent.iterdir())) == 1


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "", "\x00\x01"])
def test_corrupt_file_gives_defaults_and_a_warning(content: str, caplog: pytest.LogCaptureFixture) -> None:
    path = settings.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="qwenrag.settings"):
        assert settings.load() == Settings()
    assert caplog.records


def test_bad_values_fall_back_one_by_one(caplog: pytest.LogCaptureFixture) -> None:
    path = settings.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"top_k": "many", "threads": -1, "temperature": 9, "answer_language": "fr",
                                "use_documents": "yes", "context_size": 8192, "model_path": ""}))
    with caplog.at_level(logging.WARNING, logger="qwenrag.settings"):
        s = settings.load()
    assert s.top_k == 5 and s.threads == 0 and s.temperature == 0.2 and s.answer_language == "auto"
    assert s.use_documents is True and s.context_size == 8192 and s.model_path is None
    assert len(caplog.records) == 5
