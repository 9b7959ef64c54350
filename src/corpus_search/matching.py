"""Matching: where a term, a pattern or a NEAR pair occurs, found through the reader's suffix arrays.

A term is found folded (every spelling its variant set allows); `exact_script` keeps only occurrences
spelled as typed (`spelled_as_typed` tells them apart for ranking), `whole_words` only those that start
and end on jieba word boundaries. A pattern's literal parts are found in the suffix arrays and its gaps checked
against the word-character flags, shortest gap first, as a regular expression with lazy repeats would.
Everything returned is a `Located` (reader.py): numpy arrays in text order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _kernels as kernels
from .analysis import WORD_CHAR
from .parallel import side_by_side
from .query import Near, Term
from .reader import IndexReader, Located, common, concatenated, in_sorted, skip_punctuation, spelled_in_part
from .variants import fold, fold_table

Span = tuple[int, int]  # [start, end) offsets
Between = Callable[[int, int], int]  # characters counted from an end offset to a start offset
Pairs = dict[int, list[tuple[Span, Span]]]  # passage id → (first, second) spans of a NEAR's pairs


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """How terms match: only as whole words (`--words`), with or without variant folding, and with the
    text's punctuation skipped (`--ignore-punct`: terms come from query.without_punctuation)."""

    whole_words: bool = False
    exact_script: bool = False
    ignore_punct: bool = False


DEFAULT_OPTIONS = MatchOptions()


def locate_term(reader: IndexReader, term: Term, options: MatchOptions = DEFAULT_OPTIONS) -> Located:
    """Every occurrence of a term or a pattern, in text order."""
    if term.is_pattern:
        located = _locate_pattern(reader, term, options.exact_script)
    else:
        located = _locate_text(reader, term.normalized, options.exact_script, options.ignore_punct)
        if term.alternatives and not options.exact_script:
            located = _with_alternatives(reader, term, located, options.ignore_punct)
    if options.whole_words:
        located = located.where(located.whole)
    return located


def spelled_as_typed(
    reader: IndexReader, term: Term, options: MatchOptions
) -> Callable[[np.ndarray], np.ndarray] | None:
    """A test of which of a term's occurrences (their rising global starts) are spelled as typed (after
    t2s), not only through a variant or an alternative (phrases.py); None where all are: a pattern's,
    all with `exact_script`, and all when the term has neither an alternative nor a character with a
    variant."""
    folding = not options.exact_script and any(len(variant_group(char)) > 1 for char in set(term.normalized))
    if term.is_pattern or not (folding or (term.alternatives and not options.exact_script)):
        return None
    return functools.partial(reader.spelled_as, text=term.normalized, ignore_punct=options.ignore_punct)


def _locate_text(reader: IndexReader, text: str, exact_script: bool, ignore_punct: bool) -> Located:
    """reader.locate, or with `ignore_punct` the text's punctuation skipped between the characters of
    `text` (which holds none)."""
    if not ignore_punct:
        return reader.locate(text, exact_script)
    folded, found = fold(text), []
    for number in range(len(reader.parts)):
        starts, ends = _punctuation_blind(reader, number, text, folded, exact_script)
        found.append((number, starts, ends))
    return reader.placed(found)


def _punctuation_blind(
    reader: IndexReader, number: int, text: str, folded: str, exact_script: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of `folded` in part `number` with any punctuation between its characters
    skipped: from each occurrence of its rarest character, the others are read forward and back past
    punctuation (numpy steps over all candidates at once); with `exact_script` only those spelled as
    `text`."""
    part, punctuation = reader.parts[number][0], reader.punctuation(number)
    pattern = part.encode(folded)
    if pattern is None:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    ranges = [part.span([code]) for code in pattern]
    anchor = min(range(len(pattern)), key=lambda index: ranges[index][1] - ranges[index][0])
    first = np.sort(part.sa[slice(*ranges[anchor])]).astype(np.int64)
    last, codes = first, part.codes
    for code in pattern[anchor + 1 :]:
        after = skip_punctuation(codes, punctuation, last + 1, 1)  # a part ends with a separator
        keep = codes[after] == code
        first, last = first[keep], after[keep]
    for code in reversed(pattern[:anchor]):
        before = skip_punctuation(codes, punctuation, first - 1, -1)
        keep = (before >= 0) & (codes[np.maximum(before, 0)] == code)
        first, last = before[keep], last[keep]
    if exact_script and len(first):
        spelled = spelled_in_part(part, first, text, punctuation)
        first, last = first[spelled], last[spelled]
    return first, last + 1


def _with_alternatives(reader: IndexReader, term: Term, located: Located, ignore_punct: bool) -> Located:
    """The term's occurrences and those of its alternatives (phrases.py), in text order, each place once:
    an alternative is as long as the term, so a place found both ways is one occurrence. One found only
    through an alternative is not spelled as typed (spelled_as_typed reads how it is written)."""
    others = (_locate_text(reader, alternative, False, ignore_punct) for alternative in term.alternatives)
    found = concatenated([located, *others])
    found = found.where(np.argsort(found.start, kind="stable"))
    first = np.ones(len(found), dtype=bool)
    first[1:] = found.start[1:] != found.start[:-1]
    return found.where(first)


def _locate_pattern(reader: IndexReader, term: Term, exact_script: bool) -> Located:
    """A pattern's shortest match from each start: literal parts from the suffix arrays, gaps from flags;
    the parts side by side when the literals occur often (parallel.side_by_side)."""

    def in_part(number: int) -> tuple[int, np.ndarray, np.ndarray]:
        part = reader.parts[number][0]
        per_part = [reader.part_starts(number, literal, exact_script) for literal in term.parts]
        if any(not len(starts) for starts in per_part):
            return number, _NONE, _NONE
        if len(term.parts) <= 2:
            starts, ends = _shortest_in_arrays(term, part.flags, per_part, len(part.codes))
        else:
            later = [set(starts.tolist()) for starts in per_part[1:]]
            spans = shortest_matches(term, part.flag_bytes, per_part[0].tolist(), later, len(part.codes))
            starts = np.asarray([start for start, _ in spans], dtype=np.int64)
            ends = np.asarray([end for _, end in spans], dtype=np.int64)
        return number, starts, ends

    work = sum(reader.count(literal) for literal in term.parts)
    return reader.placed(side_by_side(in_part, range(len(reader.parts)), work))


_NONE = np.zeros(0, dtype=np.int64)


def _shortest_in_arrays(
    term: Term, flags: np.ndarray, per_part: list[np.ndarray], own_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """shortest_matches for a pattern of one or two literal parts, in C (_kernels.shortest): from each
    start, the gap before the second part grows from its fewest to its most characters, and the first
    length that completes is kept, as the lazy loop would."""
    firsts = np.ascontiguousarray(per_part[0], dtype=np.int64)
    if len(term.parts) == 1:
        gaps, seconds, second_length = (term.gaps[0][0], term.gaps[1][0], term.gaps[1][0], 0), None, 0
    else:
        (fewest, most), after = term.gaps[1], term.gaps[2][0]
        gaps, second_length = (term.gaps[0][0], fewest, most, after), len(term.parts[1])
        seconds = np.ascontiguousarray(per_part[1], dtype=np.int64)
    starts, ends = np.empty(len(firsts), dtype=np.int64), np.empty(len(firsts), dtype=np.int64)
    found = kernels.shortest(
        firsts, seconds, flags, WORD_CHAR, own_length, len(term.parts[0]), gaps, second_length, starts, ends
    )
    return starts[:found], ends[:found]


def pairs_in_passages(left: Located, right: Located, near: Near, between: Between | None = None) -> Pairs:
    """Passage id → the (first, second) spans (global positions) of the pairs that satisfy `near`,
    sorted, looked for only in passages where both terms occur (`between`: see near_pairs). Counted
    in characters, the pairs are found in C (_kernels.near); with `between`, passage by passage here."""
    if between is not None:
        return _pairs_by_passage(left, right, near, between)
    room = 2 * (len(left) + len(right)) + 16
    while True:
        first, second = np.empty(room, dtype=np.int64), np.empty(room, dtype=np.int64)
        arrays = (left.start, left.end, left.passage, right.start, right.end, right.passage)
        found = kernels.near(*arrays, near.distance, near.ordered, first, second)
        if found <= room:
            break
        room = found
    first, second = first[:found], second[:found]
    reverse = first < 0  # the right term first: (-1 - its index, the left term's index)
    ahead, behind = (np.where(reverse, -1 - first, first), second)
    columns = [np.empty(found, dtype=np.int64) for _ in range(4)]
    passages = np.empty(found, dtype=np.int64)
    for chosen, one, other in ((~reverse, left, right), (reverse, right, left)):
        columns[0][chosen], columns[1][chosen] = one.start[ahead[chosen]], one.end[ahead[chosen]]
        columns[2][chosen], columns[3][chosen] = other.start[behind[chosen]], other.end[behind[chosen]]
        passages[chosen] = other.passage[behind[chosen]]
    order = np.lexsort((*reversed(columns), passages))
    rows = np.stack([passages, *columns], axis=1)[order]
    if len(rows):
        rows = rows[np.concatenate(([True], (rows[1:] != rows[:-1]).any(axis=1)))]  # each pair once
    pairs: Pairs = {}
    for passage, first_start, first_end, second_start, second_end in rows.tolist():
        pairs.setdefault(passage, []).append(((first_start, first_end), (second_start, second_end)))
    return pairs


def _pairs_by_passage(left: Located, right: Located, near: Near, between: Between) -> Pairs:
    shared = common(left.passages(), right.passages())
    if not len(shared):
        return {}
    left = left.where(in_sorted(left.passage, shared))
    right = right.where(in_sorted(right.passage, shared))
    by_passage: dict[int, tuple[list[Span], list[Span]]] = {}
    for side, located in enumerate((left, right)):
        for passage, start, end in zip(
            located.passage.tolist(), located.start.tolist(), located.end.tolist(), strict=True
        ):
            by_passage.setdefault(passage, ([], []))[side].append((start, end))
    found = {}
    for passage, (first, second) in by_passage.items():
        pairs = near_pairs(first, second, near, between)
        if pairs:
            found[passage] = pairs
    return found


def shortest_matches(term: Term, flags: bytes, firsts: list[int], later: list[set[int]], own_length: int) -> list[Span]:
    """The shortest match of a pattern from each start below `own_length`, given where its first part
    starts (`firsts`, rising), where each later part starts, and the word-character flags."""
    memo: dict[tuple[int, int], int | None] = {}
    spans = []
    for first in firsts:
        start = first - term.gaps[0][0]
        if 0 <= start < own_length and _word_run(flags, start, first):
            end = _extend(term, flags, later, 1, first + len(term.parts[0]), memo)
            if end is not None:
                spans.append((start, end))
    return spans


def near_pairs(
    left: list[Span], right: list[Span], near: Near, between: Between | None = None
) -> list[tuple[Span, Span]]:
    """(first, second) pairs of spans at most `near.distance` apart without overlapping, left first
    when `near.ordered`; sorted, each pair once. `between(end, start)` counts the characters from one
    span's end to the next one's start (all of them by default; with --ignore-punct, all but
    punctuation)."""
    between = between or _characters_between
    pairs = set()
    for a in left:
        for b in right:
            if b[0] >= a[1] and between(a[1], b[0]) <= near.distance:
                pairs.add((a, b))
            if not near.ordered and a[0] >= b[1] and between(b[1], a[0]) <= near.distance:
                pairs.add((b, a))
    return sorted(pairs)


def _characters_between(end: int, start: int) -> int:
    return start - end


def _word_run(flags: bytes, start: int, end: int) -> bool:
    """True when every character in [start, end) is a word character (and inside the flags)."""
    return end < len(flags) and all(flags[offset] & WORD_CHAR for offset in range(start, end))


def _extend(
    term: Term, flags: bytes, later: list[set[int]], index: int, at: int, memo: dict[tuple[int, int], int | None]
) -> int | None:
    """Where the shortest match of parts `index`… ends when part `index - 1` ends at `at` (None: none).
    `memo` keeps each answer, so text like 哈哈哈… costs one step per (part, offset), not one per path."""
    if (index, at) not in memo:
        memo[index, at] = _extend_once(term, flags, later, index, at, memo)
    return memo[index, at]


def _extend_once(
    term: Term, flags: bytes, later: list[set[int]], index: int, at: int, memo: dict[tuple[int, int], int | None]
) -> int | None:
    fewest, most = term.gaps[index]
    if not _word_run(flags, at, at + fewest):
        return None
    if index == len(term.parts):
        return at + fewest
    starts, length, limit = later[index - 1], len(term.parts[index]), len(flags) - 1
    gap = fewest
    while True:
        if at + gap in starts:
            end = _extend(term, flags, later, index + 1, at + gap + length, memo)
            if end is not None:
                return end
        if gap == most or at + gap >= limit or not flags[at + gap] & WORD_CHAR:
            return None
        gap += 1


@functools.cache
def _variant_members() -> dict[int, list[int]]:
    """Canonical character → every character that folds to it (itself included)."""
    members: dict[int, list[int]] = {}
    for code, canonical in fold_table().items():
        members.setdefault(canonical, [canonical]).append(code)
    return members


def variant_group(char: str) -> list[str]:
    """`char` first, then the characters that fold with it."""
    group = _variant_members().get(fold_table().get(ord(char), ord(char)))
    if not group:
        return [char]
    return [char, *(chr(code) for code in group if chr(code) != char)]
