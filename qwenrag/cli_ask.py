"""`qwenrag ask` and `qwenrag chat`: answers from the library with a local model, in the terminal.

`ask --json` prints one object (a contract checked from outside):
    {"answer", "found", "citations": [{"n", "file", "location", "text"}], "sources": [same shape],
     "quotes": [{"n", "file", "location", "text", "start", "end"}], "grounded": true | false | null,
     "model_answer", "model": {"path", "name", "demo"}, "timings": {"load_s", "retrieval_ms",
     "prompt_tokens", "ttft_s", "decode_tokens", "decode_tok_s"}}
`ask -` reads one question per line and prints one such object per line (each question on its own);
`chat --json` reads turns from stdin and prints one per turn (one conversation). `--no-model` answers with
the quotes or "not found" and loads no model. In the terminal the quotes are printed first, the model's
text after them, marked as checked against the passages or not.
Nothing here touches the network; the model is loaded only when an answer needs it (a question the
documents cannot answer is reported without it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from qwenrag import settings as settings_mod
from qwenrag.citations import Passage
from qwenrag.engine import Engine
from qwenrag.models import ModelInfo, find_model
from qwenrag.pipeline import AnswerResult, Conversation, Done, Event, Pipeline, Retrieved, Status, Token

EXIT_OK, EXIT_FATAL = 0, 1
_QUIT = {"exit", "quit", "/exit", "/quit", "/q", ":q"}
_NEW = {"/new", "/reset", "/clear"}


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def register(sub: Any, library_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("ask", help="answer a question from the library with the local model")
    p.add_argument("question", metavar="QUESTION", help='the question; "-" reads one question per line from stdin')
    library_arg(p)
    _model_args(p)
    p.add_argument("-k", type=_positive, default=None, help="passages to give the model (default: settings, 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object when the answer is complete")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="an interactive conversation with follow-up questions (/new, exit)")
    library_arg(p)
    _model_args(p)
    p.add_argument("-k", type=_positive, default=None, help="passages per answer")
    p.add_argument("--json", action="store_true", help="one JSON object per turn (turns read from stdin)")
    p.set_defaults(func=cmd_chat)


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH", help="a GGUF model file (default: settings, QWENRAG_MODEL, "
                   "the models folder, then the demo model)")
    p.add_argument("--threads", type=_positive, default=None, help="CPU threads (default: automatic)")
    p.add_argument("--ctx", type=_positive, default=None, help="context size in tokens (default 4096)")
    p.add_argument("--no-documents", action="store_true", help="plain assistant: do not search the library")
    p.add_argument("--no-model", action="store_true", help="answer with the documents' own words (quotes) or "
                   "\"not found\" only; no model is loaded")


def _pipeline(args: argparse.Namespace, library: Any) -> tuple[Pipeline, ModelInfo | None]:
    s = settings_mod.load()
    if args.no_model:
        return Pipeline(library, settings=s), None
    info = find_model(args.model, s)  # fails early (exit 1) when there is no model at all
    n_ctx = args.ctx or s.context_size
    threads = args.threads or s.threads or None

    def load() -> Engine:
        return Engine(info, n_ctx=n_ctx, n_threads=threads)

    return Pipeline(library, settings=s, load_engine=load), info


def _open_library(args: argparse.Namespace) -> Any:
    from indexing.library import Library

    return Library.open(args.library)


def _where(p: Passage) -> str:
    where = p.location.describe()
    return f"{p.file} — {where}" if where else p.file


def _print_sources(result: AnswerResult, out: TextIO) -> None:
    if not result.sources:
        return
    cited = {c.n for c in result.citations}
    title = "Sources:" if result.found or result.mode == "documents" else "Nearest passages:"
    print(f"\n{title}", file=out)
    for p in result.sources:
        mark = "*" if p.n in cited else " "
        print(f"{mark}[{p.n}] {_where(p)}", file=out)
        if not result.found:
            snippet = " ".join(p.text.split())[:160]
            print(f"     {snippet}", file=out)


def _demo_note(info: ModelInfo) -> str:
    from qwenrag.models import QWEN_MODEL_FILE
    from qwenrag.paths import models_dir

    return (f"note: using the small demo model {info.path.name}; for real answers put {QWEN_MODEL_FILE} "
            f"in {models_dir()}")


def _print_quotes(quotes: Any, out: TextIO) -> None:
    if not quotes:
        return
    print("From your documents:", file=out)
    for q in quotes:
        print(f"  [{q.n}] {' '.join(q.text.split())}\n      — {_where(q.passage)}", file=out)
    out.flush()


def _stream(events: Iterator[Event], out: TextIO, err: TextIO, show: bool) -> AnswerResult | None:
    """Print as it comes: the quotes (before the model loads), then the model's text, labelled."""
    result: AnswerResult | None = None
    labelled = False
    quotes: Any = ()
    try:
        for event in events:
            if isinstance(event, Status) and show:
                print(event.message, file=err, flush=True)
            elif isinstance(event, Retrieved):
                quotes = event.quotes
                if show and event.found:
                    _print_quotes(event.quotes, out)
            elif isinstance(event, Token) and show:
                if quotes and not labelled:
                    out.write("\nThe model's answer (checked against the passages when it is done):\n")
                    labelled = True
                out.write(event.text)
                out.flush()
            elif isinstance(event, Done):
                result = event.result
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()  # Ctrl-C or a broken pipe: stop the model now
    if show and result is not None and result.model_text is not None and result.mode == "documents":
        out.write("\n" + _verdict(result) + "\n")
    return result


def _verdict(result: AnswerResult) -> str:
    if result.model is not None and result.model.demo:
        return ("(written by a small demo model: not an answer. The quote above is what the documents say; "
                "choose a better model for real answers.)")
    if result.grounded:
        return f"(backed by the passages it cites: {result.answer})" if result.answer != result.model_text \
            else "(backed by the passages it cites)"
    return "(not backed by the passages: not an answer. The quote above is what the documents say.)"


def _payload(result: AnswerResult, info: ModelInfo | None) -> dict[str, Any]:
    payload = result.to_json()
    if payload["model"] is None and info is not None:  # not found without loading: name the model anyway
        payload["model"] = info.to_json()
    return payload


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _ask_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"k": args.k, "use_documents": False if args.no_documents else None, "use_model": not args.no_model}


def cmd_ask(args: argparse.Namespace) -> int:
    if args.question == "-":
        return _ask_lines(args)
    with _open_library(args) as library:
        pipeline, info = _pipeline(args, library)
        try:
            if info is not None and info.demo and not args.json:
                print(_demo_note(info), file=sys.stderr)
            events = pipeline.ask(args.question, **_ask_kwargs(args))
            result = _stream(events, sys.stdout, sys.stderr, show=not args.json)
        finally:
            if pipeline.engine_loaded:
                pipeline.engine.close()
    if result is None:
        return EXIT_FATAL
    if args.json:
        _emit(_payload(result, info))
        return EXIT_OK
    print(file=sys.stdout)
    _print_sources(result, sys.stdout)
    return EXIT_OK


def _ask_lines(args: argparse.Namespace) -> int:
    """`ask -`: every line of stdin is a question of its own (no conversation between them)."""
    with _open_library(args) as library:
        pipeline, info = _pipeline(args, library)
        try:
            for line in sys.stdin:
                question = line.strip()
                if not question:
                    continue
                result = _stream(pipeline.ask(question, **_ask_kwargs(args)), sys.stdout, sys.stderr,
                                 show=not args.json)
                if result is None:
                    return EXIT_FATAL
                if args.json:
                    _emit(_payload(result, info))
                else:
                    print()
                    _print_sources(result, sys.stdout)
        finally:
            if pipeline.engine_loaded:
                pipeline.engine.close()
    return EXIT_OK


def _questions(lines: Iterable[str], conv: Conversation, on_new: Callable[[], None] = lambda: None) -> Iterator[str]:
    """A chat's questions: blank lines skipped, an exit word ends it, /new starts a new conversation."""
    for line in lines:
        question = line.strip()
        if not question:
            continue
        if question.lower() in _QUIT:
            return
        if question.lower() in _NEW:
            conv.reset()
            on_new()
            continue
        yield question


def _typed_lines() -> Iterator[str]:
    """Lines typed at the prompt until Ctrl-D or Ctrl-C."""
    while True:
        try:
            yield input("\n> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return


def _chat_json(args: argparse.Namespace, conv: Conversation, info: ModelInfo | None) -> int:
    """`chat --json`: turns from stdin, one JSON object per turn, one conversation ("/new" starts another)."""
    for question in _questions(sys.stdin, conv):
        result = _stream(conv.ask(question, **_ask_kwargs(args)), sys.stdout, sys.stderr, show=False)
        if result is None:
            return EXIT_FATAL
        _emit(_payload(result, info))
    return EXIT_OK


def _chat_terminal(args: argparse.Namespace, pipeline: Pipeline, conv: Conversation, info: ModelInfo | None) -> int:
    name = info.name if info is not None else "none (quotes only)"
    print(f"Model: {name}. Ask a question; /new starts a new conversation; exit or Ctrl-D quits.")
    if info is not None and info.demo:
        print(_demo_note(info), file=sys.stderr)
    if pipeline.library_empty() and not args.no_documents:
        print("(The library is empty: answering as a plain assistant. Add documents with `qwenrag index`.)")
    for question in _questions(_typed_lines(), conv, on_new=lambda: print("(new conversation)")):
        try:
            result = _stream(conv.ask(question, **_ask_kwargs(args)), sys.stdout, sys.stderr, show=True)
        except KeyboardInterrupt:
            print("\n(stopped)")
            continue
        print()
        if result is not None:
            _print_sources(result, sys.stdout)
    return EXIT_OK


def cmd_chat(args: argparse.Namespace) -> int:
    with _open_library(args) as library:
        pipeline, info = _pipeline(args, library)
        conv: Conversation = pipeline.conversation()
        try:
            if args.json:
                return _chat_json(args, conv, info)
            return _chat_terminal(args, pipeline, conv, info)
        finally:
            if pipeline.engine_loaded:
                pipeline.engine.close()
