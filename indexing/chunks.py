"""A passage as stored and searched."""

from __future__ import annotations

from dataclasses import dataclass

from indexing.locations import Location


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of bounded size with its exact location.

    text:    the passage as a person reads it (table chunks start with their header line).
    heading: the heading path, when there is one; indexed together with the document title.
    ordinal: position of the chunk in its document (0-based), for reading neighbours in order.
    """

    text: str
    location: Location
    heading: str | None = None
    ordinal: int = 0
