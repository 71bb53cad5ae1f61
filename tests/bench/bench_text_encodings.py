"""How often is the encoding of a short Chinese text file guessed right?

    .venv/bin/python tests/bench/bench_text_encodings.py

Real passages from ../shared/corpora/qa (cmrc2018: Simplified, drcd: Traditional), cut to a few lengths,
encoded as GBK, Big5 (cp950), UTF-8 and UTF-16, and decoded again by charset-normalizer alone and by
indexing.parsers.text.detect_bytes_encoding. Right = the decoded text equals the original.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from charset_normalizer import from_bytes  # noqa: E402

from indexing.parsers.text import detect_bytes_encoding  # noqa: E402

QA = ROOT.parent / "shared" / "corpora" / "qa"
LENGTHS = (2, 4, 10, 30, 100, 300)
PER_SET = 100


def passages(name: str) -> list[str]:
    with (QA / f"{name}.passages.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh][:PER_SET]


def library_only(data: bytes) -> str | None:
    best = from_bytes(data).best()
    return str(best) if best is not None else None


def ours(data: bytes) -> str | None:
    try:
        return data.decode(detect_bytes_encoding(data))
    except Exception:
        return None


def main() -> None:
    if not QA.is_dir():
        sys.exit(f"no corpus at {QA}")
    # cp950 is Big5 as Windows writes it; Python's "big5" maps a few punctuation marks differently.
    sets = {"gbk": passages("cmrc2018_trial"), "cp950": passages("drcd_test")}
    sets["utf-8"] = sets["gbk"]
    sets["utf-16"] = sets["cp950"]
    print(f"{'encoding':8} {'chars':>5} {'n':>4} {'charset-normalizer':>19} {'ours':>6}")
    for encoding, texts in sets.items():
        for length in LENGTHS:
            total = right_lib = right_ours = 0
            for text in texts:
                sample = text[:length]
                try:
                    data = sample.encode(encoding)
                except UnicodeEncodeError:
                    continue  # a character Big5 cannot hold: such a file cannot exist
                total += 1
                right_lib += library_only(data) == sample
                right_ours += ours(data) == sample
            print(
                f"{encoding:8} {length:>5} {total:>4} {right_lib / total:>19.0%} {right_ours / total:>6.0%}"
            )


if __name__ == "__main__":
    main()
