"""What a corpus linguist asks of a search result: KWIC lines, frequencies per file, and collocates.

All three start from a SearchResult (results.py): the passages that satisfy the query and, in them, the
occurrences of its positive units (terms, patterns and NEAR pairs; not the terms under a NOT).

- `kwic`: one Concordance per occurrence, with `width` characters of context each side as written
  (whitespace next to CJK dropped, so hard-wrapped text reads on; page and line markers kept), in text
  order or sorted by the context just left (read from the keyword outwards) or right of the occurrence,
  as concordancers sort; in a file with page markers, each names the page where its occurrence starts.
- `counts`: occurrences and passages per file, read from the postings; nothing is normalised again.
- `collocates`: jieba words (the index's segmentation, user dictionary included) within `window` words
  left and right of each occurrence, scored against their frequency in the indexed files (or the files
  the path filter keeps) with log-likelihood (G², Dunning 1993) and mutual information (log2 O/E).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator

from .errors import CorpusSearchError
from .formats import unit_of
from .model import Collocate, Concordance, FileCount
from .normalize import joined_text, to_simplified_each
from .search import SearchResult, Shown, Span

DEFAULT_WIDTH = 20  # characters of context each side of a KWIC line
DEFAULT_WINDOW = 5  # words each side of an occurrence for collocates
DEFAULT_MIN_COUNT = 3  # a collocate seen fewer times in the windows is not listed
KWIC_SORTS = ("path", "left", "right")
COLLOCATE_SORTS = ("ll", "mi", "count")


def kwic(result: SearchResult, width: int = DEFAULT_WIDTH, sort: str = "path") -> Iterator[Concordance]:
    """One Concordance per occurrence; `sort` is `path` (text order, streamed), `left` or `right`."""
    if sort not in KWIC_SORTS:
        raise CorpusSearchError(f"cannot sort KWIC lines by {sort!r}; use one of: {', '.join(KWIC_SORTS)}")
    order = result.in_text_order()
    shown = result.searcher.shown_many((key for _, key in order), result.units, result.options)
    yield from kwic_order(
        (line for (path, _), one in zip(order, shown, strict=True) for line in _lines(result, path, one, width)), sort
    )


def kwic_order(lines: Iterable[Concordance], sort: str) -> Iterator[Concordance]:
    """KWIC lines given in text order, in the order `sort` asks for (a stable sort: ties in text order)."""
    if sort == "path":
        yield from lines
        return
    lines = list(lines)
    contexts = to_simplified_each([line.left if sort == "left" else line.right for line in lines])
    if sort == "left":
        contexts = [context[::-1] for context in contexts]  # read from the keyword outwards
    keywords = to_simplified_each([line.keyword for line in lines])
    order = sorted(range(len(lines)), key=lambda index: (contexts[index], keywords[index]))  # stable
    yield from (lines[index] for index in order)


def _lines(result: SearchResult, path: str, shown: Shown, width: int) -> Iterator[Concordance]:
    fields, unit = result.searcher.fields(shown.docnum, path), unit_of(path)
    for occurrence in shown.occurrences:
        start, end = occurrence[0].start, max(match.end for match in occurrence)
        pieces: list[tuple[str, bool]] = []
        cursor = start
        for match in occurrence:
            if match.start > cursor:
                pieces.append((joined_text(shown.combined[cursor : match.start]), False))
            pieces.append((joined_text(match.text), True))
            cursor = match.end
        yield Concordance(
            path,
            occurrence[0].line,
            _left_context(shown.block_text, shown.start + start, width),
            tuple(pieces),
            _right_context(shown.combined, end, width),
            occurrence[0].ref,
            shown.has_markup,
            fields,
            unit,
        )


def _left_context(text: str, end: int, width: int) -> str:
    """The last `width` characters of text[:end] joined (joined_text), read from at most 8 * width + 16
    characters before `end`. A shorter stretch is joined first: joining it differs from joining the
    longer one only before its first character that is not whitespace, so when it gives `width`
    characters they are the same ones."""
    for reach in (2 * width + 8, 8 * width + 16):
        left = joined_text(text[max(0, end - reach) : end])
        if len(left) >= width or end <= reach:
            break
    return left[len(left) - width :]


def _right_context(text: str, start: int, width: int) -> str:
    """The first `width` characters of text[start:] joined, read from at most 8 * width + 16
    characters: as _left_context, a shorter stretch first."""
    for reach in (2 * width + 8, 8 * width + 16):
        right = joined_text(text[start : start + reach])
        if len(right) >= width or start + reach >= len(text):
            break
    return right[:width]


def counts(result: SearchResult) -> tuple[list[FileCount], FileCount]:
    """Occurrences and passages per file (in path order), and the total (with `path` None)."""
    files = [FileCount(path, *tally) for path, tally in result.per_file().items()]
    total = FileCount(None, sum(count.occurrences for count in files), sum(count.passages for count in files))
    return files, total


def collocates(
    result: SearchResult, window: int = DEFAULT_WINDOW, min_count: int = DEFAULT_MIN_COUNT
) -> list[Collocate]:
    """Words seen within `window` words of an occurrence at least `min_count` times and more often than
    their corpus frequency predicts, best log-likelihood first."""
    seen = window_words(result, window)
    frequencies, total = result.searcher.word_frequencies(result.docnums(), seen)
    return score_collocates(seen, frequencies, total, min_count)


def window_words(result: SearchResult, window: int = DEFAULT_WINDOW) -> Counter[str]:
    """How often each word is seen within `window` words left or right of an occurrence (the index's
    jieba words, punctuation not counted)."""
    if window < 1:
        raise CorpusSearchError("the collocate window must be at least 1 word")
    searcher = result.searcher
    spans = [searcher.unit_spans(unit, result.options) for unit in result.units]
    by_block: dict[int, list[Span]] = {}
    for _, key in result.in_text_order():
        for found in spans:
            by_block.setdefault(key[0], []).extend(found.get(key, ()))
    return searcher.words_around(by_block, window)


def score_collocates(seen: Counter[str], frequencies: Counter[str], total: int, min_count: int) -> list[Collocate]:
    """G² and MI of each word from the 2×2 table: in a window or not, this word or another (`total`:
    the words of the files searched)."""
    in_windows = sum(seen.values())
    found = []
    for word, observed in seen.items():
        frequency = max(frequencies.get(word, 0), observed)
        expected = in_windows * frequency / total if total else 0.0
        if observed < min_count or observed <= expected:
            continue
        table = (
            (observed, expected),
            (in_windows - observed, in_windows * (total - frequency) / total),
            (frequency - observed, (total - in_windows) * frequency / total),
            (total - in_windows - frequency + observed, (total - in_windows) * (total - frequency) / total),
        )
        log_likelihood = 2 * sum(o * math.log(o / e) for o, e in table if o > 0 and e > 0)
        found.append(Collocate(word, observed, frequency, log_likelihood, math.log2(observed / expected)))
    found.sort(key=lambda collocate: (-collocate.log_likelihood, collocate.word))
    return found
