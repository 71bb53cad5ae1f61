"""A citation of a PowerPoint slide opens that slide's text, with the passage highlighted."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from indexing.library import Library
from ui.source_label import describe_location
from ui.source_view import SourceView


class _Services:
    def __init__(self, library: Library) -> None:
        self.library = library


def test_slide_citation_shows_the_slide_with_the_passage_highlighted(qtbot: QtBot, shared_dir: Path,
                                                                      tmp_path: Path) -> None:
    deck = shared_dir / "pptx" / "unstructured-example-docs" / "sample-presentation.pptx"
    with Library.open(tmp_path / "lib") as lib:
        assert [e.status for e in lib.add([deck], workers=0) if e.kind == "file_done"] == ["indexed"]
        hit = lib.search("Subtopic details second content slide", k=1)[0]
        assert hit.location.slide == 3 and hit.location.title == "This is the second content slide"
        assert describe_location(hit.location) == "slide 3, This is the second content slide"
        view = SourceView(_Services(lib))
        qtbot.addWidget(view)
        view.resize(800, 600)
        view.show()
        qtbot.waitExposed(view)
        view.show_source(hit)
        assert view.stack.currentIndex() == SourceView.TEXT
        shown = view.text_view.toPlainText()
        assert "What happens when there’s one here" in shown and "Sub-details 1" in shown  # slide 3's text
        assert "first content slide" not in shown and "kinda backwards" not in shown  # not its neighbours'
        assert view.highlighted_text().replace("\u2028", "\n") == hit.text  # the whole passage, highlighted
        assert "slide 3" in view.where.text()
        view.close()
