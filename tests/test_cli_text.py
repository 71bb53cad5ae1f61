"""`qwenrag text FILE`: a document's passages as indexed, with their locations (and --json)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli, write_text


def test_text_prints_the_passages_as_indexed(shared_dir: Path, tmp_path: Path) -> None:
    lib = str(tmp_path / "lib")
    deck = shared_dir / "pptx" / "textract-tests" / "raw_text.pptx"
    note = write_text(tmp_path / "docs", "leave.md", "# Leave\n\nEmployees get 15 days of annual leave.\n")
    assert run_cli("index", str(deck), str(note), "--library", lib).returncode == 0

    out = run_cli("text", str(deck), "--library", lib, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["file"] == str(deck) and data["status"] == "indexed" and data["reason"] is None
    passages = data["passages"]
    assert [p["n"] for p in passages] == list(range(1, len(passages) + 1))
    assert {p["location"]["slide"] for p in passages} == {1, 2, 3}
    assert passages[0]["location"] == {"slide": 1, "title": "I love PowerPoint. A lot."}
    assert passages[0]["text"].startswith("I love PowerPoint. A lot.\nIt is lovely.")
    assert passages[-1]["location"] == {"slide": 3, "title": "Hipsum II"}

    human = run_cli("text", str(note), "--library", lib)
    assert human.returncode == 0
    assert human.stdout.startswith("[1] lines 1-3\nLeave\nEmployees get 15 days of annual leave.")

    missing = run_cli("text", str(tmp_path / "nowhere.pdf"), "--library", lib)
    assert missing.returncode == 1 and "not in the library" in missing.stderr


def test_text_of_a_file_that_failed_says_why(tmp_path: Path) -> None:
    lib = str(tmp_path / "lib")
    broken = tmp_path / "broken.doc"
    broken.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    run_cli("index", str(broken), "--library", lib)
    out = run_cli("text", str(broken), "--library", lib, "--json")
    data = json.loads(out.stdout)
    assert data["status"] == "failed" and data["passages"] == [] and "damaged" in data["reason"]
    human = run_cli("text", str(broken), "--library", lib)
    assert "no passages (failed" in human.stdout
