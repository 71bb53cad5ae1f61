"""`qwenrag ask` and `qwenrag chat`: the --json contract, streaming output, errors, the chat loop."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qwenrag import settings
from qwenrag.cli import main
from tests.helpers import json_lines, run_cli
from tests.model_fixtures import demo_model_path, sample_library_dir  # noqa: F401  (fixtures)
from tests.network_guard import no_network  # noqa: F401  (fixture)

ENTRY_SHAPE = {"n", "file", "location", "text"}
QUOTE_SHAPE = ENTRY_SHAPE | {"start", "end"}
KEYS = {"answer", "found", "citations", "sources", "model", "timings", "quotes", "grounded", "model_answer"}
TIMINGS = {"load_s", "retrieval_ms", "prompt_tokens", "ttft_s", "decode_tokens", "decode_tok_s"}


@pytest.fixture(autouse=True)
def _short_answers() -> None:
    """Short, greedy answers: the tests check plumbing, not prose (the user config dir is per-test)."""
    settings.save(settings.Settings(max_answer_tokens=24, temperature=0.0, top_k=3))


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict[str, Any], str]:
    code = main(argv)
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, f"--json prints exactly one line: {out!r}"
    return code, json.loads(lines[0]), err


@pytest.mark.model
def test_ask_json_contract(capsys: pytest.CaptureFixture[str], sample_library_dir: Path,  # noqa: F811
                           demo_model_path: Path, no_network: Any) -> None:  # noqa: F811
    code, data, _err = _json(capsys, ["ask", "How often do I have to change my password?", "--library",
                                      str(sample_library_dir), "--json", "-k", "3"])
    assert code == 0
    assert set(data) == KEYS
    assert data["found"] is True and data["quotes"] and all(set(q) == QUOTE_SHAPE for q in data["quotes"])
    top = data["quotes"][0]
    assert any("every 90 days" in q["text"] for q in data["quotes"])
    assert Path(top["file"]).name == "IT_Security_Policy.docx"
    # the demo model's text is never the answer: the best quote is, with its [n]
    assert isinstance(data["grounded"], bool) and isinstance(data["model_answer"], str)
    assert data["answer"] == f"{top['text']} [{top['n']}]"
    assert data["sources"] and all(set(s) == ENTRY_SHAPE for s in data["sources"])
    assert all(set(c) == ENTRY_SHAPE for c in data["citations"])
    assert {c["n"] for c in data["citations"]} <= {s["n"] for s in data["sources"]}
    assert len(data["sources"]) <= 3
    assert any(Path(s["file"]).name == "IT_Security_Policy.docx"
               and s["location"].get("heading", "").startswith("3 Passwords") for s in data["sources"])
    assert data["model"] == {"path": str(demo_model_path), "name": f"{demo_model_path.name} (demo)", "demo": True}
    assert set(data["timings"]) == TIMINGS
    assert data["timings"]["prompt_tokens"] > 0 and data["timings"]["decode_tokens"] > 0
    assert data["timings"]["load_s"] > 0 and data["timings"]["ttft_s"] > 0


def test_ask_json_not_found(capsys: pytest.CaptureFixture[str], sample_library_dir: Path,  # noqa: F811
                            no_network: Any) -> None:  # noqa: F811
    code, data, _err = _json(capsys, ["ask", "员工食堂几点开始供应午餐？", "--library", str(sample_library_dir),
                                      "--json"])
    assert code == 0
    assert data["found"] is False and data["citations"] == []
    assert "没有找到" in data["answer"]
    assert data["sources"] and all(set(s) == ENTRY_SHAPE for s in data["sources"])  # the nearest passages
    assert data["model"]["demo"] is True  # named, though not loaded
    assert data["timings"]["prompt_tokens"] == 0 and data["timings"]["load_s"] == 0


@pytest.mark.model
def test_ask_streams_then_lists_sources(capsys: pytest.CaptureFixture[str],
                                        sample_library_dir: Path) -> None:  # noqa: F811
    code = main(["ask", "What is the response time for a P1 security incident?", "--library",
                 str(sample_library_dir)])
    out, err = capsys.readouterr()
    assert code == 0
    answer, _, sources = out.partition("\nSources:\n")
    assert answer.strip() and sources
    first = sources.splitlines()[0]
    assert first.lstrip("* ").startswith("[1] ") and " — " in first
    assert "IT_Security_Policy.docx" in sources
    assert "demo model" in err


def test_ask_not_found_lists_nearest_passages(capsys: pytest.CaptureFixture[str],
                                              sample_library_dir: Path) -> None:  # noqa: F811
    assert main(["ask", "What is the dress code on Fridays?", "--library", str(sample_library_dir)]) == 0
    out, _err = capsys.readouterr()
    assert out.startswith("Not found in your documents")
    assert "Nearest passages:" in out


@pytest.mark.model
def test_ask_empty_library_is_a_plain_assistant(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, data, _err = _json(capsys, ["ask", "Say hello.", "--library", str(tmp_path / "lib"), "--json"])
    assert code == 0 and data["found"] is False and data["sources"] == [] and data["answer"]


def test_bad_model_paths_fail_with_a_message(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             sample_library_dir: Path) -> None:  # noqa: F811
    missing = tmp_path / "missing.gguf"
    assert main(["ask", "q?", "--library", str(tmp_path / "lib"), "--model", str(missing)]) == 1
    assert "does not exist" in capsys.readouterr().err
    junk = tmp_path / "junk.gguf"
    junk.write_text("not a model" * 100)
    assert main(["ask", "How often do I have to change my password?", "--library", str(sample_library_dir),
                 "--model", str(junk)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("qwenrag: ") and "not a GGUF" in err and "Traceback" not in err


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["ask", "q", "-k", "0"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["ask"])
    assert exc.value.code == 2


def _feed(monkeypatch: pytest.MonkeyPatch, lines: list[str]) -> None:
    it: Iterator[str] = iter(lines)

    def fake_input(prompt: str = "") -> str:
        try:
            return next(it)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(builtins, "input", fake_input)


@pytest.mark.model
def test_chat_follow_ups_new_and_exit(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                      sample_library_dir: Path) -> None:  # noqa: F811
    _feed(monkeypatch, ["How many days of annual leave do I get after ten years at Xinghe?",
                        "and after five years?", "/new", "What is the dress code on Fridays?", "", "exit",
                        "never read"])
    assert main(["chat", "--library", str(sample_library_dir)]) == 0
    out, _err = capsys.readouterr()
    assert out.count("Sources:") == 2
    assert "(new conversation)" in out
    assert "Not found in your documents" in out


def test_chat_ends_at_end_of_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                   tmp_path: Path) -> None:
    _feed(monkeypatch, [])
    assert main(["chat", "--library", str(tmp_path / "lib")]) == 0
    out, _err = capsys.readouterr()
    assert "Model:" in out and "library is empty" in out


@pytest.mark.model
def test_the_installed_entry_point_prints_pure_json(sample_library_dir: Path) -> None:  # noqa: F811
    # (the user folders are the test's own, with short answers saved by _short_answers)
    proc = run_cli("ask", "Where can I download the VPN client?", "--library", str(sample_library_dir), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == KEYS


def test_ask_without_a_model_answers_with_the_documents_words(capsys: pytest.CaptureFixture[str],
                                                             sample_library_dir: Path) -> None:  # noqa: F811
    code, data, _err = _json(capsys, ["ask", "公司的试用期是多长时间？", "--library", str(sample_library_dir),
                                      "--json", "--no-model"])
    assert code == 0 and set(data) == KEYS
    top = data["quotes"][0]
    assert "试用期为 3 个月" in top["text"] and Path(top["file"]).name == "员工手册_Employee_Handbook.pdf"
    assert top["location"] == {"page": 2}
    assert data["found"] is True and data["grounded"] is None and data["model_answer"] is None
    assert data["model"] is None and data["answer"] == f"{top['text']} [{top['n']}]"
    assert [c["n"] for c in data["citations"]] == [top["n"]]
    code, data, _err = _json(capsys, ["ask", "火星上有水吗？", "--library", str(sample_library_dir), "--json",
                                      "--no-model"])
    assert data["found"] is False and data["quotes"] == [] and "没有找到" in data["answer"]


def test_ask_without_a_model_prints_the_quotes_first(capsys: pytest.CaptureFixture[str],
                                                     sample_library_dir: Path) -> None:  # noqa: F811
    assert main(["ask", "How often do I have to change my password?", "--library", str(sample_library_dir),
                 "--no-model"]) == 0
    out, _err = capsys.readouterr()
    quotes, _, sources = out.partition("\nSources:\n")
    assert quotes.startswith("From your documents:\n  [") and "every 90 days" in quotes
    assert "IT_Security_Policy.docx" in sources


def test_ask_reads_one_question_per_line(sample_library_dir: Path) -> None:  # noqa: F811
    proc = run_cli("ask", "-", "--library", str(sample_library_dir), "--json", "--no-model",
                   stdin="公司的试用期是多长时间？\n\n火星上有水吗？\nHow often do I have to change my password?\n")
    assert proc.returncode == 0, proc.stderr
    rows = json_lines(proc.stdout)
    assert len(rows) == 3 and all(set(r) == KEYS for r in rows)
    assert "试用期为 3 个月" in rows[0]["quotes"][0]["text"]
    assert rows[1]["found"] is False  # each question on its own
    assert any("every 90 days" in q["text"] for q in rows[2]["quotes"])


def test_chat_json_reads_turns_from_stdin_as_one_conversation(sample_library_dir: Path) -> None:  # noqa: F811
    turns = ["How many days of annual leave do I get after ten years at Xinghe?", "火星上有水吗？",
             "How many days of annual leave do I get after ten years at Xinghe?", "and after five years?"]
    proc = run_cli("chat", "--json", "--no-model", "--library", str(sample_library_dir),
                   stdin="\n".join(turns) + "\n")
    assert proc.returncode == 0, proc.stderr
    rows = json_lines(proc.stdout)
    assert len(rows) == 4 and all(set(r) == KEYS for r in rows)
    assert rows[0]["found"] and "15" in rows[0]["quotes"][0]["text"]
    assert rows[1]["found"] is False  # off-topic after a relevant question: not carried by it
    assert rows[3]["found"] and "12" in " ".join(q["text"] for q in rows[3]["quotes"])  # the follow-up
