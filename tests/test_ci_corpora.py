"""Issue 11, part 7: CI sees the corpora. Without ../shared/corpora the tests that need it are errors, not
quiet skips, unless a developer opts out (QWENRAG_SKIP_SHARED=1), and then the skip count is printed;
.ci/run refuses to start without the corpora."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT

_NEEDS_CORPUS = '''
def test_reads_the_corpus(shared_dir):
    assert (shared_dir / "qa").is_dir()


def test_needs_nothing():
    assert True
'''


def _project_without_corpora(tmp_path: Path) -> Path:
    """A copy of the test setup where ../shared/corpora does not exist beside the project."""
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "tests" / "conftest.py", project / "tests" / "conftest.py")
    (project / "tests" / "__init__.py").write_text("")
    (project / "tests" / "test_corpus.py").write_text(_NEEDS_CORPUS)
    assert not (tmp_path / "shared").exists()
    return project


def _pytest(project: Path, skip_shared: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "QWENRAG_SKIP_SHARED"}
    if skip_shared is not None:
        env["QWENRAG_SKIP_SHARED"] = skip_shared
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)


def test_a_missing_corpus_is_an_error_not_a_skip(tmp_path: Path) -> None:
    result = _pytest(_project_without_corpora(tmp_path), None)
    assert result.returncode == 1, result.stdout
    assert "1 passed, 1 error" in result.stdout
    assert "QWENRAG_SKIP_SHARED=1" in result.stdout


def test_opting_out_skips_and_says_how_many(tmp_path: Path) -> None:
    result = _pytest(_project_without_corpora(tmp_path), "1")
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 skipped" in result.stdout
    assert "1 tests skipped because ../shared/corpora is absent (QWENRAG_SKIP_SHARED=1)" in result.stdout


def test_ci_run_fails_without_the_corpora(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".ci").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / ".ci" / "run", project / ".ci" / "run")
    (project / "scripts").mkdir()
    setup = project / "scripts" / "setup.sh"  # would record that CI went on to install and test
    setup.write_text(f"#!/usr/bin/env bash\ntouch {tmp_path / 'went-on'}\n")
    setup.chmod(0o755)
    result = subprocess.run(["bash", str(project / ".ci" / "run")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "../shared/corpora is missing" in result.stderr
    assert not (tmp_path / "went-on").exists()
