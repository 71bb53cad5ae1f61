"""Whose fault: a damaged file is the file's problem; our own bug is an internal error; a missing module is
named. Through the real parse path (indexing.ingest.parse_file) on real sample files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from indexing.errors import ProblemKind
from indexing.ingest import parse_file
from tests.conftest import SAMPLES_DIR


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("The office opens at nine.\n\nVisitors sign in at the front desk.\n", encoding="utf-8")
    return path


def test_a_bug_in_our_parser_is_an_internal_error_not_a_damaged_file(monkeypatch: pytest.MonkeyPatch,
                                                                     text_file: Path) -> None:
    import indexing.parsers.text as text_parser

    monkeypatch.setattr(text_parser, "_numbered", lambda _stream: iter([None]))  # our code then unpacks None
    problem = parse_file(str(text_file)).problem
    assert problem is not None
    kind, message, detail = problem
    assert kind == ProblemKind.INTERNAL.value
    assert "internal error" in message and "damaged" not in message
    assert detail.startswith("TypeError") and "indexing/parsers/text.py:" in detail  # where, for the report


def test_an_exception_inside_a_library_is_still_the_files_problem(monkeypatch: pytest.MonkeyPatch,
                                                                  text_file: Path) -> None:
    import textwrap

    import indexing.parsers.text as text_parser

    # A TypeError raised inside library code (here the standard library) while reading the file.
    monkeypatch.setattr(text_parser, "_numbered", lambda _stream: iter(textwrap.dedent(None)))  # type: ignore[arg-type]
    kind, message, _detail = parse_file(str(text_file)).problem or ("", "", "")
    assert kind == ProblemKind.CORRUPT.value and "damaged" in message


def test_a_missing_library_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = SAMPLES_DIR / "员工手册_Employee_Handbook.pdf"
    if not pdf.is_file():
        pytest.skip("samples/ has not been generated")
    monkeypatch.setitem(sys.modules, "pypdfium2", None)  # `import pypdfium2` now raises ImportError
    monkeypatch.delitem(sys.modules, "indexing.parsers.pdf", raising=False)
    kind, message, detail = parse_file(str(pdf)).problem or ("", "", "")
    assert kind == ProblemKind.MISSING_LIBRARY.value
    assert "pypdfium2" in message and "not supported" not in message
    assert "ImportError" in detail or "ModuleNotFoundError" in detail


def test_the_chinese_messages_exist_for_the_new_kinds() -> None:
    from indexing.messages import problem_message

    assert "内部错误" in problem_message(ProblemKind.INTERNAL, "zh")
    assert "pypdfium2" in problem_message(ProblemKind.MISSING_LIBRARY, "zh", module="pypdfium2")
