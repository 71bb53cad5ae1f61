"""The command line: `qwenrag index|search|docs|text|remove|repair|ask|chat|gui`.

The --json shapes are a contract that outside checks rely on (see README). Exit codes: 0 when the run
finished (per-file failures are reported, not fatal), 2 for usage errors, 1 for a fatal error with a
one-line message.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from indexing.errors import QwenragError
from indexing.library import Library
from indexing.records import IndexEvent

EXIT_OK, EXIT_FATAL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _library_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--library", metavar="DIR", help="library folder (default: QWENRAG_LIBRARY or the user data folder)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qwenrag", description="Offline document question answering with cited sources.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("index", help="add files and folders (recursively) to the library")
    p.add_argument("paths", nargs="+", metavar="PATH")
    _library_arg(p)
    p.add_argument("--json", action="store_true", help="one JSON object per file on standard output")
    p.add_argument("--workers", type=int, default=None, help="parsing processes (0: parse in this process)")
    p.add_argument("--force", action="store_true", help="re-index files even when unchanged")
    p.add_argument("--password-file", metavar="FILE",
                   help="a file whose first line is the password to try on password-protected files (not stored)")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("text", help="print a document's passages as indexed (location and text)")
    p.add_argument("file", metavar="FILE")
    _library_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_text)

    p = sub.add_parser("search", help="search the library; QUERY '-' reads one query per line from stdin")
    p.add_argument("query", metavar="QUERY")
    _library_arg(p)
    p.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("docs", help="list the documents in the library")
    _library_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("remove", help="remove files or folders from the library")
    p.add_argument("paths", nargs="+", metavar="PATH")
    _library_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("repair", help="rebuild the search index from the library's database")
    _library_arg(p)
    p.add_argument("--json", action="store_true", help="one JSON object with the result")
    p.set_defaults(func=cmd_repair)

    try:
        from qwenrag import cli_ask
    except ImportError:
        cli_ask = None  # type: ignore[assignment]
    if cli_ask is not None:
        cli_ask.register(sub, _library_arg)

    p = sub.add_parser("gui", help="open the window (the default with no command)")
    p.set_defaults(func=cmd_gui)
    return parser


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def cmd_index(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 0:
        raise _usage("--workers must be 0 or more")
    started = time.perf_counter()
    last_progress = 0.0
    show_progress = sys.stderr.isatty()
    password = _read_password(args.password_file) if args.password_file else None
    from indexing.limits import Limits
    from qwenrag import settings

    with Library.open(args.library, Limits(ocr=settings.load().ocr)) as lib:  # the window's OCR setting
        finished: IndexEvent | None = None
        _print_notices(lib)
        waited = False
        for event in lib.add(args.paths, workers=args.workers, force=args.force, password=password):
            if event.kind == "waiting" and not waited:
                waited = True
                print(f"qwenrag: {event.reason}", file=sys.stderr, flush=True)
            elif event.kind == "file_done":
                if args.json:
                    _print_json(event.to_json())
                else:
                    print(_human_line(event), flush=True)
            elif event.kind == "progress" and show_progress and time.monotonic() - last_progress > 0.5:
                last_progress = time.monotonic()
                total = f"/{event.units_total}" if event.units_total else ""
                print(f"  … {event.path}: {event.units_done}{total}", file=sys.stderr, flush=True)
            elif event.kind == "finished":
                finished = event
        if finished is not None:
            counts = finished.counts
            summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to do"
            print(f"{finished.files_total} files: {summary} ({time.perf_counter() - started:.1f} s)",
                  file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


def _read_password(name: str) -> str:
    """The first line of the file, without its line break (spaces are part of a password)."""
    try:
        with open(name, encoding="utf-8-sig") as fh:
            line = fh.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise _usage(f"cannot read the password file {name}: {exc}") from exc
    password = line.rstrip("\r\n")
    if not password:
        raise _usage(f"the password file {name} is empty: its first line must be the password")
    return password


def cmd_text(args: argparse.Namespace) -> int:
    from pathlib import Path

    path = Path(args.file).expanduser()
    path = path.resolve() if path.exists() else path.absolute()
    with Library.open(args.library) as lib:
        doc = lib.document(path)
        if doc is None:
            raise QwenragError(f"{path} is not in the library (add it with: qwenrag index {args.file})")
        passages = lib.passages(path)
    if args.json:
        _print_json({"file": doc.path, "status": doc.status, "reason": doc.error or None,
                     "passages": [{"n": n, "location": loc.to_json(), "text": text}
                                  for n, (loc, text) in enumerate(passages, 1)]})
        return EXIT_OK
    if not passages:
        print(f"{doc.path}: no passages ({doc.status}{': ' + doc.error if doc.error else ''})")
    for n, (loc, text) in enumerate(passages, 1):
        print(f"[{n}] {loc.describe() or '(whole document)'}\n{text}\n")
    return EXIT_OK


def _human_line(event: IndexEvent) -> str:
    if event.status == "indexed":
        return f"indexed    {event.path} ({event.chunks} passages)"
    if event.status == "unchanged":
        return f"unchanged  {event.path}"
    return f"{event.status:<10} {event.path}: {event.reason}"


def cmd_search(args: argparse.Namespace) -> int:
    if args.k <= 0:
        raise _usage("-k must be at least 1")
    with Library.open(args.library) as lib:
        queries = (line.rstrip("\n") for line in sys.stdin) if args.query == "-" else iter([args.query])
        for query in queries:
            if args.query == "-" and not query.strip():
                continue
            hits = lib.search(query, k=args.k)
            _print_notices(lib)
            if args.json:
                _print_json([h.to_search_json() for h in hits])
                continue
            if not hits:
                print(f"No passages found for: {query}")
            for h in hits:
                snippet = " ".join(h.text.split())[:160]
                print(f"{h.n}. [{h.score:.2f}] {h.file} — {h.location.describe()}\n   {snippet}")
    return EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    with Library.open(args.library) as lib:
        _print_notices(lib)
        docs = lib.documents()
    if args.json:
        _print_json([d.to_json() for d in docs])
        return EXIT_OK
    for d in docs:
        extra = f": {d.error}" if d.error else ""
        if d.update_failed:
            extra = f": its newer version failed ({d.error}); the previous version is still searchable"
        print(f"{d.status:<9} {d.chunks:>6} passages  {d.path}{extra}")
    print(f"{len(docs)} documents")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    with Library.open(args.library) as lib:
        removed = lib.remove(args.paths)
    if args.json:
        _print_json([{"file": d.path, "status": "removed"} for d in removed])
    else:
        for d in removed:
            print(f"removed    {d.path}")
        print(f"{len(removed)} documents removed")
    return EXIT_OK


def cmd_repair(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    show_progress = sys.stderr.isatty()
    with Library.open(args.library) as lib:
        _print_notices(lib)
        counts: dict[str, int] = {}
        waited = False
        for event in lib.repair():
            if event.kind == "waiting" and not waited:
                waited = True
                print(f"qwenrag: {event.reason}", file=sys.stderr, flush=True)
            elif event.kind == "repair" and show_progress and event.units_total:
                print(f"  … {event.units_done}/{event.units_total} passages", file=sys.stderr, flush=True)
            elif event.kind == "finished":
                counts = dict(event.counts)
        folder = str(lib.folder)
    seconds = round(time.perf_counter() - started, 2)
    if args.json:
        _print_json({"library": folder, "status": "repaired", "documents": counts.get("documents", 0),
                     "passages": counts.get("passages", 0), "seconds": seconds})
    else:
        print(f"Search index rebuilt: {counts.get('documents', 0)} documents, {counts.get('passages', 0)} "
              f"passages ({seconds:.1f} s)")
    return EXIT_OK


def _print_notices(lib: Library) -> None:
    """What the library did on its own (a rebuilt search index): on stderr, so --json output stays clean."""
    for message in lib.take_notices():
        print(f"qwenrag: {message}", file=sys.stderr, flush=True)


def cmd_gui(args: argparse.Namespace) -> int:
    from qwenrag.launcher import run_gui

    return run_gui(sys.argv[:1])


class _UsageError(Exception):
    pass


def _usage(message: str) -> _UsageError:
    return _UsageError(message)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--self-test"]:  # the installation's own check; packaging runs it after every build
        from qwenrag import selftest

        return selftest.main(argv[1:])
    parser = build_parser()
    if not argv:
        argv = ["gui"]
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except _UsageError as exc:
        print(f"qwenrag: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except QwenragError as exc:
        print(f"qwenrag: {exc}", file=sys.stderr)
        return EXIT_FATAL
    except KeyboardInterrupt:
        print("qwenrag: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
