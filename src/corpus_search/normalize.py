"""The matching contract: documents and queries are normalised the same way, and matched by substring.

`normalize(text)` returns the normalised text and `to_original`, where `to_original[i]` is the index in
`text` of normalised character i (plus a sentinel, `len(text)`, at the end). Three steps, in this order:

1. whitespace (spaces, ideographic spaces, line breaks, blank lines, zero-width spaces) is removed where
   either neighbour is a CJK character or CJK punctuation, and collapsed to one space elsewhere, so
   `建\\n\\n立健全` reads 建立健全 and `72 名` reads 72名; leading and trailing whitespace goes;
2. full-width ASCII becomes half-width and letters become lower case (one character to one character);
3. traditional script becomes simplified with OpenCC `t2s`, a whole text at a time (its phrase tables
   depend on context). `t2s` maps every character to exactly one character, so offsets survive it.

Step 1 looks at the original characters, so a full-width comma counts as CJK punctuation even though
step 2 turns it into `,`.

Text of a file with page and line markers (markup.py) is normalised with `markup=True`: the markers and
`¶` are removed first, so step 1 joins what they stood between, and `to_original` skips them.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass

from . import _kernels as kernels
from .codetable import CodeTable
from .markup import strip_markup

# Whitespace as Python's regex sees it, plus the zero-width space and a stray byte-order mark, which
# PDF extraction leaves inside words.
_LEADING_WHITESPACE = re.compile(r"[\s\u200b\ufeff]*")

# (first, last) code points that count as CJK for the whitespace rule.
_CJK_RANGES = (
    (0x2E80, 0x2FFF),  # radicals, ideographic description characters
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3040, 0x31FF),  # kana, bopomofo, strokes
    (0x3200, 0x4DBF),  # enclosed CJK, compatibility, extension A
    (0x4E00, 0x9FFF),  # unified ideographs
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0xFE10, 0xFE1F),  # vertical forms
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # full-width and half-width forms
    (0x20000, 0x3FFFF),  # extensions B and later
)
# Punctuation from General Punctuation and Latin-1 that Chinese text uses as its own: quotes, ellipsis,
# dashes and the middle dot.
_CJK_PUNCTUATION = frozenset("\u2014\u2015\u2018\u2019\u201c\u201d\u2026\u2027\u00b7")
_CJK_MARKS = "".join(sorted(_CJK_PUNCTUATION))  # as the kernel takes them


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text and, for each of its characters, the index of the original character."""

    text: str
    to_original: list[int]


@functools.cache
def is_cjk(char: str) -> bool:
    """True for a Han character, kana, CJK punctuation or full-width punctuation."""
    if char in _CJK_PUNCTUATION:
        return True
    code = ord(char)
    if char.isalnum() and 0xFF00 <= code <= 0xFFEF and code < 0xFF61:
        return False  # full-width letters and digits fold to ASCII, and space around them stays
    return any(first <= code <= last for first, last in _CJK_RANGES)


# (first, last) code points of Han ideographs, the commonest first. Planes 2 and 3 hold only CJK
# ideographs (extensions B to J and the compatibility supplement), with room for the extensions to come.
HAN_RANGES = (
    (0x4E00, 0x9FFF),  # unified ideographs
    (0x3400, 0x4DBF),  # extension A
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0x20000, 0x3FFFF),  # extensions B and later, compatibility ideographs supplement
)


def is_han(char: str) -> bool:
    """True for a Han ideograph (unified, extension A, compatibility, extension B and later)."""
    code = ord(char)
    return any(first <= code <= last for first, last in HAN_RANGES)


# Full-width ASCII to ASCII. U+FFFF is a noncharacter the index uses as a separator, so text never
# carries it. U+0130 (İ) is the one character whose lower() is two characters long.
_WIDTH = CodeTable({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0xFFFF: 0xFFFD, 0x130: ord("i")})


@functools.cache
def _converter(conversion: str):
    from opencc import OpenCC

    return OpenCC(conversion)


SHORT_TEXT = 2000  # characters; shorter texts go straight through OpenCC…
SLOW_BUDGET = 2_000  # …until this many characters went that way: then the fast path pays for itself
_slow_chars: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class _FastConversion:
    """OpenCC's group of phrase tables plus one character table, split so most text skips the phrases.

    OpenCC converts each run between separators on its own: first the phrase tables (longest match
    first), then every character left over through the character table. A run that holds no phrase
    key therefore converts character by character, which `str.translate` does at C speed for the whole
    text at once (separators are left out of the table: OpenCC keeps them as they are); only the runs
    holding a phrase key go through OpenCC itself. Phrase keys never hold a separator.
    """

    phrases: re.Pattern | None
    characters: CodeTable


@functools.cache
def _fast_conversion(conversion: str) -> _FastConversion | None:
    converter = _converter(conversion)
    converter._init_dict()
    chain = converter._dict_chain_data
    if len(chain) != 1 or not chain[0] or chain[0][-1][0] != 1:
        return None  # not one group ending in a character table: leave it all to OpenCC
    *phrase_tables, (_, _, characters) = chain[0]
    keys = sorted({key for _, _, table in phrase_tables for key in table})
    if len(keys) > 2000:
        return None  # a regex of that many keys searches slower than OpenCC converts (s2t has 48,000)
    phrases = re.compile(_trie_pattern(keys)) if keys else None
    separator = converter.split_chars_re
    table = {
        ord(key): value.split(" ")[0] for key, value in characters.items() if len(key) == 1 and not separator.match(key)
    }
    return _FastConversion(phrases, CodeTable(table))


def _trie_pattern(keys: list[str]) -> str:
    """A regex that matches the longest of `keys` (sorted, non-empty) that starts where it is tried, the
    keys factored by their first characters, then the next ones: at a position, one branch per distinct
    character is tried instead of one per key (OpenCC's t2s has 277 keys, 117 first characters; a
    search through the corpus takes half the time). A longer key's branch comes before the end of a
    shorter one, so the longest key wins, as in an alternation of the keys longest first."""
    branches, ends = [], False
    for first, group in itertools.groupby(keys, key=lambda key: key[:1]):
        if not first:
            ends = True
            continue
        branches.append(re.escape(first) + _trie_pattern([key[1:] for key in group]))
    if len(branches) == 1 and not ends:
        return branches[0]
    return "(?:" + "|".join(branches) + ("|" if ends else "") + ")" if branches else ""


def _opencc(text: str, conversion: str) -> str:
    """Exactly what `OpenCC(conversion).convert(text)` gives, faster (see _FastConversion)."""
    converter = _converter(conversion)
    if len(text) < SHORT_TEXT and _slow_chars.get(conversion, 0) < SLOW_BUDGET:
        # A query or a few passages: not worth building the fast path (many passages, as for a KWIC, are).
        _slow_chars[conversion] = _slow_chars.get(conversion, 0) + len(text)
        return converter.convert(text)
    fast = _fast_conversion(conversion)
    return converter.convert(text) if fast is None else _fast_convert(text, converter, fast)


def _fast_convert(text: str, converter, fast: _FastConversion) -> str:
    """OpenCC's conversion: the character table for the whole text in one `str.translate`, then each run
    between separators that holds a phrase key converted again by OpenCC itself."""
    converted = fast.characters(text)
    if fast.phrases is None:
        return converted
    separator = converter.split_chars_re
    pieces, cursor = [], 0
    for found in fast.phrases.finditer(text):
        start = found.start()
        if start < cursor:
            continue  # in a run already converted
        while start > cursor and not separator.match(text, start - 1):
            start -= 1  # back to the start of the run that holds it
        after = separator.search(text, found.end())
        end = len(text) if after is None else after.start()
        pieces += (converted[cursor:start], converter._convert(text[start:end], converter._dict_chain_data))
        cursor = end
    if not pieces:
        return converted
    pieces.append(converted[cursor:])
    return "".join(pieces)


def _convert_keeping_length(text: str, conversion: str) -> str:
    """OpenCC conversion that maps one character to one character, so offsets stay valid."""
    converted = _opencc(text, conversion)
    if len(converted) == len(text):
        return converted
    converter = _converter(conversion)
    # Never seen with t2s; phrase tables of other conversions may change a length, so fall back
    # to character by character.
    pieces = []
    for char in text:
        one = converter.convert(char)
        pieces.append(one if len(one) == 1 else char)
    return "".join(pieces)


def to_simplified(text: str) -> str:
    """OpenCC t2s, a whole text at a time, one character in and one out."""
    return _convert_keeping_length(text, "t2s")


def to_simplified_each(texts: list[str]) -> list[str]:
    """to_simplified of each text, converted as one text: OpenCC converts the runs between its separators
    each on its own, and a line break is one, so joined by line breaks they convert as they would alone
    (a text that holds a line break, or whose length the phrases change, is converted alone)."""
    if any("\n" in text for text in texts):
        return [to_simplified(text) for text in texts]
    converted = _opencc("\n".join(texts), "t2s").split("\n")
    if len(converted) != len(texts):
        return [to_simplified(text) for text in texts]
    return [
        same if len(same) == len(text) else to_simplified(text) for same, text in zip(converted, texts, strict=True)
    ]


def to_script(text: str, script: str) -> str:
    """Text shown in simplified (`s`) or traditional (`t`) script, same length as given."""
    return _convert_keeping_length(text, "t2s" if script == "s" else "s2t")


def join_whitespace(text: str) -> tuple[str, list[int]]:
    """Step 1: drop whitespace next to CJK (is_cjk), collapse it to one space elsewhere; keep the offsets.
    A run of whitespace at the start or end of the text is dropped; a kept run's space maps to the run's
    first character. In one pass in C (_kernels.join_whitespace; tests/test_normalize.py checks it against
    a regex over the same whitespace and is_cjk)."""
    return kernels.join_whitespace(text, _CJK_RANGES, _CJK_MARKS, True)


def whitespace_edges(text: str) -> tuple[int, int]:
    """Where the whitespace that join_whitespace drops at the start of `text` ends, and where that at
    its end starts."""
    leading = _LEADING_WHITESPACE.match(text).end()
    trailing = _LEADING_WHITESPACE.match(text[::-1]).end()  # a search for it at the end would try every start
    return leading, max(leading, len(text) - trailing)


def joined_text(text: str) -> str:
    """join_whitespace's text alone, without the offsets (for context shown around a match)."""
    return kernels.join_whitespace(text, _CJK_RANGES, _CJK_MARKS, False)[0]


def normalize(text: str, markup: bool = False) -> Normalized:
    """Normalise for matching; see the module docstring for the three steps. With `markup`, page
    markers and line marks are not text (the text is from a file that has markup, markup.py)."""
    joined, to_original = whitespace_joined(text, markup)
    return Normalized(to_simplified(_WIDTH(joined).lower()), to_original)


def whitespace_joined(text: str, markup: bool = False) -> tuple[str, list[int]]:
    """normalize's step 1 alone (after the markup is taken out): the only step that changes the length,
    so its offsets are the normalised text's."""
    if not markup:
        return join_whitespace(text)
    stripped, kept = strip_markup(text)
    joined, to_stripped = join_whitespace(stripped)
    to_original = [kept[index] for index in to_stripped[:-1]]
    to_original.append(len(text))
    return joined, to_original


def normalize_query(text: str) -> str:
    """The normalised form of a query term: the same steps as for documents."""
    return normalize(text).text


# -- punctuation-blind matching (--ignore-punct) ---------------------------------------------------------
# Punctuation is every character of Unicode's punctuation (P*) and symbol (S*) categories: CJK and ASCII
# punctuation, quotes, dashes, the middle dot, box drawing and other symbols. It is judged on the
# normalised text, so a full-width comma counts as the `,` it became.


@functools.cache
def is_punctuation(char: str) -> bool:
    """True for a punctuation mark or a symbol (general categories P* and S*)."""
    return unicodedata.category(char)[0] in "PS"


def strip_punctuation(text: str) -> tuple[str, list[int]]:
    """The text without punctuation, and the index in `text` of each character kept."""
    kept = [index for index, char in enumerate(text) if not is_punctuation(char)]
    return "".join(text[index] for index in kept), kept
