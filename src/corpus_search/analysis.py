"""Analysis of normalised text: jieba words for ranking, `--words` and collocates.

Exact matching needs no analysis: every character of the normalised text is in the suffix arrays of
segment.py, so a term is found as a substring.

- words: jieba words (dictionary only, no HMM guesses, no stop words, no stemming) are kept as word
  boundaries beside each block, for ranking and `--words`: a match that starts and ends on boundaries is
  a whole word or a run of whole words. The same bytes flag word characters (letters, digits, Han), which
  wildcards may stand for, and each block keeps how often each word occurs in it, for collocates. A user
  dictionary (`use_user_words`) adds words to jieba's; it changes boundaries and counts, never matches.
- Han for jieba: jieba 0.42.1 cuts only runs of U+4E00–U+9FD5 (and ASCII letters, digits, +#&._%-) with
  its dictionary; any other character is a word by itself, so a dictionary word holding 䓬 (extension A)
  or 𠮷 (extension B) is never cut whole (fxsjy/jieba #440, #1049). The segmenter widens that range to
  every Han ideograph (normalize.HAN_RANGES); text without such characters is cut as before.
"""

from __future__ import annotations

import functools
import marshal
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from . import _kernels as kernels
from .normalize import HAN_RANGES


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

    jieba = _import_jieba()
    jieba.setLogLevel(logging.WARNING)
    _widen_jieba_han(jieba)
    jieba.marshal = _WholeFileMarshal
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in _user_words:
        tokenizer.add_word(word.text, word.frequency, word.tag)
    return tokenizer


def _import_jieba():
    """jieba, imported while pkg_resources cannot be: jieba 0.42.1 (jieba/_compat.py) imports it only to
    open its dictionary file, and opens the same file beside its module when that import fails.
    Importing pkg_resources takes about 0.1 s, in every indexing worker, and setuptools deprecates it."""
    import sys

    hidden = "pkg_resources" not in sys.modules
    if hidden:
        sys.modules["pkg_resources"] = None  # a None entry makes `import pkg_resources` fail
    try:
        import jieba
    finally:
        if hidden:
            del sys.modules["pkg_resources"]
    return jieba


class _WholeFileMarshal:
    """marshal as jieba 0.42.1 uses it (`load` of its dictionary cache, `dump` to write one), but `load`
    reads the file in one piece first: marshal.load on a file object makes a small read per object, and
    jieba's 9 MB cache took 0.74-0.89 s to load that way, 0.22-0.25 s from its bytes (in each indexing
    worker; jieba's load time is fxsjy/jieba#366). The same objects either way."""

    dump = staticmethod(marshal.dump)

    @staticmethod
    def load(file):
        return marshal.loads(file.read())


_HAN_CLASS = "".join(f"{chr(first)}-{chr(last)}" for first, last in HAN_RANGES)  # inside [...] of a regex
_JIEBA_HAN = "\u4e00-\u9fd5"  # the Han range in re_han_default of jieba 0.42.1 (pinned in pyproject.toml)


def _widen_jieba_han(jieba) -> None:
    """Let jieba's dictionary cut every Han ideograph, not only U+4E00–U+9FD5. jieba has no option for
    it: `Tokenizer.cut` splits text into runs to cut with the module global `re_han_default`, read at
    each call (`cut_all` uses the same regex; `load_userdict`'s `re_userdict` takes any character, and we
    call `add_word`). Replacing that global, before the first cut, is the only way short of a fork."""
    pattern = jieba.re_han_default.pattern
    if _JIEBA_HAN in pattern:  # not yet widened in this process (a forked worker inherits the widening)
        jieba.re_han_default = re.compile(pattern.replace(_JIEBA_HAN, _HAN_CLASS), re.U)


@dataclass(frozen=True, slots=True)
class Words:
    """jieba's cut of a text: every piece in order (whitespace too, one character or CRLF a piece).
    Iterating gives the words, whitespace dropped, as (word, start, end); indexing reads only the pieces
    (word_flags, word_counts), so the offsets are summed only here."""

    pieces: list[str]

    def __iter__(self) -> Iterator[tuple[str, int, int]]:
        end = 0
        for piece in self.pieces:
            start = end
            end += len(piece)
            if not piece.isspace():
                yield piece, start, end


def cut(text: str) -> Words:
    """jieba's cut of normalised text."""
    return Words(list(segmenter().cut(text, HMM=False)))


def segment(text: str) -> list[tuple[str, int, int]]:
    """jieba words of normalised text as (word, start, end), whitespace dropped."""
    return list(cut(text))


BOUNDARY = 1  # a jieba word starts or ends at this offset
WORD_CHAR = 2  # the character at this offset is a letter, digit (str.isalnum) or Han character (HAN_RANGES)


def word_flags(own: str, lookahead: str = "", words: Words | None = None) -> bytes:
    """One byte per offset 0…len(own + lookahead): BOUNDARY where a jieba word of `own` starts or ends
    (always at len(own)), WORD_CHAR where the character is a word character (word_characters).

    A word ends where the next piece starts; a whitespace piece first in the text or after another
    whitespace piece starts no word and ends none, so its start is not marked. One pass in C over the
    pieces and the characters (_kernels.word_flags); tests/test_analysis.py checks it word by word.
    """
    words = cut(own) if words is None else words
    return kernels.word_flags(own, lookahead, words.pieces, HAN_RANGES, BOUNDARY, WORD_CHAR)


def word_characters(text: str) -> bytes:
    """One byte per offset 0…len(text): WORD_CHAR where the character is a letter, digit or Han (what
    str.isalnum() takes, and HAN_RANGES), else 0. In C (_kernels.word_characters)."""
    return kernels.word_characters(text, HAN_RANGES, WORD_CHAR)


# What str.isalnum() accepts, and every Han code point: this Python's Unicode database may predate an
# extension (3.11 knows none of H, I or J) and call its characters unassigned, where jieba counts them Han.
_WORD_CHARACTER = re.compile(f"[{_HAN_CLASS}]|[^\\W_]")


def is_collocate(word: str) -> bool:
    """Words counted for collocates: those with a letter, digit or Han character (not punctuation)."""
    return _WORD_CHARACTER.search(word) is not None


def word_counts(words: Words | Iterable[tuple[str, int, int]]) -> bytes:
    """`word<TAB>count` lines (UTF-8) of a block's words, for corpus-wide word frequencies: each distinct
    collocate (is_collocate; whitespace is none) in the order it first occurs, with its count. In one
    pass in C (_kernels.block_word_counts); tests/test_analysis.py checks it against a Counter of the
    words, is_collocate and f-strings."""
    pieces = words.pieces if isinstance(words, Words) else [word for word, _, _ in words]
    return kernels.block_word_counts(pieces, HAN_RANGES)


def read_word_counts(data: bytes) -> dict[str, int]:
    """`word<TAB>count` lines (UTF-8, lone surrogates passed through) as a dict: what word_counts wrote."""
    fields = data.decode("utf-8", errors="surrogatepass").replace("\n", "\t").split("\t")
    return dict(zip(fields[0:-1:2], map(int, fields[1::2]), strict=True))
