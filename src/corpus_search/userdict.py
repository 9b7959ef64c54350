"""A user dictionary for jieba: read and checked before indexing starts, its words normalised.

The format is that of jieba's `Tokenizer.load_userdict`: UTF-8 (a BOM is allowed), one entry a line,
`word [frequency] [tag]` separated by spaces, blank lines ignored. jieba reads any line somehow (`临时 党支部`
becomes a word with a space in it, which its segmentation never produces, and `党旗 NR` a word `党旗 NR`);
cs stops at such a line and names it, so that a mistake is not silently ignored. Words are normalised like
the text they are cut from (normalize.py), so 臨時黨支部 is the entry 临时党支部 and COVID-19 is covid-19.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .analysis import UserWord
from .errors import CorpusSearchError
from .normalize import normalize

_FREQUENCY = re.compile(r"[0-9]+")
_TAG = re.compile(r"[a-z]+")  # jieba's pattern for a tag
_SEPARATOR = "\x01"  # joins the words to normalise them in one call; not printable, so in no word


@dataclass(frozen=True, slots=True)
class UserDict:
    """A user dictionary: its bytes as read (they are stored with the index), their SHA-256, its words."""

    data: bytes
    sha256: str
    words: tuple[UserWord, ...]


def read_user_dict(path: str) -> UserDict:
    """The dictionary in the file at `path`; an unreadable file or a bad line is a CorpusSearchError."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise CorpusSearchError(f"cannot read the dictionary {path}: {error.strerror or error}") from None
    return parse_user_dict(data, path)


def parse_user_dict(data: bytes, name: str) -> UserDict:
    """The dictionary held in `data`; `name` is the file that errors name, with the line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CorpusSearchError(f"dictionary {name}, line {line}: not UTF-8") from None
    words, frequencies, tags = [], [], []
    for number, line in enumerate(text.split("\n"), 1):
        fields = line.split()
        if not fields:
            continue
        word, *rest = fields
        frequency = tag = None
        if rest and _FREQUENCY.fullmatch(rest[0]):
            frequency = int(rest.pop(0))
        if rest and _TAG.fullmatch(rest[0]):
            tag = rest.pop(0)
        if rest or not word.isprintable():
            shown = line.strip()
            shown = shown if len(shown) <= 40 else shown[:40] + "…"
            raise CorpusSearchError(
                f"dictionary {name}, line {number}: {shown!r} is not `word [frequency] [tag]` "
                "(a word holds no spaces, a tag is lower-case letters)"
            )
        words.append(word)
        frequencies.append(frequency)
        tags.append(tag)
    normalized = normalize(_SEPARATOR.join(words)).text.split(_SEPARATOR) if words else []
    return UserDict(
        data,
        hashlib.sha256(data).hexdigest(),
        tuple(UserWord(*entry) for entry in zip(normalized, frequencies, tags, strict=True)),
    )
