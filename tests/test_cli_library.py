"""The command line's contract: --json shapes and exit codes of index, search, docs, remove."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import json_lines, run_cli, write_text


def test_index_search_docs_remove_json_contract(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    good = write_text(docs, "leave.txt", "Annual leave\n\nEmployees get 15 days of annual leave per year.\n")
    write_text(docs, "notes.key", "a Keynote file: not a type we read")
    lib = str(tmp_path / "lib")

    out = run_cli("index", str(docs), "--library", lib, "--json")
    assert out.returncode == 0, out.stderr
    rows = {Path(r["file"]).name: r for r in json_lines(out.stdout)}
    assert set(rows) == {"leave.txt", "notes.key"}
    for row in rows.values():
        assert set(row) == {"file", "status", "chunks", "reason", "detail"}
        assert Path(row["file"]).is_absolute()
    assert rows["leave.txt"]["status"] == "indexed" and rows["leave.txt"]["chunks"] >= 1
    assert rows["leave.txt"]["reason"] is None
    assert rows["notes.key"]["status"] == "skipped" and rows["notes.key"]["reason"]

    again = json_lines(run_cli("index", str(good), "--library", lib, "--json").stdout)
    assert [r["status"] for r in again] == ["unchanged"]

    out = run_cli("search", "how many days of annual leave", "--library", lib, "-k", "3", "--json")
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert isinstance(hits, list) and hits
    first = hits[0]
    assert set(first) == {"rank", "score", "file", "location", "text"}
    assert first["rank"] == 1 and first["file"] == str(good.resolve())
    assert first["location"] == {"lines": [3, 3]} or first["location"]["lines"][0] <= 3 <= first["location"]["lines"][1]
    assert "15 days" in first["text"]

    out = run_cli("search", "-", "--library", lib, "--json", stdin="annual leave\n\nnothing like this zzzz\n")
    batches = json_lines(out.stdout)
    assert len(batches) == 2 and batches[0] and batches[1] == []

    docs_out = json.loads(run_cli("docs", "--library", lib, "--json").stdout)
    assert [Path(d["file"]).name for d in docs_out] == ["leave.txt"]

    out = run_cli("remove", str(good), "--library", lib)
    assert out.returncode == 0 and "1 documents removed" in out.stdout
    assert json.loads(run_cli("search", "annual leave", "--library", lib, "--json").stdout) == []


def test_human_output_and_exit_codes(tmp_path: Path) -> None:
    docs = tmp_path / "d"
    write_text(docs, "a.txt", "alpha beta gamma\n")
    (docs / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    lib = str(tmp_path / "lib")
    out = run_cli("index", str(docs), "--library", lib)
    assert out.returncode == 0
    assert "indexed" in out.stdout and "a.txt" in out.stdout
    assert "old.doc" in out.stdout and "damaged" in out.stdout  # an OLE2 header over zeros: no directory

    assert run_cli("search").returncode == 2  # missing query: usage error
    assert run_cli("search", "x", "-k", "0", "--library", lib).returncode == 2
    assert run_cli("frobnicate").returncode == 2

    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    out = run_cli("search", "x", "--library", str(blocker / "lib"))
    assert out.returncode == 1
    assert len(out.stderr.strip().splitlines()) == 1
