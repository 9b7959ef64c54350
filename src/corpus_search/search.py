"""Run a query against the index: find every passage that satisfies it, rank them, and build Hits.

Matching reads Whoosh's postings directly. A term's characters are looked up in the `chars` field,
rarest first; in every block that holds all of them, the positions give each start where the whole term
sits on consecutive positions, which is exactly a substring match on the normalised text. Starts are
then assigned to the passages of the block (the `passage_starts` column), and AND / OR / NOT combine the
passages each term was found in.

Ranking is BM25 over passages, computed here: a term's frequency counts an occurrence that starts and ends
on jieba word boundaries (the `bounds` column) in full and one inside a longer word at half, so 人才 as a
word outranks 人才 in 这个人才能干. `whole_words=True` (`--words`) keeps only whole-word occurrences.

Only the hits that are shown are read back from the stored text, normalised again, and turned into Match
spans in the original characters, with the original line where each match starts.
"""

from __future__ import annotations

import bisect
import contextlib
import math
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field

from .analysis import OWN_END
from .errors import CorpusSearchError
from .loader import line_starts
from .model import Hit, Match, Passage
from .normalize import normalize
from .query import And, Node, Not, Or, Term, parse, positive_terms
from .store import DEFAULT_INDEX, index_totals, open_index

BM25_K1 = 1.2
BM25_B = 0.75
INSIDE_WORD_WEIGHT = 0.5  # an occurrence inside a longer word counts half

PassageKey = tuple[int, int]  # (Whoosh document number of the block, passage number in the block)


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
class SearchResult:
    """Every passage that satisfies a query, ranked; Hits are built only for those that are read."""

    searcher: Searcher
    terms: list[Term]
    whole_words: bool
    ranked: list[tuple[float, str, int, PassageKey]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.ranked)

    def counts(self) -> dict[str, int]:
        """Hits per file, in path order."""
        counts: dict[str, int] = {}
        for _, path, _, _ in self.ranked:
            counts[path] = counts.get(path, 0) + 1
        return dict(sorted(counts.items()))

    def hits(self, limit: int | None = None) -> Iterator[Hit]:
        """The best `limit` hits (all when None), best first."""
        chosen = self.ranked if limit is None else self.ranked[:limit]
        for score, path, _, key in chosen:
            yield self.searcher.hit(key, path, score, self.terms, self.whole_words)


class Searcher:
    """An open index, ready for queries; use as a context manager or call close()."""

    def __init__(self, index_dir: str = DEFAULT_INDEX):
        self.index_dir = index_dir
        self.reader, self._columns = _open_reader(index_dir)
        self.total_passages, total_chars = index_totals(index_dir)
        self.average_length = total_chars / self.total_passages if self.total_passages else 1.0
        self._layouts: dict[int, _Layout] = {}
        self._bounds: dict[int, bytes] = {}
        self._paths: dict[int, str] | None = None
        self._occurrences: dict[str, dict[PassageKey, list[int]]] = {}

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

    def bounds(self, docnum: int) -> bytes:
        if docnum not in self._bounds:
            self._bounds[docnum] = self._column("bounds", docnum)
        return self._bounds[docnum]

    def _column(self, name: str, docnum: int) -> bytes:
        return self._columns[name][docnum]

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

    def block_starts(self, text: str) -> dict[int, list[int]]:
        """Every block offset (normalised, own text) where `text` starts, by document number."""
        from whoosh.matching import IntersectionMatcher
        from whoosh.util import make_binary_tree

        reader = self.reader
        chars = sorted(set(text), key=lambda char: reader.doc_frequency("chars", char))
        if any(("chars", char) not in reader for char in chars):
            return {}
        leaves = {char: reader.postings("chars", char) for char in chars}
        matcher = make_binary_tree(IntersectionMatcher, list(leaves.values())) if len(leaves) > 1 else leaves[chars[0]]
        # Check the rarest characters first: they cut the candidate starts down fastest.
        checks = sorted(range(len(text)), key=lambda index: chars.index(text[index]))
        lead = checks[0]
        found: dict[int, list[int]] = {}
        while matcher.is_active():
            docnum = matcher.id()
            starts = [position - lead for position in leaves[text[lead]].value_as("positions")]
            starts = [start for start in starts if start < OWN_END]
            sets: dict[str, set[int]] = {}
            for index in checks[1:]:
                if not starts:
                    break
                char = text[index]
                if char not in sets:
                    sets[char] = set(leaves[char].value_as("positions"))
                present = sets[char]
                starts = [start for start in starts if start + index in present]
            if starts:
                own_start = OWN_END - self.layout(docnum).norm_starts[-1]
                found[docnum] = [start - own_start for start in starts]
            matcher.next()
        return found

    def occurrences(self, text: str, whole_words: bool) -> dict[PassageKey, list[int]]:
        """Block offsets of every occurrence of `text`, grouped by passage."""
        cache_key = ("w" if whole_words else "s") + text
        if cache_key in self._occurrences:
            return self._occurrences[cache_key]
        grouped: dict[PassageKey, list[int]] = {}
        for docnum, starts in self.block_starts(text).items():
            if whole_words:
                starts = [start for start in starts if self._is_whole(docnum, start, len(text))]
            norm_starts = self.layout(docnum).norm_starts
            passage = 0
            for start in starts:
                while norm_starts[passage + 1] <= start:
                    passage += 1
                grouped.setdefault((docnum, passage), []).append(start)
        self._occurrences[cache_key] = grouped
        return grouped

    def _is_whole(self, docnum: int, start: int, length: int) -> bool:
        """True when [start, start + length) begins and ends on word boundaries of the block."""
        bounds = self.bounds(docnum)
        end = start + length
        return bool(bounds[start]) and (end >= len(bounds) - 1 or bool(bounds[end]))

    def all_passages(self) -> set[PassageKey]:
        keys: set[PassageKey] = set()
        for docnum in self.reader.all_doc_ids():
            keys.update((docnum, passage) for passage in range(len(self.layout(docnum).lines)))
        return keys

    def evaluate(self, node: Node, whole_words: bool) -> set[PassageKey]:
        """The passages that satisfy `node`."""
        if isinstance(node, Term):
            return set(self.occurrences(node.normalized, whole_words))
        if isinstance(node, Or):
            keys: set[PassageKey] = set()
            for child in node.children:
                keys |= self.evaluate(child, whole_words)
            return keys
        if isinstance(node, Not):
            return self.all_passages() - self.evaluate(node.child, whole_words)
        wanted = [child for child in node.children if not isinstance(child, Not)]
        unwanted = [child.child for child in node.children if isinstance(child, Not)]
        if wanted:
            keys = self.evaluate(wanted[0], whole_words)
            for child in wanted[1:]:
                if not keys:
                    break
                keys &= self.evaluate(child, whole_words)
        else:
            keys = self.all_passages()
        for child in unwanted:
            if not keys:
                break
            keys -= self.evaluate(child, whole_words)
        return keys

    # -- ranking ---------------------------------------------------------------------------------

    def scores(self, keys: set[PassageKey], terms: list[Term], whole_words: bool) -> dict[PassageKey, float]:
        """BM25 of each passage in `keys`, whole-word occurrences counting in full and others at half."""
        scores = dict.fromkeys(keys, 0.0)
        length_norms: dict[PassageKey, float] = {}
        for term in terms:
            occurrences = self.occurrences(term.normalized, whole_words)
            df = len(occurrences)
            idf = math.log(1 + (self.total_passages - df + 0.5) / (df + 0.5))
            length = len(term.normalized)
            for key, starts in occurrences.items():
                if key not in scores:
                    continue
                docnum, passage = key
                bounds = self.bounds(docnum)
                last = len(bounds) - 1
                whole = sum(
                    1 for start in starts if bounds[start] and (start + length >= last or bounds[start + length])
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

    def run(self, query: str | Node, whole_words: bool = False) -> SearchResult:
        """Find and rank every passage that satisfies `query`."""
        node = parse(query) if isinstance(query, str) else node_checked(query)
        with self._damage_reported():
            return self._run(node, whole_words)

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

    def _run(self, node: Node, whole_words: bool) -> SearchResult:
        terms = positive_terms(node)
        keys = self.evaluate(node, whole_words)
        paths = self.paths()
        ranked = [
            (score, paths[key[0]], self.layout(key[0]).lines[key[1]], key)
            for key, score in self.scores(keys, terms, whole_words).items()
        ]
        ranked.sort(key=lambda item: (-item[0], item[1], item[2]))
        return SearchResult(self, terms, whole_words, ranked)

    # -- hits ------------------------------------------------------------------------------------

    def _following_text(self, docnum: int, passage: int, text: str) -> str:
        """The passage after this one, which may be the first of the next block of the same file."""
        layout = self.layout(docnum)
        if passage + 2 < len(layout.text_starts):
            return text[layout.text_starts[passage + 1] : layout.text_starts[passage + 2]]
        path = self.paths()[docnum]
        later = [other for other, other_path in self.paths().items() if other_path == path and other > docnum]
        if later:  # a file's blocks are added in order, and merges keep the order
            following = self.reader.stored_fields(min(later))
            if following["number"] == self.reader.stored_fields(docnum)["number"] + 1:
                return following["text"][: self.layout(min(later)).text_starts[1]]
        return ""

    def hit(self, key: PassageKey, path: str, score: float, terms: list[Term], whole_words: bool) -> Hit:
        """A Hit with its passage as written and the exact span of every occurrence of a query term."""
        with self._damage_reported():
            return self._hit(key, path, score, terms, whole_words)

    def _hit(self, key: PassageKey, path: str, score: float, terms: list[Term], whole_words: bool) -> Hit:
        docnum, passage = key
        layout = self.layout(docnum)
        text = self.reader.stored_fields(docnum)["text"]
        own = text[layout.text_starts[passage] : layout.text_starts[passage + 1]]
        combined = own + self._following_text(docnum, passage, text)
        normalized = normalize(combined)
        own_length = bisect.bisect_left(normalized.to_original, len(own))
        block_offset = layout.norm_starts[passage]
        breaks = line_starts(combined)
        first_line = layout.lines[passage]
        matches = []
        for term in terms:
            needle = term.normalized
            start = normalized.text.find(needle)
            while 0 <= start < own_length:
                if not whole_words or self._is_whole(docnum, block_offset + start, len(needle)):
                    begin = normalized.to_original[start]
                    end = normalized.to_original[start + len(needle) - 1] + 1
                    line = first_line + bisect.bisect_right(breaks, begin)
                    matches.append(Match(line, begin, end, combined[begin:end]))
                start = normalized.text.find(needle, start + 1)
        matches.sort(key=lambda match: (match.start, match.end))
        shown = own.rstrip()
        if matches and max(match.end for match in matches) > len(shown):
            shown = combined.rstrip()
        return Hit(Passage(path, first_line, shown), score, tuple(matches))


def _open_reader(index_dir: str, attempts: int = 5):
    """A reader with its column files open, retried while a concurrent `cs index` swaps segments.

    Whoosh deletes the files of replaced segments right after a commit; a reader that read the old
    table of contents a moment before may then miss a file. Files once open stay readable, so the
    columns are opened here, and a failed open is simply tried again on the new table of contents.
    """
    for attempt in range(attempts):
        try:
            reader = open_index(index_dir).reader()
            names = ("passage_starts", "bounds") if reader.doc_count_all() else ()  # an empty index has none
            columns = {name: reader.column_reader(name) for name in names}
            return reader, columns
        except (CorpusSearchError, OSError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def node_checked(node: Node) -> Node:
    if not isinstance(node, Term | And | Or | Not):
        raise CorpusSearchError("bad query: not a parsed query")
    return node


def search(
    query: str, index_dir: str = DEFAULT_INDEX, *, whole_words: bool = False, limit: int | None = None
) -> Iterator[Hit]:
    """Hits for `query` in rank order: `for hit in search("临时党支部"): print(hit.passage.path, hit.line)`."""
    with Searcher(index_dir) as searcher:
        yield from searcher.run(query, whole_words).hits(limit)
