"""Whoosh analysis of normalised text: a character field for exact matching, a word field for ranking.

Both tokenizers follow Whoosh's token contract: one reused `Token`, every field reset per token, positions
that go up by one from `start_pos`, and `startchar`/`endchar` into the value when `chars=True`.

- `chars`: every character of a block's normalised text is a token, so a query is a run of consecutive
  positions and a phrase over characters is exactly a substring search. The value is the block's own
  text, `SEPARATOR`, then its lookahead (the start of the next block). Own characters take positions
  `OWN_END - len(own)` … `OWN_END - 1` and lookahead characters `OWN_END` onwards, so "this match starts
  in this block" is the test `position < OWN_END`, the same for every document.
- words: jieba words (dictionary only, no HMM guesses, no stop words, no stemming) are kept as word
  boundaries beside each block, for ranking and `--words`: a match that starts and ends on boundaries is
  a whole word or a run of whole words. The same bytes flag word characters (letters, digits, Han), which
  wildcards may stand for, and each block keeps how often each word occurs in it, for collocates. A user
  dictionary (`use_user_words`) adds words to jieba's; it changes boundaries and counts, never matches.
"""

from __future__ import annotations

import functools
import itertools
import pickle
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter

from whoosh.analysis import Token, Tokenizer
from whoosh.fields import FieldType
from whoosh.formats import _INT_SIZE, Positions

SEPARATOR = "\uffff"  # a noncharacter; normalisation turns any U+FFFF in the text into U+FFFD
OWN_END = 1 << 17  # position after a block's last own character; blocks hold at most 65,536 + 200


class CharTokenizer(Tokenizer):
    """One token per character of `own SEPARATOR lookahead`, own characters ending at OWN_END."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        own, _, lookahead = value.partition(SEPARATOR)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        position = start_pos + OWN_END - len(own)
        char_offset = start_char
        for part in (own, lookahead):
            for char in part:
                token.text = char
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = char
                if positions:
                    token.pos = position
                if chars:
                    token.startchar = char_offset
                    token.endchar = char_offset + 1
                yield token
                position += 1
                char_offset += 1
            char_offset += len(SEPARATOR)


class CharPositions(Positions):
    """Whoosh's Positions format, decoded with itertools.accumulate: a block's lists are long."""

    def decode_positions(self, valuestring: bytes) -> list[int]:
        if not valuestring.endswith(b"."):
            valuestring += b"."
        return list(itertools.accumulate(pickle.loads(valuestring[_INT_SIZE:])))


def chars_value(own: str, lookahead: str) -> str:
    """The `chars` field value of a block."""
    return own + SEPARATOR + lookahead


class CharField(FieldType):
    """The `chars` field: CharTokenizer's postings, computed without a Token per character.

    `index()` also takes the postings ready-made (`char_postings`), so the indexing workers do this
    work and the process that feeds Whoosh only adds them.
    """

    def __init__(self):
        # Scorable, so that Whoosh keeps a length column: without one, its writer looks for the
        # missing column file on disk once per posting (half the commit time).
        super().__init__(CharPositions(), CharTokenizer(), scorable=True)

    def index(self, value, **kwargs):
        if isinstance(value, list):
            return iter(value)
        own, _, lookahead = value.partition(SEPARATOR)
        return iter(char_postings(own, lookahead))


def char_postings(own: str, lookahead: str) -> list[tuple[bytes, int, float, bytes]]:
    """(term bytes, frequency, weight, encoded positions) per character, as CharTokenizer would give."""
    positions: dict[str, list[int]] = {}
    first = OWN_END - len(own)
    for offset, char in enumerate(own, first):
        positions.setdefault(char, []).append(offset)
    for offset, char in enumerate(lookahead, OWN_END):
        positions.setdefault(char, []).append(offset)
    encode = _FORMAT.encode
    return [(char.encode("utf-8"), len(found), float(len(found)), encode(found)) for char, found in positions.items()]


@dataclass(frozen=True, slots=True)
class UserWord:
    """A word of a user dictionary, as jieba's `Tokenizer.add_word` takes it (frequency None: jieba picks
    one just high enough for the word to be cut whole where nothing else competes for its characters)."""

    text: str
    frequency: int | None = None
    tag: str | None = None


_user_words: tuple[UserWord, ...] = ()


def use_user_words(words: tuple[UserWord, ...]) -> None:
    """Segment with these user dictionary words from now on, in this process (and in workers forked
    after it); the segmenter is built again only when the words differ."""
    global _user_words
    if words != _user_words:
        _user_words = words
        segmenter.cache_clear()


@functools.cache
def segmenter():
    """jieba's tokenizer with the user words, built on first use (loading its dictionary takes most of a
    second; jieba reads it from its own package and a cache file, never from the network)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in _user_words:
        tokenizer.add_word(word.text, word.frequency, word.tag)
    return tokenizer


def segment(text: str) -> list[tuple[str, int, int]]:
    """jieba words of normalised text as (word, start, end), whitespace dropped."""
    words = []
    start = 0
    for word in segmenter().cut(text, HMM=False):
        end = start + len(word)
        if not word.isspace():
            words.append((word, start, end))
        start = end
    return words


_FORMAT = CharPositions()

BOUNDARY = 1  # a jieba word starts or ends at this offset
WORD_CHAR = 2  # the character at this offset is a letter, digit or Han character (str.isalnum)


def word_flags(own: str, lookahead: str = "", words: list[tuple[str, int, int]] | None = None) -> bytes:
    """One byte per offset 0…len(own + lookahead): BOUNDARY where a jieba word of `own` starts or ends
    (always at len(own)), WORD_CHAR where the character is alphanumeric."""
    flags = bytearray(word_characters(own + lookahead))
    for _, start, end in segment(own) if words is None else words:
        flags[start] |= BOUNDARY
        flags[end] |= BOUNDARY
    flags[len(own)] |= BOUNDARY
    return bytes(flags)


def word_characters(text: str) -> bytes:
    """One byte per offset 0…len(text): WORD_CHAR where the character is alphanumeric, else 0."""
    # Two passes of the regex engine mark the word characters (a Python loop per character is slower).
    marks = _OTHER_THAN_MARK.sub("\0", _WORD_CHARACTER.sub(chr(WORD_CHAR), text))
    return marks.encode("latin-1") + b"\0"


_WORD_CHARACTER = re.compile(r"[^\W_]")  # what str.isalnum() accepts
_OTHER_THAN_MARK = re.compile(f"[^{chr(WORD_CHAR)}]")


def is_collocate(word: str) -> bool:
    """Words counted for collocates: those with a letter, digit or Han character (not punctuation)."""
    return _WORD_CHARACTER.search(word) is not None


def word_counts(words: list[tuple[str, int, int]]) -> bytes:
    """`word<TAB>count` lines (UTF-8) of a block's words, for corpus-wide word frequencies."""
    counts = Counter(map(itemgetter(0), words))  # counted in C; only distinct words are checked below
    lines = "".join(f"{word}\t{count}\n" for word, count in counts.items() if is_collocate(word))
    return lines.encode("utf-8", errors="surrogatepass")
