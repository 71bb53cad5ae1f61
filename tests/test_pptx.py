"""PowerPoint through the real library: every file in ../shared/corpora/pptx indexes or gives one reason,
and every passage's slide number is right (its words are on that slide, read independently here)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from lxml import etree

from indexing.errors import ProblemKind
from indexing.filetypes import SUPPORTED_SUFFIXES
from indexing.library import Library
from indexing.locations import Location
from tests.corpus_truth import recall, tokens

_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"

# Decks with no text on any slide (pictures, charts, shapes, empty or masters only): EMPTY is their reason.
NO_TEXT = {  # file names: unique in the corpus
    n for n in (
        "shp-autoshape-adjustments.pptx", "sld-background.pptx", "sld-blank.pptx", "prs-slide-masters.pptx",
        "minimal.pptx", "shp-connector-props.pptx", "cht-marker-props.pptx", "mst-shapes.pptx",
        "mst-placeholders.pptx", "shp-access-chart.pptx", "shp-embedded-pptx.pptx", "no-slides.pptx",
        "prs-add-slide.pptx", "sld-slides.pptx", "cht-charts.pptx", "shp-picture.pptx", "shp-freeform.pptx",
        "lyt-shapes.pptx", "shp-groupshape.pptx", "sld-slide.pptx", "mst-slide-layouts.pptx",
        "cht-gridlines-props.pptx", "test-image-jpg-mime.pptx", "ph-unpopulated-placeholders.pptx",
        "prs-properties.pptx")
} | {
    n for n in (
        "testWPSAttachment.pptx", "testPPT_EmbeddedPDF.pptx", "testPPT_masterText.pptx", "testPPT_charts.pptx",
        "testPPT_diagramData.pptx", "testPPT_masterText2.pptx", "testPPT_embeddedMP3.pptx",
        "testPPT_masterFooter.pptx")
} | {"picture.pptx", "pptx_multiple_images.pptx"}
NOT_INDEXED = {**dict.fromkeys(NO_TEXT, ProblemKind.EMPTY), "testPPT_protected_passtika.pptx": ProblemKind.ENCRYPTED}


def _decks(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and SUPPORTED_SUFFIXES.get(p.suffix.lower()) == "pptx")


@pytest.fixture(scope="module")
def indexed(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    lib = Library.open(tmp_path_factory.mktemp("pptx-lib"))
    events = {e.path: e for e in lib.add([str(p) for p in _decks(shared_dir / "pptx")], workers=2)
              if e.kind == "file_done"}
    yield lib, events
    lib.close()


def _slide_words(deck: Path) -> dict[int, set[str]]:
    """Slide number -> the words on it and in its notes, read straight from the XML."""
    with zipfile.ZipFile(deck) as zf:
        def rels(part: str) -> dict[str, str]:
            base = PurePosixPath(part).parent
            name = str(base / "_rels" / (PurePosixPath(part).name + ".rels"))
            if name not in zf.namelist():
                return {}
            out = {}
            for el in etree.fromstring(zf.read(name)):
                target = el.get("Target", "")
                out[el.get("Id")] = (target.lstrip("/") if target.startswith("/")
                                     else str(PurePosixPath(*(base / target).parts)).replace("slides/../", ""))
            return out

        def words(part: str) -> set[str]:
            root = etree.fromstring(zf.read(part))
            paragraphs = ["".join((t.text or "") if t.tag == f"{_A}t" else " " for t in p.iter(f"{_A}t", f"{_A}br"))
                          for p in root.iter(f"{_A}p")]
            return set(tokens(" ".join(paragraphs)))

        pres = etree.fromstring(zf.read("ppt/presentation.xml"))
        targets = rels("ppt/presentation.xml")
        out: dict[int, set[str]] = {}
        for n, sld in enumerate(pres.iter(f"{_P}sldId"), 1):
            part = targets[sld.get(f"{_R}id")]
            found = words(part)
            for target in rels(part).values():
                if "notesSlide" in target and target.replace("../", "ppt/") in zf.namelist():
                    found |= words(target.replace("../", "ppt/"))
            out[n] = found
        return out


def test_every_deck_indexes_or_gives_its_reason(shared_dir: Path, indexed) -> None:
    _lib, events = indexed
    root = shared_dir / "pptx"
    decks = _decks(root)
    assert len(decks) >= 90
    wrong = []
    for deck in decks:
        rel = deck.relative_to(root).as_posix()
        e = events[str(deck)]
        want = NOT_INDEXED.get(deck.name)
        if want is None and e.status != "indexed":
            wrong.append((rel, e.status, e.detail))
        if want is not None and not (e.status == "failed" and (e.detail or "").startswith(want.value)):
            wrong.append((rel, e.status, e.detail))
    assert not wrong, wrong


def test_every_passage_is_on_the_slide_it_cites(shared_dir: Path, indexed) -> None:
    lib, events = indexed
    checked = 0
    for path, e in events.items():
        if e.status != "indexed":
            continue
        slides = _slide_words(Path(path))
        for loc, text in lib.passages(path):
            assert loc.slide in slides, (path, loc)
            missing = set(tokens(text)) - slides[loc.slide]
            assert not missing, (path, loc.slide, sorted(missing)[:5], text[:200])
            checked += 1
    assert checked >= 140


def test_titles_tables_notes_groups_and_reading_order(shared_dir: Path, indexed) -> None:
    lib, _events = indexed
    root = shared_dir / "pptx"
    chinese = lib.passages(root / "choco-builder" / "sample.pptx")
    assert chinese[0][0] == Location(slide=1, title="代码库问答")
    assert chinese[0][1].startswith("代码库问答")
    table = "\n".join(t for _l, t in lib.passages(root / "unstructured-example-docs" / "fake-power-point-table.pptx"))
    assert "Column 1: Red | Column 2: Green" in table  # each row under the header's names
    notes = lib.passages(root / "python-pptx" / "sld-notes.pptx")
    assert any("Notes" in t for _l, t in notes)
    nested = next(root.rglob("group-shapes-nested.pptx"))
    text = "\n".join(t for _l, t in lib.passages(nested))
    assert [c for c in text if c in "ABCD"] == ["A", "B", "C", "D"]  # grouped shapes, top to bottom
    truth = (root / "textract-tests" / "raw_text.txt").read_text(encoding="utf-8")
    got = "\n".join(t for _l, t in lib.passages(root / "textract-tests" / "raw_text.pptx"))
    assert recall(truth, got) >= 0.95


def test_search_cites_the_slide(shared_dir: Path, indexed) -> None:
    lib, _events = indexed
    hits = lib.search("智能数据问答场景", k=3)
    assert hits and hits[0].file.endswith("sample.pptx")
    assert hits[0].location.slide == 2 and "智能数据问答场景" in hits[0].text
    shape = json.loads(json.dumps(hits[0].to_json(), ensure_ascii=False))
    assert shape["location"]["slide"] == 2 and shape["location"]["title"] == "智能数据问答场景"
