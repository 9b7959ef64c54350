"""Run a query against the index: find every passage that satisfies it, rank them, and build Hits.

Matching reads Whoosh's postings directly. A term's characters are looked up in the `chars` field,
rarest first; in every block that holds all of them, the positions give each start where the whole term
sits on consecutive positions, which is exactly a substring match on the normalised text. Starts are
then assigned to the passages of the block (the `passage_starts` column), and AND / OR / NOT combine the
passages each term was found in.

Variants fold here, at query time: each query character matches any character of its variant set
(variants.py), as a union of their postings; `exact_script=True` matches the character alone.

Ranking puts first the passages where more terms occur as typed (not only through a variant), then
BM25 over passages, computed here: a term's frequency counts an occurrence that starts and ends on
jieba word boundaries (the `bounds` column) in full and one inside a longer word at half, so 人才 as a
word outranks 人才 in 这个人才能干. `whole_words=True` (`--words`) keeps only whole-word occurrences.

Only the hits that are shown are read back from the `text` column, normalised again, and turned into
Match spans in the original characters, with the original line where each match starts.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import math
import re
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from .analysis import BOUNDARY, OWN_END, WORD_CHAR, word_characters
from .errors import CorpusSearchError
from .loader import line_starts
from .model import Hit, Match, Passage
from .normalize import normalize
from .query import And, Near, Node, Not, Or, Term, Unit, parse, positive_terms, positive_units
from .store import DEFAULT_INDEX, open_index
from .variants import fold, fold_table

BM25_K1 = 1.2
BM25_B = 0.75
INSIDE_WORD_WEIGHT = 0.5  # an occurrence inside a longer word counts half

PassageKey = tuple[int, int]  # (Whoosh document number of the block, passage number in the block)
Span = tuple[int, int]  # [start, end) offsets in normalised text


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """How terms match: only as whole words (`--words`), and with or without variant folding."""

    whole_words: bool = False
    exact_script: bool = False


DEFAULT_OPTIONS = MatchOptions()


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where a block's passages start (normalised and original offsets) and their first lines."""

    norm_starts: array
    text_starts: array
    lines: array

    @classmethod
    def from_bytes(cls, packed: bytes) -> _Layout:
        values = array("I")
        values.frombytes(packed)
        count = (len(values) - 2) // 3
        return cls(values[: count + 1], values[count + 1 : 2 * count + 2], values[2 * count + 2 :])


@dataclass(slots=True)
class _Found:
    """A term's occurrences: block offsets where each starts, by passage; the passages where it occurs
    with its own characters (not only through variants); and where each ends (`length` after its start,
    or in `ends` for a pattern)."""

    starts: dict[PassageKey, list[int]]
    exact: set[PassageKey]
    ends: dict[tuple[int, int], int] | None
    length: int = 0

    def end(self, docnum: int, start: int) -> int:
        return start + self.length if self.ends is None else self.ends[(docnum, start)]


@dataclass(slots=True)
class SearchResult:
    """Every passage that satisfies a query, ranked; Hits are built only for those that are read."""

    searcher: Searcher
    units: list[Unit]
    options: MatchOptions
    ranked: list[tuple[float, str, int, PassageKey]] = field(default_factory=list)
    path_filter: PathFilter | None = None

    @property
    def total(self) -> int:
        return len(self.ranked)

    def counts(self) -> dict[str, int]:
        """Hits per file, in path order."""
        counts: dict[str, int] = {}
        for _, path, _, _ in self.ranked:
            counts[path] = counts.get(path, 0) + 1
        return dict(sorted(counts.items()))

    def docnums(self) -> list[int]:
        """The blocks searched: every block, or those of the files the path filter keeps."""
        paths = self.searcher.paths()
        return sorted(docnum for docnum, path in paths.items() if self.path_filter is None or self.path_filter(path))

    def hits(self, limit: int | None = None, context: int = 0) -> Iterator[Hit]:
        """The best `limit` hits (all when None), best first, with `context` lines before and after."""
        chosen = self.ranked if limit is None else self.ranked[:limit]
        for score, path, _, key in chosen:
            yield self.searcher.hit(key, path, score, self.units, self.options, context)


class Searcher:
    """An open index, ready for queries; use as a context manager or call close()."""

    def __init__(self, index_dir: str = DEFAULT_INDEX):
        self.index_dir = index_dir
        self.reader, self._columns, self.total_passages, total_chars = _open_reader(index_dir)
        self.average_length = total_chars / self.total_passages if self.total_passages else 1.0
        self._layouts: dict[int, _Layout] = {}
        self._bounds: dict[int, bytes] = {}
        self._paths: dict[int, str] | None = None
        self._occurrences: dict[tuple, _Found] = {}
        self._pairs: dict[tuple, dict[PassageKey, list[tuple[Span, Span]]]] = {}
        self._line_starts: tuple[int, list[int]] = (-1, [])  # the last block's, for -C

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self.reader.close()

    # -- per-block data --------------------------------------------------------------------------

    def layout(self, docnum: int) -> _Layout:
        if docnum not in self._layouts:
            self._layouts[docnum] = _Layout.from_bytes(self._column("passage_starts", docnum))
        return self._layouts[docnum]

    def block_text(self, docnum: int) -> str:
        """A block's text as written in the file."""
        return self._column("text", docnum).decode("utf-8", errors="surrogatepass")

    def bounds(self, docnum: int) -> bytes:
        if docnum not in self._bounds:
            self._bounds[docnum] = self._column("bounds", docnum)
        return self._bounds[docnum]

    def _column(self, name: str, docnum: int) -> bytes:
        return self._columns[name][docnum]

    def word_frequencies(self, docnums: Iterable[int], words: Iterable[str]) -> tuple[Counter[str], int]:
        """How often each of `words` occurs in the given blocks, and how many words they hold in all
        (punctuation not counted)."""
        wanted = list(words)
        counts: Counter[str] = Counter()
        total = 0
        for docnum in docnums:
            fields = (
                self._column("words", docnum).decode("utf-8", errors="surrogatepass").replace("\n", "\t").split("\t")
            )
            block = dict(zip(fields[0:-1:2], fields[1::2], strict=True))
            total += sum(map(int, fields[1::2]))
            for word in wanted:
                count = block.get(word)
                if count is not None:
                    counts[word] += int(count)
        return counts, total

    def paths(self) -> dict[int, str]:
        """Document number → file path, from the `path` field's postings (no stored text is read)."""
        if self._paths is None:
            self._paths = {}
            for path in self.reader.lexicon("path"):
                name = path.decode("utf-8")
                for docnum in self.reader.postings("path", path).all_ids():
                    self._paths[docnum] = name
        return self._paths

    # -- matching --------------------------------------------------------------------------------

    def block_starts(
        self, text: str, exact_script: bool = False, own_only: bool = True
    ) -> tuple[dict[int, list[int]], set[tuple] | None]:
        """Every block offset (normalised, own text) where `text` starts, by document number, and the
        (document, offset) pairs where it starts with exactly its own characters, not only variants
        (None when no character of `text` has a variant: then every start is exact). With `own_only`
        False, starts in the block's lookahead (offsets from its own length on) are included."""
        from whoosh.matching import IntersectionMatcher, UnionMatcher
        from whoosh.util import make_binary_tree

        reader = self.reader
        groups = {}
        for char in set(text):
            members = [member for member in self.variants(char, exact_script) if ("chars", member) in reader]
            if not members:
                return {}, None
            groups[char] = members
        chars = sorted(groups, key=lambda char: sum(reader.doc_frequency("chars", m) for m in groups[char]))
        # One matcher per (query character, variant): a matcher must not sit in two places of the tree.
        leaves = {char: [(member, reader.postings("chars", member)) for member in groups[char]] for char in chars}
        per_char = [make_binary_tree(UnionMatcher, [m for _, m in leaves[char]]) for char in chars]
        matcher = make_binary_tree(IntersectionMatcher, per_char)
        folding = any(len(groups[char]) > 1 for char in chars)
        # Check the rarest characters first: they cut the candidate starts down fastest.
        checks = sorted(range(len(text)), key=lambda index: chars.index(text[index]))
        lead = checks[0]
        found: dict[int, list[int]] = {}
        exact: set[tuple] = set()
        while matcher.is_active():
            docnum = matcher.id()
            at = {char: _positions_at(leaves[char], docnum) for char in chars}
            starts = [position - lead for position in sorted(set().union(*at[text[lead]].values()))]
            if own_only:
                starts = [start for start in starts if start < OWN_END]
            sets: dict[str, set[int]] = {}
            for index in checks[1:]:
                if not starts:
                    break
                char = text[index]
                if char not in sets:
                    sets[char] = set().union(*at[char].values())
                present = sets[char]
                starts = [start for start in starts if start + index in present]
            if starts:
                own_start = OWN_END - self.layout(docnum).norm_starts[-1]
                found[docnum] = [start - own_start for start in starts]
                if folding:
                    own = {char: set(at[char].get(char, ())) for char in chars}
                    exact.update(
                        (docnum, start - own_start)
                        for start in starts
                        if all(start + index in own[char] for index, char in enumerate(text))
                    )
            matcher.next()
        return found, (exact if folding else None)

    def variants(self, char: str, exact_script: bool) -> list[str]:
        """The characters that match `char`: itself first, then its variants unless `exact_script`."""
        if exact_script:
            return [char]
        return variant_group(char)

    def occurrences(self, term: Term | str, options: MatchOptions = DEFAULT_OPTIONS) -> dict[PassageKey, list[int]]:
        """Block offsets where each occurrence of `term` starts, grouped by passage."""
        return self.found(term, options).starts

    def found(self, term: Term | str, options: MatchOptions = DEFAULT_OPTIONS) -> _Found:
        """Every occurrence of a term (or of a normalised string), grouped by the passage it starts in."""
        if isinstance(term, str):
            term = Term(term, term)
        cache_key = (term.normalized, term.parts, term.gaps, options)
        if cache_key not in self._occurrences:
            self._occurrences[cache_key] = self._find(term, options)
        return self._occurrences[cache_key]

    def _find(self, term: Term, options: MatchOptions) -> _Found:
        if term.is_pattern:
            spans = self._pattern_spans(term, options.exact_script)
            found, exact = {docnum: list(ends) for docnum, ends in spans.items()}, None
            ends = {(docnum, start): end for docnum, ends in spans.items() for start, end in ends.items()}
            result = _Found({}, set(), ends)
        else:
            found, exact = self.block_starts(term.normalized, options.exact_script)
            result = _Found({}, set(), None, len(term.normalized))
        for docnum, starts in found.items():
            if options.whole_words:
                starts = [start for start in starts if self._is_whole(docnum, start, result.end(docnum, start) - start)]
            norm_starts = self.layout(docnum).norm_starts
            at = 0
            while at < len(starts):  # one step per passage, not per occurrence
                passage = bisect.bisect_right(norm_starts, starts[at]) - 1
                end = bisect.bisect_left(starts, norm_starts[passage + 1], at)
                key = (docnum, passage)
                result.starts[key] = starts[at:end]
                if exact is not None and any((docnum, start) in exact for start in result.starts[key]):
                    result.exact.add(key)
                at = end
        if exact is None:
            result.exact = set(result.starts)
        return result

    def _pattern_spans(self, term: Term, exact_script: bool) -> dict[int, dict[int, int]]:
        """Block offset of every start of a pattern → where its shortest match there ends, by document.

        The parts are found in the postings; the gaps are checked against the block's word-character
        flags, trying the shortest gap first, as a regular expression with lazy repeats would.
        """
        per_part = [self.block_starts(part, exact_script, own_only=False)[0] for part in term.parts]
        found: dict[int, dict[int, int]] = {}
        for docnum in sorted(set(per_part[0]).intersection(*per_part[1:])):
            flags = self.bounds(docnum)
            own_length = self.layout(docnum).norm_starts[-1]
            later = [set(starts[docnum]) for starts in per_part[1:]]
            spans = _shortest_matches(term, flags, per_part[0][docnum], later, own_length)
            if spans:
                found[docnum] = dict(spans)  # starts rise with the first part's
        return found

    def pairs(self, near: Near, options: MatchOptions = DEFAULT_OPTIONS) -> dict[PassageKey, list[tuple[Span, Span]]]:
        """The (first, second) spans of every pair of occurrences that satisfies `near`, by passage."""
        cache_key = (near, options)
        if cache_key not in self._pairs:
            left, right = self.found(near.left, options), self.found(near.right, options)
            pairs = {}
            for key in left.starts.keys() & right.starts.keys():
                docnum = key[0]
                found = near_pairs(
                    [(start, left.end(docnum, start)) for start in left.starts[key]],
                    [(start, right.end(docnum, start)) for start in right.starts[key]],
                    near,
                )
                if found:
                    pairs[key] = found
            self._pairs[cache_key] = pairs
        return self._pairs[cache_key]

    def unit_spans(self, unit: Unit, options: MatchOptions = DEFAULT_OPTIONS) -> dict[PassageKey, list[Span]]:
        """Block spans of every occurrence of a term or a NEAR pair (first start to last end), by passage."""
        if isinstance(unit, Near):
            return {
                key: [(first[0], second[1]) for first, second in found]
                for key, found in self.pairs(unit, options).items()
            }
        found = self.found(unit, options)
        return {key: [(start, found.end(key[0], start)) for start in starts] for key, starts in found.starts.items()}

    def _is_whole(self, docnum: int, start: int, length: int) -> bool:
        """True when [start, start + length) begins and ends on word boundaries of the block."""
        bounds = self.bounds(docnum)
        end = start + length
        return bool(bounds[start] & BOUNDARY) and (
            end >= self.layout(docnum).norm_starts[-1] or bool(bounds[end] & BOUNDARY)
        )

    def all_passages(self) -> set[PassageKey]:
        keys: set[PassageKey] = set()
        for docnum in self.reader.all_doc_ids():
            keys.update((docnum, passage) for passage in range(len(self.layout(docnum).lines)))
        return keys

    def evaluate(self, node: Node, options: MatchOptions) -> set[PassageKey]:
        """The passages that satisfy `node`."""
        if isinstance(node, Term):
            return set(self.found(node, options).starts)
        if isinstance(node, Near):
            return set(self.pairs(node, options))
        if isinstance(node, Or):
            keys: set[PassageKey] = set()
            for child in node.children:
                keys |= self.evaluate(child, options)
            return keys
        if isinstance(node, Not):
            return self.all_passages() - self.evaluate(node.child, options)
        wanted = [child for child in node.children if not isinstance(child, Not)]
        unwanted = [child.child for child in node.children if isinstance(child, Not)]
        if wanted:
            keys = self.evaluate(wanted[0], options)
            for child in wanted[1:]:
                if not keys:
                    break
                keys &= self.evaluate(child, options)
        else:
            keys = self.all_passages()
        for child in unwanted:
            if not keys:
                break
            keys -= self.evaluate(child, options)
        return keys

    # -- ranking ---------------------------------------------------------------------------------

    def scores(self, keys: set[PassageKey], terms: list[Term], options: MatchOptions) -> dict[PassageKey, float]:
        """BM25 of each passage in `keys`, whole-word occurrences counting in full and others at half."""
        scores = dict.fromkeys(keys, 0.0)
        length_norms: dict[PassageKey, float] = {}
        for term in terms:
            found = self.found(term, options)
            occurrences = found.starts
            df = len(occurrences)
            idf = math.log(1 + (self.total_passages - df + 0.5) / (df + 0.5))
            for key, starts in occurrences.items():
                if key not in scores:
                    continue
                docnum, passage = key
                bounds = self.bounds(docnum)
                last = self.layout(docnum).norm_starts[-1]
                ends = [found.end(docnum, start) for start in starts]
                whole = sum(
                    1
                    for start, end in zip(starts, ends, strict=True)
                    if bounds[start] & BOUNDARY and (end >= last or bounds[end] & BOUNDARY)
                )
                frequency = whole + INSIDE_WORD_WEIGHT * (len(starts) - whole)
                norm = length_norms.get(key)
                if norm is None:
                    norm_starts = self.layout(docnum).norm_starts
                    passage_length = norm_starts[passage + 1] - norm_starts[passage]
                    norm = BM25_K1 * (1 - BM25_B + BM25_B * passage_length / self.average_length)
                    length_norms[key] = norm
                scores[key] += idf * frequency * (BM25_K1 + 1) / (frequency + norm)
        return scores

    def run(
        self,
        query: str | Node,
        whole_words: bool = False,
        exact_script: bool = False,
        paths: Sequence[str] = (),
    ) -> SearchResult:
        """Find and rank every passage that satisfies `query`.

        `whole_words`: only occurrences that are whole jieba words. `exact_script`: no variant folding,
        matching after t2s only. `paths`: globs; only files that match one of them (see path_filter).
        """
        node = parse(query) if isinstance(query, str) else node_checked(query)
        with self._damage_reported():
            return self._run(node, MatchOptions(whole_words, exact_script), path_filter(paths) if paths else None)

    @contextlib.contextmanager
    def _damage_reported(self) -> Iterator[None]:
        """What a damaged index raises deep inside Whoosh (struct, pickle, zlib, I/O errors…) becomes
        one CorpusSearchError that names the index and the way out."""
        try:
            yield
        except CorpusSearchError:
            raise
        except Exception as error:
            raise CorpusSearchError(
                f"index at {self.index_dir} cannot be read ({type(error).__name__}); rebuild it: cs index --rebuild DIR"
            ) from error

    def _run(self, node: Node, options: MatchOptions, paths_wanted: PathFilter | None) -> SearchResult:
        terms = positive_terms(node)
        keys = self.evaluate(node, options)
        paths = self.paths()
        if paths_wanted is not None:
            keys = {key for key in keys if paths_wanted(paths[key[0]])}
        exact_terms = dict.fromkeys(keys, 0)
        for term in terms:
            for key in self.found(term, options).exact & keys:
                exact_terms[key] += 1
        ranked = [
            (score, paths[key[0]], self.layout(key[0]).lines[key[1]], key)
            for key, score in self.scores(keys, terms, options).items()
        ]
        # Passages where more terms occur as typed (not only through a variant) come first.
        ranked.sort(key=lambda item: (-exact_terms[item[3]], -item[0], item[1], item[2]))
        return SearchResult(self, positive_units(node), options, ranked, paths_wanted)

    # -- hits ------------------------------------------------------------------------------------

    def _following_text(self, docnum: int, passage: int, text: str) -> str:
        """The passage after this one, which may be the first of the next block of the same file."""
        layout = self.layout(docnum)
        if passage + 2 < len(layout.text_starts):
            return text[layout.text_starts[passage + 1] : layout.text_starts[passage + 2]]
        path = self.paths()[docnum]
        later = [other for other, other_path in self.paths().items() if other_path == path and other > docnum]
        if later:  # a file's blocks are added in order, and merges keep the order
            following = min(later)
            if self.reader.stored_fields(following)["number"] == self.reader.stored_fields(docnum)["number"] + 1:
                return self.block_text(following)[: self.layout(following).text_starts[1]]
        return ""

    def hit(
        self, key: PassageKey, path: str, score: float, units: list[Unit], options: MatchOptions, context: int = 0
    ) -> Hit:
        """A Hit with its passage as written and the exact span of every occurrence of a query term, and
        `context` lines of the file before and after the passage."""
        with self._damage_reported():
            shown = self.shown(key, units, options)
            matches = sorted({match for occurrence in shown.occurrences for match in occurrence}, key=_match_order)
            text = shown.own.rstrip()
            if matches and max(match.end for match in matches) > len(text):
                text = shown.combined.rstrip()
            hit = Hit(Passage(path, shown.line, text), score, tuple(matches))
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
            return shown.line + index - first, text

        before = tuple(numbered(index) for index in range(max(0, first - count), first))
        after = tuple(numbered(index) for index in range(last + 1, min(lines, last + 1 + count)))
        return {"before": before, "after": after}

    def shown(self, key: PassageKey, units: list[Unit], options: MatchOptions) -> Shown:
        """A passage as written (and the next one, where a match may end), with every occurrence of the
        query's units found again in its normalised text: one tuple of Matches per occurrence, one Match
        per term of a NEAR pair."""
        docnum, passage = key
        layout = self.layout(docnum)
        text = self.block_text(docnum)
        own = text[layout.text_starts[passage] : layout.text_starts[passage + 1]]
        combined = own + self._following_text(docnum, passage, text)
        normalized = normalize(combined)
        own_length = bisect.bisect_left(normalized.to_original, len(own))
        haystack = normalized.text if options.exact_script else fold(normalized.text)
        block_offset = layout.norm_starts[passage]
        breaks = line_starts(combined)
        first_line = layout.lines[passage]

        def whole(span: Span) -> bool:
            return not options.whole_words or self._is_whole(docnum, block_offset + span[0], span[1] - span[0])

        def match(span: Span) -> Match:
            begin = normalized.to_original[span[0]]
            end = normalized.to_original[span[1] - 1] + 1
            return Match(first_line + bisect.bisect_right(breaks, begin), begin, end, combined[begin:end])

        occurrences = set()
        for unit in units:
            if isinstance(unit, Near):
                left, right = (
                    [span for span in _spans_in(term, haystack, own_length, options.exact_script) if whole(span)]
                    for term in (unit.left, unit.right)
                )
                occurrences.update(tuple(match(span) for span in pair) for pair in near_pairs(left, right, unit))
            else:
                found = _spans_in(unit, haystack, own_length, options.exact_script)
                occurrences.update((match(span),) for span in found if whole(span))
        start = layout.text_starts[passage]
        return Shown(
            docnum,
            start,
            text,
            own,
            combined,
            first_line,
            sorted(occurrences, key=lambda found: [_match_order(m) for m in found]),
        )


@dataclass(frozen=True, slots=True)
class Shown:
    """A passage found again for display: `own` is its text and `combined` adds the next passage;
    `block_text` is the whole block, and the passage starts at `start` in it, on line `line`."""

    docnum: int
    start: int
    block_text: str
    own: str
    combined: str
    line: int
    occurrences: list[tuple[Match, ...]]


def _match_order(match: Match) -> tuple[int, int]:
    return match.start, match.end


def _spans_in(term: Term, haystack: str, own_length: int, exact_script: bool) -> list[Span]:
    """Spans of the occurrences of `term` that start in the first `own_length` characters of `haystack`
    (normalised, and folded unless `exact_script`)."""
    if term.is_pattern:
        return _pattern_spans_in(term, haystack, own_length, exact_script)
    needle = term.normalized if exact_script else fold(term.normalized)
    return [(start, start + len(needle)) for start in _find_all(haystack, needle, own_length)]


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
    return _shortest_matches(term, word_characters(haystack), firsts, later, own_length)


def _shortest_matches(
    term: Term, flags: bytes, firsts: list[int], later: list[set[int]], own_length: int
) -> list[Span]:
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


def near_pairs(left: list[Span], right: list[Span], near: Near) -> list[tuple[Span, Span]]:
    """(first, second) pairs of spans at most `near.distance` apart without overlapping, left first
    when `near.ordered`; sorted, each pair once."""
    pairs = set()
    for a in left:
        for b in right:
            if 0 <= b[0] - a[1] <= near.distance:
                pairs.add((a, b))
            if not near.ordered and 0 <= a[0] - b[1] <= near.distance:
                pairs.add((b, a))
    return sorted(pairs)


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


PathFilter = Callable[[str], bool]


def path_filter(globs: Sequence[str]) -> PathFilter:
    """A test for indexed paths: a glob with a `/` matches the whole path, one without matches the
    file name (as in ripgrep's -g); `*` crosses `/`. A path passes when any glob matches."""
    import fnmatch

    compiled = [(re.compile(fnmatch.translate(glob)), "/" in glob) for glob in globs]

    def wanted(path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        return any(regex.match(path if whole else name) for regex, whole in compiled)

    return wanted


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


def _positions_at(leaves: list[tuple[str, object]], docnum: int) -> dict[str, list[int]]:
    """Positions of each variant whose matcher sits on `docnum`."""
    return {
        member: matcher.value_as("positions")
        for member, matcher in leaves
        if matcher.is_active() and matcher.id() == docnum
    }


def _open_reader(index_dir: str, attempts: int = 5):
    """A reader with its column files open, retried while a concurrent `cs index` swaps segments.

    Whoosh deletes the files of replaced segments right after a commit; a reader that read the old
    table of contents a moment before may then miss a file. Files once open stay readable, so the
    columns are opened here, and a failed open is simply tried again on the new table of contents.
    """
    for attempt in range(attempts):
        try:
            index = open_index(index_dir)
            reader = index.whoosh.reader()
            names = (
                ("passage_starts", "bounds", "text", "words") if reader.doc_count_all() else ()
            )  # an empty index has none
            columns = {name: reader.column_reader(name) for name in names}
            return reader, columns, index.passages, index.chars
        except (CorpusSearchError, OSError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def node_checked(node: Node) -> Node:
    if not isinstance(node, Term | Near | And | Or | Not):
        raise CorpusSearchError("bad query: not a parsed query")
    return node


def search(
    query: str,
    index_dir: str = DEFAULT_INDEX,
    *,
    whole_words: bool = False,
    exact_script: bool = False,
    paths: Sequence[str] = (),
    limit: int | None = None,
) -> Iterator[Hit]:
    """Hits for `query` in rank order: `for hit in search("临时党支部"): print(hit.passage.path, hit.line)`."""
    with Searcher(index_dir) as searcher:
        yield from searcher.run(query, whole_words, exact_script, paths).hits(limit)
