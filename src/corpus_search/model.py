"""Plain values that cross module boundaries: what was found, where, and how it is shown."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Passage:
    """A sentence or paragraph as written in the file; `line` is the 1-based line it starts on."""

    path: str
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Match:
    """One occurrence: `text[start:end]` of the passage, starting on original line `line`."""

    line: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A passage that satisfies the query, its score, and every occurrence of a query term in it."""

    passage: Passage
    score: float
    matches: tuple[Match, ...]

    @property
    def line(self) -> int:
        """The line where the first match starts (the passage's first line if nothing is highlighted)."""
        return self.matches[0].line if self.matches else self.passage.line
