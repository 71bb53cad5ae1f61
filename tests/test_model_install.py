"""A model a person brings: checked, copied into the models folder; and its system prompt warmed up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qwenrag import models
from qwenrag.errors import ModelError
from qwenrag.models import InstallProgress, install_model
from tests.model_fixtures import demo_model, sample_library_dir  # noqa: F401  (fixture)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _installed(steps: list[InstallProgress]) -> models.ModelInfo:
    assert steps[-1].model is not None and all(s.model is None for s in steps[:-1])
    return steps[-1].model


def test_a_real_gguf_is_copied_into_the_models_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = demo_model()
    monkeypatch.setattr(models, "COPY_CHUNK", 16 << 20)
    folder = tmp_path / "models"
    steps = list(install_model(src, folder))
    info = _installed(steps)
    assert info.path == folder / src.name and info.path.read_bytes() == src.read_bytes()
    assert info.size_bytes == src.stat().st_size and info.demo
    copied = [s.copied for s in steps[:-1]]
    assert copied == sorted(copied) and copied[-1] == src.stat().st_size and len(copied) >= 6
    assert sorted(p.name for p in folder.iterdir()) == [src.name]  # no .part left behind
    again = list(install_model(src, folder))  # the same file again: no second copy
    assert len(again) == 1 and _installed(again).path == info.path
    assert sorted(p.name for p in folder.iterdir()) == [src.name]


def test_a_different_file_with_the_same_name_gets_its_own_name(tmp_path: Path) -> None:
    src = demo_model()
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / src.name).write_bytes(b"someone else's file")
    info = _installed(list(install_model(src, folder)))
    assert info.path.name == src.stem + "-2.gguf"
    assert (folder / src.name).read_bytes() == b"someone else's file"


def test_closing_mid_copy_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "COPY_CHUNK", 4 << 20)
    folder = tmp_path / "models"
    steps = install_model(demo_model(), folder)
    first = next(steps)
    assert 0 < first.copied < first.total
    steps.close()
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(("content", "message"), [
    (b"<html>404 Not Found</html>" * 20, "is not a GGUF model file"),  # a download that went wrong
    (b"", "is empty"),
])
def test_garbage_is_refused_with_a_clear_message(tmp_path: Path, content: bytes, message: str) -> None:
    bad = tmp_path / "qwen2.5-0.5b-instruct-q4_k_m.gguf"
    bad.write_bytes(content)
    folder = tmp_path / "models"
    with pytest.raises(ModelError) as err:
        list(install_model(bad, folder))
    assert message in err.value.message and bad.name in err.value.message
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_truncated_download_is_refused(tmp_path: Path) -> None:
    src = demo_model()
    cut = tmp_path / "SmolLM2-half.gguf"
    with open(src, "rb") as f:
        cut.write_bytes(f.read(src.stat().st_size // 2))
    with pytest.raises(ModelError) as err:
        list(install_model(cut, tmp_path / "models"))
    assert "truncated" in err.value.message


def test_a_file_that_is_not_named_gguf_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "model.bin"
    other.write_bytes(demo_model().read_bytes()[:1024])
    with pytest.raises(ModelError, match=r"model\.bin is not a GGUF model file"):
        list(install_model(other, tmp_path / "models"))


# -- warm-up: the system prompt is in the KV cache before the first question ------------------------------
@pytest.mark.model
def test_warm_up_puts_the_system_prompt_in_the_cache(sample_library_dir: Path) -> None:  # noqa: F811
    from indexing.library import Library
    from qwenrag.engine import Engine
    from qwenrag.pipeline import Done, Pipeline
    from qwenrag.prompt import SYSTEM_DOCS
    from qwenrag.settings import Settings

    question = next(q for q in json.loads((SAMPLES / "questions.json").read_text(encoding="utf-8"))
                    if q["id"] == "q11")["question"]  # English: the English system prompt
    system = [{"role": "system", "content": SYSTEM_DOCS["en"]}]
    lib = Library.open(sample_library_dir)
    engine = Engine(demo_model(), n_ctx=2048, n_threads=2)
    try:
        def first_answer() -> Any:
            pipe = Pipeline(lib, engine, settings=Settings(max_answer_tokens=4, temperature=0.0, top_k=2))
            events = list(pipe.conversation().ask(question))
            assert isinstance(events[-1], Done) and events[-1].result.found
            return events[-1].result.timings

        warmed = engine.warm_up(system)
        rendered = engine.format_chat(system, add_generation_prompt=False)
        assert warmed == engine._call(lambda llama: len(engine._prompt_tokens(llama, rendered)))
        assert warmed > engine.count_tokens(SYSTEM_DOCS["en"])  # the instructions and the turn's markers
        assert engine.warm_up(system) == 0  # already in the cache: nothing evaluated
        warm = first_answer()
        engine.reset_cache()
        cold = first_answer()
        assert cold.cached_tokens == 0
        assert warm.cached_tokens == warmed  # the first question did not evaluate the system prompt ...
        assert warm.prompt_tokens == cold.prompt_tokens - warmed  # ... only what follows it
    finally:
        engine.close()
        lib.close()
