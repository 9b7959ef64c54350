"""Highlighting: a passage found again for display, with the exact span of every occurrence.

Only the hits that are shown are read back: the passage as written (and the next one, where a match may
run on) is decoded, its whitespace joined as normalising joins it, and the index's own normalised text
of the same characters is searched as text, the way the index was searched (where the two do not line
up, at a seam, the passage is normalised again instead); the spans are mapped back to the original
characters with the original line where each match starts. In a file with
page and line markers (markup.py) the markup is left out of the normalised text, kept in the spans, and
each match names the page where it starts.

Many passages of one block (a KWIC of a common word) are shown at once (`shown_block`): a run of nearby
passages is decoded and its whitespace joined once, and where that lines up with the index's text the
occurrences the engine found (a Located per term) are mapped back, not found again; a passage where
shown() could see other text (a seam, whitespace at its edges that joins otherwise alone) is left to it.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from .analysis import BOUNDARY, word_characters
from .loader import line_starts
from .markup import BlockMarkup, Pages, markup_end
from .matching import MatchOptions, Span, near_pairs, shortest_matches
from .model import Hit, Match, Passage
from .normalize import normalize, strip_punctuation, whitespace_edges, whitespace_joined
from .query import Near, Term, Unit
from .reader import IndexReader, Located
from .variants import fold

PassageKey = tuple[int, int]  # (Whoosh document number of the block, passage number in the block)


class Highlighter:
    """Builds Hits from passage keys, reading blocks through an open index."""

    def __init__(self, reader: IndexReader):
        self.reader = reader
        self._line_starts: tuple[int, list[int]] = (-1, [])  # the last block's, for -C
        self._pages: tuple[int, Pages] = (-1, Pages([], []))  # the last block's page markers

    def is_whole(self, docnum: int, start: int, length: int) -> bool:
        """True when [start, start + length) begins and ends on word boundaries of the block."""
        bounds = self.reader.bounds(docnum)
        end = start + length
        return bool(bounds[start] & BOUNDARY) and (
            end >= self.reader.layout(docnum).norm_starts[-1] or bool(bounds[end] & BOUNDARY)
        )

    def _with_following(self, docnum: int, passage: int) -> tuple[str, str]:
        """A passage's text and the same with the passage after it, which may be the first of the next
        block of the same file: only these characters are decoded."""
        starts = self.reader.layout(docnum).text_starts
        if passage + 2 < len(starts):
            combined = self.reader.text_between(docnum, starts[passage], starts[passage + 2])
            return combined[: starts[passage + 1] - starts[passage]], combined
        own = self.reader.text_between(docnum, starts[passage], starts[passage + 1])
        following = self.reader.following_block(docnum)
        if following is None:
            return own, own
        return own, own + self.reader.text_between(following, 0, self.reader.layout(following).text_starts[1])

    def hit(
        self, key: PassageKey, path: str, score: float, units: list[Unit], options: MatchOptions, context: int = 0
    ) -> Hit:
        """A Hit with its passage as written and the exact span of every occurrence of a query term, and
        `context` lines of the file before and after the passage."""
        shown = self.shown(key, units, options)
        matches = sorted({match for occurrence in shown.occurrences for match in occurrence}, key=_match_order)
        text = shown.own.rstrip()
        if matches and max(match.end for match in matches) > len(text):
            text = shown.combined.rstrip()
        hit = Hit(Passage(path, shown.line, text, shown.ref, shown.has_markup), score, tuple(matches))
        if context:
            hit = replace(hit, **self._context_lines(shown, len(text), context))
        return hit

    def _context_lines(self, shown: Shown, length: int, count: int) -> dict[str, tuple[tuple[int, str], ...]]:
        """`count` whole lines before the line where the passage starts and after the one where it ends
        (within its block)."""
        if self._line_starts[0] != shown.docnum:
            starts = [0, *line_starts(shown.block_text)]
            if starts[-1] < len(shown.block_text):
                starts.append(len(shown.block_text))
            self._line_starts = (shown.docnum, starts)
        starts = self._line_starts[1]
        first = bisect.bisect_right(starts, shown.start) - 1
        last = bisect.bisect_right(starts, shown.start + max(0, length - 1)) - 1
        lines = len(starts) - 1

        def numbered(index: int) -> tuple[int, str]:
            text = shown.block_text[starts[index] : starts[index + 1]].rstrip("\r\n")
            return shown.line + (0 if shown.in_record else index - first), text

        before = tuple(numbered(index) for index in range(max(0, first - count), first))
        after = tuple(numbered(index) for index in range(last + 1, min(lines, last + 1 + count)))
        return {"before": before, "after": after}

    def shown(self, key: PassageKey, units: list[Unit], options: MatchOptions) -> Shown:
        """A passage as written (and the next one, where a match may end), with every occurrence of the
        query's units found again in its normalised text: one tuple of Matches per occurrence, one Match
        per term of a NEAR pair."""
        docnum, passage = key
        layout = self.reader.layout(docnum)
        own, combined = self._with_following(docnum, passage)
        markup = self.reader.block_markup(docnum)
        haystack, to_original = self._normalized(docnum, passage, combined, markup is not None, options)
        own_length = bisect.bisect_left(to_original, len(own))
        block_offset = layout.norm_starts[passage]
        in_record = self.reader.block_record[self.reader.block_of(docnum)] >= 0
        breaks = [] if in_record else line_starts(combined)  # a record's text is all on its line
        first_line = layout.lines[passage]
        start = layout.text_starts[passage]

        def whole(span: Span) -> bool:
            return not options.whole_words or self.is_whole(docnum, block_offset + span[0], span[1] - span[0])

        def match(span: Span) -> Match:
            begin = to_original[span[0]]
            end = to_original[span[1] - 1] + 1
            line = first_line + bisect.bisect_right(breaks, begin)
            return Match(line, begin, end, combined[begin:end], self._page(docnum, markup, start + begin))

        def unpunctuated(end: int, start: int) -> int:  # NEAR's distance with --ignore-punct
            return len(strip_punctuation(haystack[end:start])[0])

        between = unpunctuated if options.ignore_punct else None
        occurrences = set()
        for unit in units:
            if isinstance(unit, Near):
                left, right = (
                    [span for span in _spans_in(term, haystack, own_length, options) if whole(span)]
                    for term in (unit.left, unit.right)
                )
                occurrences.update(
                    tuple(match(span) for span in pair) for pair in near_pairs(left, right, unit, between)
                )
            else:
                found = _spans_in(unit, haystack, own_length, options)
                occurrences.update((match(span),) for span in found if whole(span))
        return Shown(
            docnum,
            start,
            own,
            combined,
            first_line,
            sorted(occurrences, key=lambda found: [_match_order(m) for m in found]),
            functools.partial(self.reader.block_text, docnum),
            self._page(docnum, markup, start + markup_end(own, 0)),
            markup is not None,
            in_record,
        )

    def shown_block(
        self,
        docnum: int,
        passages: Sequence[int],
        located: Sequence[Located] | None,
        units: list[Unit],
        options: MatchOptions,
    ) -> Iterator[Shown]:
        """shown() of several passages of one block (rising), for a query of terms whose occurrences
        (`located`, one per term, with options applied) the engine has found: the same Shown, made
        from runs of nearby passages at once. Without `located` (a query with NEAR), one by one."""
        reader = self.reader
        if located is None or reader.block_markup(docnum) is not None or options.ignore_punct:
            yield from (self.shown((docnum, passage), units, options) for passage in passages)
            return
        found = self._block_spans(docnum, located)
        runs: list[list[int]] = []
        for passage in passages:
            if runs and passage - runs[-1][-1] <= _RUN_GAP:
                runs[-1].append(passage)
            else:
                runs.append([passage])
        for run in runs:
            yield from self._shown_run(docnum, run, found, units, options)

    def _block_spans(self, docnum: int, located: Sequence[Located]) -> dict[int, list[Span]]:
        """Passage number in the block → the block spans of the occurrences that start in it (rising,
        each once)."""
        reader = self.reader
        block = reader.block_of(docnum)
        origin, first = int(reader.block_start[block]), int(reader.block_first_passage[block])
        found: dict[int, set[Span]] = {}
        for occurrences in located:
            low, high = (int(bound) for bound in occurrences.block.searchsorted([block, block + 1]))
            rows = zip(
                (occurrences.passage[low:high] - first).tolist(),
                (occurrences.start[low:high] - origin).tolist(),
                (occurrences.end[low:high] - origin).tolist(),
                strict=True,
            )
            for passage, start, end in rows:
                found.setdefault(passage, set()).add((start, end))
        return {passage: sorted(spans) for passage, spans in found.items()}

    def _shown_run(
        self, docnum: int, run: list[int], found: dict[int, list[Span]], units: list[Unit], options: MatchOptions
    ) -> Iterator[Shown]:
        """The Shown of each passage of a run, from the run's text (each passage with the next) joined
        once. A passage's spans are the engine's, mapped back through the run's offsets, where that is
        what shown() computes: the index's text of the run lines up with the joined text (the check of
        _normalized), and the passage's text with the next joins alone as it does in the run
        (_joined_alike), so its joined characters and offsets are the run's."""
        reader, layout = self.reader, self.reader.layout(docnum)
        starts, norms, count = layout.text_starts, layout.norm_starts, len(layout.lines)
        followed = reader.following_block(docnum) is not None
        first, last = run[0], min(run[-1] + 2, count)
        text = reader.text_between(docnum, starts[first], starts[last])
        joined, to_original = whitespace_joined(text)
        indexed = reader.passage_run(docnum, first, len(joined), not options.exact_script)
        lined_up = (
            indexed is not None and len(joined) == norms[last] - norms[first] and _spaces(indexed) == _spaces(joined)
        )
        in_record = reader.block_record[reader.block_of(docnum)] >= 0
        breaks = [] if in_record else line_starts(text)
        read_block = functools.partial(reader.block_text, docnum)
        origin, base, find = starts[first], norms[first], bisect.bisect_left
        for passage in run:
            after = min(passage + 2, count)  # the end of the passage and the next: what shown() searches
            own_from, own_to = starts[passage] - origin, starts[passage + 1] - origin
            combined_to = starts[after] - origin
            combined = text[own_from:combined_to]
            if not (
                lined_up
                and combined
                and not (passage + 1 == count and followed)
                and _joined_alike(combined, own_from, to_original)
                and find(to_original, own_from) == norms[passage] - base
                and find(to_original, own_to) == norms[passage + 1] - base
                and find(to_original, combined_to) == norms[after] - base
            ):
                yield self.shown((docnum, passage), units, options)
                continue
            line = layout.lines[passage]
            lines_before = bisect.bisect_right(breaks, own_from)
            limit = norms[after] - base  # the end of the text shown() searches
            occurrences = []
            for start, end in found.get(passage, ()):
                if end - base > limit:
                    continue
                begin, finish = to_original[start - base], to_original[end - base - 1] + 1
                at = line + bisect.bisect_right(breaks, begin) - lines_before
                occurrences.append((Match(at, begin - own_from, finish - own_from, text[begin:finish], None),))
            own = combined[: own_to - own_from]
            yield Shown(docnum, starts[passage], own, combined, line, occurrences, read_block, None, False, in_record)

    def _normalized(
        self, docnum: int, passage: int, combined: str, markup: bool, options: MatchOptions
    ) -> tuple[str, list[int]]:
        """A passage and the next as the index searched them (folded unless `exact_script`), and the
        offset in `combined` of each of their characters. The index's own text is read where it lines up
        with `combined`'s: the same length and the same spaces after whitespace is joined (the other steps
        map one character to one). At a seam where it does not (whitespace joined differently at the
        edge of a passage, or the next passage in another part), the text is normalised again."""
        joined, to_original = whitespace_joined(combined, markup)
        indexed = self.reader.passage_run(docnum, passage, len(joined), not options.exact_script)
        if indexed is not None and _spaces(indexed) == _spaces(joined):
            return indexed, to_original
        normalized = normalize(combined, markup)
        return (normalized.text if options.exact_script else fold(normalized.text)), normalized.to_original

    def _page(self, docnum: int, markup: BlockMarkup | None, offset: int) -> str | None:
        """The page at `offset` of a block's text: its last marker before it, else the block's first page."""
        if markup is None:
            return None
        if self._pages[0] != docnum:
            self._pages = (docnum, Pages.of(self.reader.block_text(docnum)))
        return self._pages[1].before(offset, markup.page)


@dataclass(frozen=True, slots=True)
class Shown:
    """A passage found again for display: `own` is its text and `combined` adds the next passage;
    `block_text` is the whole block (decoded when asked for), and the passage starts at `start` in it,
    on line `line`."""

    docnum: int
    start: int
    own: str
    combined: str
    line: int
    occurrences: list[tuple[Match, ...]]
    read_block: Callable[[], str] = field(repr=False, compare=False)
    ref: str | None = None  # the page where the passage's text starts, in a file with page markers
    has_markup: bool = False
    in_record: bool = False  # a record of a file of records: every line of its text is the record's line

    @property
    def block_text(self) -> str:
        return self.read_block()


def _joined_alike(combined: str, offset: int, to_original: list[int]) -> bool:
    """Whether `combined`, at `offset` in a longer text whose joined offsets are `to_original`, joins
    alone as it does there: the whitespace it begins and ends with, which joining it alone drops, is
    dropped there too (a run inside it is judged by the same neighbours either way)."""
    leading, trailing = whitespace_edges(combined)
    first, last = offset + leading, offset + trailing
    return bisect.bisect_left(to_original, offset) == bisect.bisect_left(to_original, first) and bisect.bisect_left(
        to_original, last
    ) == bisect.bisect_left(to_original, offset + len(combined))


def _spaces(text: str) -> list[int]:
    return [found.start() for found in _SPACE.finditer(text)]


_SPACE = re.compile(" ")
_RUN_GAP = 8  # passages between two shown ones that a run reads through rather than start a new run


def _match_order(match: Match) -> tuple[int, int]:
    return match.start, match.end


def _spans_in(term: Term, haystack: str, own_length: int, options: MatchOptions) -> list[Span]:
    """Spans of the occurrences of `term` that start in the first `own_length` characters of `haystack`
    (normalised, and folded unless `exact_script`); with `ignore_punct`, found in the haystack without
    its punctuation and mapped back, so that a span covers the punctuation inside it."""
    if term.is_pattern:
        return _pattern_spans_in(term, haystack, own_length, options.exact_script)
    # The term and its alternatives, as matching.locate_term finds them.
    needles = [term.normalized] if options.exact_script else [fold(term.normalized), *term.alternatives]
    length = len(term.normalized)
    if options.ignore_punct:
        stripped, kept = strip_punctuation(haystack)
        before = bisect.bisect_left(kept, own_length)
        starts = sorted({start for needle in needles for start in _find_all(stripped, needle, before)})
        return [(kept[start], kept[start + length - 1] + 1) for start in starts]
    starts = sorted({start for needle in needles for start in _find_all(haystack, needle, own_length)})
    return [(start, start + length) for start in starts]


def _find_all(haystack: str, needle: str, before: int) -> list[int]:
    """Every start of `needle` in `haystack` below `before` (overlapping ones too)."""
    starts = []
    start = haystack.find(needle)
    while 0 <= start < before:
        starts.append(start)
        start = haystack.find(needle, start + 1)
    return starts


def _pattern_spans_in(term: Term, haystack: str, own_length: int, exact_script: bool) -> list[Span]:
    """A pattern's shortest match at each start, found in text the way _pattern_spans finds it in the
    postings (a backtracking regular expression would take exponential time on text like 哈哈哈…)."""
    parts = [part if exact_script else fold(part) for part in term.parts]
    later = [set(_find_all(haystack, part, len(haystack))) for part in parts[1:]]
    firsts = _find_all(haystack, parts[0], own_length + term.gaps[0][0])
    return shortest_matches(term, word_characters(haystack), firsts, later, own_length)
