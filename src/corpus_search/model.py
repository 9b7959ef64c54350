"""Plain values that cross module boundaries: what was found, where, and how it is shown."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Passage:
    """A sentence or paragraph as written in the file; `line` is the 1-based line it starts on (in a
    format without lines, the paragraph or page: formats.py).

    In a file with page and line markers (`has_markup`, see markup.py) the markers are kept in `text`,
    and `ref` names the page where its text starts (None in a plain file, or before the first marker)."""

    path: str
    line: int
    text: str
    ref: str | None = None
    has_markup: bool = False


@dataclass(frozen=True, slots=True)
class Match:
    """One occurrence: `text[start:end]` of the passage, starting on original line `line` (and on page
    `ref` in a file with page markers)."""

    line: int
    start: int
    end: int
    text: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """A passage that satisfies the query, its score, and every occurrence of a query term in it."""

    passage: Passage
    score: float
    matches: tuple[Match, ...]
    before: tuple[tuple[int, str], ...] = ()  # (line, text) of the lines asked for before the passage
    after: tuple[tuple[int, str], ...] = ()  # and after it
    meta: dict[str, str] | None = None  # the file's metadata fields, where it has any (metadata.py)
    unit: str | None = None  # what `line` counts where it is not a text line: "paragraph", "page" (formats.py)

    @property
    def line(self) -> int:
        """The line where the first match starts (the passage's first line if nothing is highlighted)."""
        return self.matches[0].line if self.matches else self.passage.line

    @property
    def ref(self) -> str | None:
        """The page where the first match starts (where the passage starts if nothing is highlighted)."""
        return self.matches[0].ref if self.matches else self.passage.ref


@dataclass(frozen=True, slots=True)
class Concordance:
    """One occurrence in a KWIC line: context as written (whitespace next to CJK dropped, at most the
    asked number of characters each side), and the occurrence as pieces, True for a query term (a NEAR
    pair has a piece between its terms that is not one)."""

    path: str
    line: int
    left: str
    pieces: tuple[tuple[str, bool], ...]
    right: str
    ref: str | None = None  # the page where the occurrence starts, in a file with page markers
    has_markup: bool = False
    meta: dict[str, str] | None = None  # the file's metadata fields, where it has any (metadata.py)
    unit: str | None = None  # what `line` counts where it is not a text line: "paragraph", "page" (formats.py)

    @property
    def keyword(self) -> str:
        return "".join(text for text, _ in self.pieces)


@dataclass(frozen=True, slots=True)
class FileCount:
    """How often a query occurs in one file (or, with `path` None, in all of them)."""

    path: str | None
    occurrences: int
    passages: int


@dataclass(frozen=True, slots=True)
class Collocate:
    """A word seen near the query: `count` times in the windows, `frequency` times in the corpus, and
    its log-likelihood (G²) and mutual information against that expectation."""

    word: str
    count: int
    frequency: int
    log_likelihood: float
    mutual_information: float


@dataclass(frozen=True, slots=True)
class GroupCount:
    """How often a query occurs in one group of files (a file; later a year, an author…), and in how
    many normalised characters; `group` None is the total of every group."""

    group: str | None
    occurrences: int
    passages: int
    characters: int

    @property
    def per_million(self) -> float:
        """Occurrences per million characters of the group (0 for a group without text)."""
        return self.occurrences * 1_000_000 / self.characters if self.characters else 0.0


@dataclass(frozen=True, slots=True)
class Dispersion:
    """Where a query occurs in one group: the start of each occurrence (rising) in the group's
    normalised text, its files laid end to end in path order, `characters` long."""

    group: str
    characters: int
    offsets: tuple[int, ...]
