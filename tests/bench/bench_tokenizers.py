"""Which tokenizer finds the passage that answers a question? Measured on ../shared/corpora/qa.

    .venv/bin/python tests/bench/bench_tokenizers.py [--quick] [--only NAME,NAME] [--sets a,b]

For each tokenizer, QA set and engine it prints recall@1/5/10, MRR and the tokenizer's speed (chars/s over
the passages). Engines: rank-bm25's BM25Okapi (the reference: k1=1.5, b=0.75, idf floor; scored here with
the same formula on an inverted index because rank-bm25 itself is too slow for thousands of questions,
checked against it at start-up) and tantivy (what serves: k1=1.2, b=0.75, terms pre-tokenized and joined
by spaces into a "whitespace" field, a question as a SHOULD boolean query of term queries, a term
repeated in the question boosted by its count).

Passages are indexed as "title\\ntext" because questions name the document. The set `drcd_test_s` asks
DRCD's Traditional passages with the questions converted to Simplified (OpenCC, when opencc-purepy is
installed): a person typing Simplified against a Traditional document.

The helpers (`load_qa`, `Bm25Okapi`, `TantivyBm25`, `evaluate`) are meant to be reused by other benchmarks
and by tests/test_retrieval_quality.py.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from indexing.analysis import Analyzer  # noqa: E402

QA_DIR = PROJECT_ROOT.parent / "shared" / "corpora" / "qa"
QA_SETS = ("cmrc2018_trial", "drcd_test", "xquad_en_a")
Tokenizer = Callable[[str], list[str]]


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class QASet:
    name: str
    passage_ids: list[str]
    documents: list[str]  # "title\ntext", what is indexed
    questions: list[str]
    answers: list[int]  # index into passage_ids of the passage holding each question's answer


def load_qa(name: str, qa_dir: Path = QA_DIR, limit: int | None = None) -> QASet:
    """A QA set; `limit` keeps the first questions only (all passages stay: they are the distractors)."""
    passages = [json.loads(line) for line in (qa_dir / f"{name}.passages.jsonl").open(encoding="utf-8")]
    questions = [json.loads(line) for line in (qa_dir / f"{name}.questions.jsonl").open(encoding="utf-8")]
    index = {p["id"]: i for i, p in enumerate(passages)}
    questions = [q for q in questions if q["passage_id"] in index][:limit]
    return QASet(
        name=name,
        passage_ids=[p["id"] for p in passages],
        documents=[f"{p['title']}\n{p['text']}" for p in passages],
        questions=[q["question"] for q in questions],
        answers=[index[q["passage_id"]] for q in questions],
    )


def simplified_questions(qa: QASet) -> QASet | None:
    """The same set with questions converted Traditional -> Simplified, or None without opencc-purepy."""
    try:
        from opencc_purepy import OpenCC
    except ImportError:
        return None
    convert = OpenCC("t2s").convert
    return QASet(f"{qa.name}_s", qa.passage_ids, qa.documents, [convert(q) for q in qa.questions], qa.answers)


# ---------------------------------------------------------------- engines


class Bm25Okapi:
    """rank-bm25's BM25Okapi scores (its idf, doc lengths, k1, b), computed on an inverted index."""

    def __init__(self, corpus: Sequence[list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        from rank_bm25 import BM25Okapi

        self.reference = BM25Okapi(corpus, k1=k1, b=b)
        lengths = np.asarray(self.reference.doc_len, dtype=np.float64)
        norm = k1 * (1 - b + b * lengths / self.reference.avgdl)
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for doc, freqs in enumerate(self.reference.doc_freqs):
            for term, tf in freqs.items():
                ids, weights = postings.setdefault(term, ([], []))
                ids.append(doc)
                weights.append(tf * (k1 + 1) / (tf + norm[doc]))
        self.postings = {
            t: (np.asarray(ids), self.reference.idf[t] * np.asarray(w)) for t, (ids, w) in postings.items()
        }
        self.size = len(corpus)

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(self.size)
        for term in query:  # repeated terms add up, as in rank-bm25
            hit = self.postings.get(term)
            if hit is not None:
                out[hit[0]] += hit[1]
        return out

    def search(self, query: list[str], k: int = 10) -> list[int]:
        scores = self.scores(query)
        top = np.argsort(-scores, kind="stable")[:k]
        return [int(i) for i in top if scores[i] > 0]

    def check(self, queries: Sequence[list[str]]) -> None:
        """Raise if these scores differ from rank-bm25's own."""
        for query in queries:
            if not np.allclose(self.scores(query), self.reference.get_scores(query)):
                raise AssertionError(f"score mismatch with rank-bm25 for {query[:8]}")


class TantivyBm25:
    """A tantivy index in memory of pre-tokenized documents, queried with SHOULD term queries."""

    FIELD = "terms"

    def __init__(self, corpus: Sequence[list[str]], boost_repeats: bool = True) -> None:
        import tantivy

        self.tantivy = tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_unsigned_field("idx", stored=True)
        builder.add_text_field(self.FIELD, tokenizer_name="whitespace", index_option="freq")
        self.schema = builder.build()
        index = tantivy.Index(self.schema)
        writer = index.writer(heap_size=64_000_000, num_threads=1)
        for i, tokens in enumerate(corpus):
            writer.add_document(tantivy.Document(idx=i, **{self.FIELD: " ".join(tokens)}))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        self.searcher = index.searcher()
        self.boost_repeats = boost_repeats

    def query(self, terms: list[str]):  # -> tantivy.Query
        t = self.tantivy
        clauses = []
        for term, count in Counter(terms).items():
            q = t.Query.term_query(self.schema, self.FIELD, term, index_option="freq")
            if count > 1 and self.boost_repeats:
                q = t.Query.boost_query(q, float(count))
            clauses.append((t.Occur.Should, q))
        return t.Query.boolean_query(clauses)

    def search(self, query: list[str], k: int = 10) -> list[int]:
        if not query:
            return []
        hits = self.searcher.search(self.query(query), k).hits
        return [self.searcher.doc(address)["idx"][0] for _, address in hits]


ENGINES: dict[str, Callable[[Sequence[list[str]]], Bm25Okapi | TantivyBm25]] = {
    "rank-bm25": Bm25Okapi,
    "tantivy": TantivyBm25,
}


# ---------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Metrics:
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    mrr: float  # over the top 10
    questions: int


def evaluate(engine: Bm25Okapi | TantivyBm25, qa: QASet, tokenize_query: Tokenizer, k: int = 10) -> Metrics:
    ranks: list[int | None] = []
    for question, answer in zip(qa.questions, qa.answers, strict=True):
        found = engine.search(tokenize_query(question), k)
        ranks.append(found.index(answer) + 1 if answer in found else None)
    n = len(ranks)

    def recall(at: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= at) / n

    mrr = sum(1 / r for r in ranks if r is not None) / n
    return Metrics(recall(1), recall(5), recall(10), mrr, n)


def chars_per_second(tokenize: Tokenizer, texts: Sequence[str], min_seconds: float = 0.3) -> float:
    chars = sum(map(len, texts))
    rounds, start = 0, time.process_time()  # CPU time: other processes share the cores
    while True:
        for text in texts:
            tokenize(text)
        rounds += 1
        elapsed = time.process_time() - start
        if elapsed >= min_seconds:
            return chars * rounds / elapsed


# ---------------------------------------------------------------- tokenizers measured


def _whitespace(text: str) -> list[str]:
    return text.lower().split()


def _rjieba_tokenizers() -> dict[str, tuple[Tokenizer, Tokenizer]]:
    """jieba's words (rjieba gives the same tokens, faster), alone and added to the default terms."""
    try:
        import rjieba
    except ImportError:
        return {}
    from indexing.analysis import DEFAULT, fold_text

    def words(text: str) -> list[str]:
        return [w for w in rjieba.cut(text.lower()) if w.strip() and (w.isalnum() or len(w) > 1)]

    def long_han_words(text: str) -> list[str]:
        return [w for w in rjieba.cut(fold_text(text)) if len(w) > 1 and not w.isascii()]

    def with_default(text: str) -> list[str]:
        return long_han_words(text) + DEFAULT.tokenize(text)

    def with_default_query(text: str) -> list[str]:
        return long_han_words(text) + DEFAULT.tokenize_query(text)

    return {"jieba (rjieba)": (words, words), "default + rjieba words": (with_default, with_default_query)}


def tokenizers() -> dict[str, tuple[Tokenizer, Tokenizer]]:
    """name -> (tokenize passages, tokenize questions)."""
    plain = {"fold": False, "stem": False, "drop_question_words": False}
    variants: dict[str, Analyzer] = {
        "chars": Analyzer(bigrams=False, **plain),
        "bigrams": Analyzer(unigrams=False, **plain),
        "chars+bigrams": Analyzer(**plain),
        "+fold": Analyzer(stem=False, drop_question_words=False),
        "+fold+qwords": Analyzer(stem=False),
        "+fold+qwords+stem (default)": Analyzer(),
        "default, query bigrams x2": Analyzer(bigram_query_weight=2),
        "default without chars": Analyzer(unigrams=False),
    }
    out: dict[str, tuple[Tokenizer, Tokenizer]] = {"whitespace": (_whitespace, _whitespace)}
    out.update({name: (a.tokenize, a.tokenize_query) for name, a in variants.items()})
    out.update(_rjieba_tokenizers())
    return out


def run(names: Sequence[str] | None, sets: Sequence[str], limit: int | None) -> None:
    qa_sets = [load_qa(name, limit=limit) for name in sets]
    if "drcd_test" in sets and (converted := simplified_questions(qa_sets[list(sets).index("drcd_test")])):
        qa_sets.append(converted)
    sample = [d for qa in qa_sets[: len(sets)] for d in qa.documents]
    header = f"{'tokenizer':30} {'set':16} {'engine':10} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR':>6} {'chars/s':>9}"
    print(header)
    print("-" * len(header))
    checked = False
    for name, (tok, qtok) in tokenizers().items():
        if names and name not in names:
            continue
        speed = chars_per_second(tok, sample)
        corpora = {id(qa.documents): [tok(d) for d in qa.documents] for qa in qa_sets}
        for qa in qa_sets:
            for engine_name, make in ENGINES.items():
                engine = make(corpora[id(qa.documents)])
                if isinstance(engine, Bm25Okapi) and not checked:
                    engine.check([qtok(q) for q in qa.questions[:20]])
                    checked = True
                m = evaluate(engine, qa, qtok)
                print(
                    f"{name:30} {qa.name:16} {engine_name:10} {m.recall_at_1:6.3f} {m.recall_at_5:6.3f} "
                    f"{m.recall_at_10:6.3f} {m.mrr:6.3f} {_mega(speed):>9}",
                    flush=True,
                )


def run_chunk_sizes(sets: Sequence[str], sizes: Sequence[int], limit: int | None) -> None:
    """Passages cut by indexing.chunking at several sizes: how often does a top-k chunk hold the answer?"""
    from indexing.analysis import tokenize, tokenize_query
    from indexing.blocks import Block
    from indexing.chunking import approx_tokens, chunk_blocks
    from indexing.locations import Location

    print(
        f"{'max_tokens':>10} {'set':16} {'chunks':>7} {'avg tok':>7} {'A@1':>6} {'A@5':>6} {'P@1':>6} {'P@5':>6}"
    )
    for name in sets:
        qa = load_qa(name, limit=limit)
        raw = [json.loads(line) for line in (QA_DIR / f"{name}.questions.jsonl").open(encoding="utf-8")]
        answers = [q["answers"] for q in raw if q["passage_id"] in set(qa.passage_ids)][: len(qa.questions)]
        for size in sizes:
            texts: list[str] = []
            owner: list[int] = []
            for i, doc in enumerate(qa.documents):
                title, _, body = doc.partition("\n")
                block = Block(text=body, location=Location(paragraph=1), group=(i,), heading=title)
                for chunk in chunk_blocks([block], max_tokens=size):
                    texts.append(chunk.text)
                    owner.append(i)
            engine = TantivyBm25(
                [
                    tokenize(f"{qa.documents[o].partition(chr(10))[0]}\n{t}")
                    for t, o in zip(texts, owner, strict=True)
                ]
            )
            hit_a = {1: 0, 5: 0}
            hit_p = {1: 0, 5: 0}
            for question, answer, wanted in zip(qa.questions, qa.answers, answers, strict=True):
                found = engine.search(tokenize_query(question), 5)
                for k in (1, 5):
                    hit_a[k] += any(
                        owner[c] == answer and any(w in texts[c] for w in wanted) for c in found[:k]
                    )
                    hit_p[k] += any(owner[c] == answer for c in found[:k])
            n = len(qa.questions)
            avg = sum(map(approx_tokens, texts)) / len(texts)
            print(
                f"{size:>10} {name:16} {len(texts):>7} {avg:7.0f} {hit_a[1] / n:6.3f} {hit_a[5] / n:6.3f} "
                f"{hit_p[1] / n:6.3f} {hit_p[5] / n:6.3f}",
                flush=True,
            )


def _mega(speed: float) -> str:
    return f"{speed / 1e6:.2f}M" if math.isfinite(speed) else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated tokenizer names")
    parser.add_argument("--sets", default=",".join(QA_SETS))
    parser.add_argument("--quick", action="store_true", help="first 300 questions of each set")
    parser.add_argument("--chunks", help="instead: chunk sizes to compare, e.g. 200,320,450,600")
    args = parser.parse_args()
    if not QA_DIR.is_dir():
        sys.exit(f"{QA_DIR} is absent: nothing to measure")
    limit = 300 if args.quick else None
    if args.chunks:
        run_chunk_sizes(args.sets.split(","), [int(n) for n in args.chunks.split(",")], limit)
        return
    run(args.only.split(",") if args.only else None, args.sets.split(","), limit)


if __name__ == "__main__":
    main()
