"""Variant folding: characters that OpenCC's character tables link are matched as one character.

`normalize` converts with OpenCC `t2s`, and a converter is not a search folding: `t2s` keeps some
traditional characters that have a simplified twin (著 stays 著, so 看着 misses 看著 in the Tang poems),
follows context in its phrase tables (乾 stays 乾 in 乾隆), and knows nothing of regional forms (着/著 and
裏/裡 are Taiwan pairs, 醉/酔 a Japanese one). `fold`, applied after `t2s` to documents and queries
alike, maps every character to one canonical member of its variant set, so spellings the tables link meet.

What folds: the connected sets (union-find over key–value edges) of the single-character entries of the
character tables that opencc-python-reimplemented ships (CHARACTER_TABLES), plus EXTRA_PAIRS. A set folds
to the member `t2s` writes for most of its members, its simplified form ({乾, 干, 幹} → 干); ties go to
the member used most in the simplified words of OpenCC's phrase table ({著, 着} → 着, {抬, 擡} → 抬),
then to one that is not a Japanese form ({敕, 勅} → 敕), then to the lowest code point. One character
in, one out, so offsets into the normalised text stay valid.

What does not fold: words that differ rather than characters (鼠标/滑鼠, 算法/演算法: the `*p` phrase
conversions), characters no table links (沈/沉, 象/像, 坏/坯), and characters outside the tables.

What it costs: the sets are transitive, so an entry that is a variant in one sense only joins two
distinct words: TSCharacters links 炼/链 through 鍊 and 画/划 through 畫, and 了/瞭, 祇/只, 么/幺 fold.
JPVariants would do it far more (缺/欠, 连/联, 辨/辩/瓣), which is why it is not used. `bench/folding.py`
measures the recall gained and the hits added.

The table is built from the dictionaries on first use (about 0.1 s) and cached, keyed by the
dictionaries' sizes and modification times, in `$XDG_CACHE_HOME/corpus-search` (or
`~/.cache/corpus-search`); reading the cache takes well under a millisecond. A cache folder that cannot be
written means building in memory each time, never an error.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .codetable import CodeTable

# The character tables (not the phrase tables) of opencc-python-reimplemented, each line
# `KEY\tVALUE1 VALUE2 ...`. The *Rev tables are the inverses of the regional ones; they add no edge
# today, but a future table version might. JPVariants is not taken whole: its shinjitai join distinct
# Chinese characters (缺/欠, 连/联, 辨/辩/瓣, 芸/艺, 予/豫) and doubled the corpus characters that fold
# (8,153 → 17,406) for no recall on OpenCC's test pairs; see japanese_edges for the part that is used.
CHARACTER_TABLES = (
    "TSCharacters",
    "STCharacters",
    "TWVariants",
    "TWVariantsRev",
    "HKVariants",
    "HKVariantsRev",
)
SIMPLIFYING_TABLE = "TSCharacters"  # t2s's character stage: the first value is what t2s writes
USAGE_TABLE = "STPhrases"  # its keys are simplified words: how much simplified text uses a character
JAPANESE_TABLE = "JPVariants"  # its values are Japanese forms (shinjitai)

# Variant pairs the tables miss, each with a test in tests/test_variants.py. OpenCC's own test cases
# (tests/data/opencc_testcases.tsv, from a newer OpenCC) show the last four as t2s conversions, and
# the Tang poems use them hundreds of times.
EXTRA_PAIRS = (
    # 搧 is the verb "to fan", written 扇 in simplified text: s2t writes 扇风 as 搧風 (a phrase entry
    # only) and t2s keeps 搧 (西游记: 一扇子搧将下来).
    ("搧", "扇"),
    # 疎 is a variant of 疏 (Tang: 朔風吹疎林, 1,760 times; 三国演义: 疏林); only JPVariants links them, and
    # its 疎 is also a Chinese-table character, so japanese_edges leaves it out.
    ("疎", "疏"),
    # 遶 is a variant of 繞/绕 (Tang: 鵲遶樹; 三国演义: 绕树三匝); newer t2s writes 绕.
    ("遶", "绕"),
    # 谿 is a variant of 溪 (Tang: 谿邊; 水浒传: 溪边); newer t2s writes 溪 except in names.
    ("谿", "溪"),
    # 幷 is a variant of 并 (Tang: 幷州; 三国演义: 并州); newer t2s writes 并.
    ("幷", "并"),
    # 貍 is a variant of 狸 (Tang: both 狐貍 and 狐狸); newer t2s writes 狸.
    ("貍", "狸"),
)

# Bump when the way the table is built changes, so caches built the old way are not used.
BUILD_VERSION = 2
_CACHE_NAME = "variants.marshal"


@dataclass(frozen=True, slots=True)
class FoldTable:
    """The fold table (`ord` → `ord`, only characters that change) and a short hash of its content."""

    table: dict[int, int]
    identity: str


def dictionary_dir() -> str:
    """OpenCC's dictionary folder, found from the package without importing (and running) it."""
    from importlib.util import find_spec

    spec = find_spec("opencc")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("opencc (opencc-python-reimplemented) is not installed")
    return os.path.join(list(spec.submodule_search_locations)[0], "dictionary")


def read_table(path: str) -> Iterator[tuple[str, list[str]]]:
    """Entries whose key and every value are one code point; longer ones are words, not variants."""
    with open(path, encoding="utf-8") as file:
        for line in file:
            key, _, values = line.strip().partition("\t")
            targets = values.split(" ")
            if len(key) == 1 and all(len(target) == 1 for target in targets):
                yield key, targets


def connected_sets(edges: Iterable[tuple[str, str]]) -> list[set[str]]:
    """Union-find over the edges: every set of characters the edges connect, singletons included."""
    parent: dict[str, str] = {}

    def root(char: str) -> str:
        parent.setdefault(char, char)
        while parent[char] != char:
            parent[char] = parent[parent[char]]
            char = parent[char]
        return char

    for first, second in edges:
        first_root, second_root = root(first), root(second)
        if first_root != second_root:
            parent[max(first_root, second_root)] = min(first_root, second_root)
    sets: dict[str, set[str]] = {}
    for char in parent:
        sets.setdefault(root(char), set()).add(char)
    return list(sets.values())


def canonical_member(members: set[str], simplified: dict[str, str], usage: Counter[str], japanese: set[str]) -> str:
    """What t2s writes for most members; then most used in simplified words; then not Japanese; then lowest."""
    votes = Counter(simplified.get(member, member) for member in members)
    return min(members, key=lambda c: (-votes[c], -usage[c], c in japanese, ord(c)))


def simplified_usage(path: str) -> Counter[str]:
    """How often each character occurs in the keys (the simplified side) of a phrase table."""
    with open(path, encoding="utf-8") as file:
        keys = re.sub(r"\t[^\n]*", "", file.read())
    return Counter(keys)


def japanese_edges(folder: str, tables: Iterable[str]) -> list[tuple[str, str]]:
    """The JPVariants entries that only add a spelling: the Japanese form is no character of the Chinese
    tables, no simplified word uses it, and it stands for one character only (白髪 meets 白发, but
    連 does not join 联 to 连, nor 弁 join 辨, 辯 and 瓣)."""
    if JAPANESE_TABLE in tables:
        return []
    chinese = set()
    for name in tables:
        for key, values in read_table(os.path.join(folder, f"{name}.txt")):
            chinese.add(key)
            chinese.update(values)
    usage = simplified_usage(os.path.join(folder, f"{USAGE_TABLE}.txt"))
    entries = list(read_table(os.path.join(folder, f"{JAPANESE_TABLE}.txt")))
    stands_for = Counter(value for _, values in entries for value in values)
    return [
        (key, value)
        for key, values in entries
        for value in values
        if value not in chinese and not usage[value] and stands_for[value] == 1
    ]


def build_fold_table(
    tables: Iterable[str] = CHARACTER_TABLES, extra_pairs: Iterable[tuple[str, str]] = EXTRA_PAIRS
) -> dict[int, int]:
    """Read the tables and fold every connected set to its canonical member (about 0.1 s: cache it)."""
    folder = dictionary_dir()

    def entries(name: str) -> Iterator[tuple[str, list[str]]]:
        return read_table(os.path.join(folder, f"{name}.txt"))

    edges = [(key, value) for name in tables for key, values in entries(name) for value in values]
    edges += japanese_edges(folder, tables)
    edges += list(extra_pairs)
    simplified = {key: values[0] for key, values in entries(SIMPLIFYING_TABLE)}
    usage = simplified_usage(os.path.join(folder, f"{USAGE_TABLE}.txt"))
    japanese = {value for _, values in entries(JAPANESE_TABLE) for value in values}
    table: dict[int, int] = {}
    for members in connected_sets(edges):
        canonical = canonical_member(members, simplified, usage, japanese)
        table.update((ord(member), ord(canonical)) for member in members if member != canonical)
    return table


def table_identity(table: dict[int, int]) -> str:
    """A short hash of the table's content, for an index to record which folding it was built with."""
    import hashlib

    content = ";".join(f"{key:x}:{value:x}" for key, value in sorted(table.items()))
    return hashlib.sha256(content.encode("ascii")).hexdigest()[:16]


def default_cache_dir() -> str:
    """`$XDG_CACHE_HOME/corpus-search`, or `~/.cache/corpus-search` when that is not set."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "corpus-search")


def source_key() -> tuple:
    """What the table depends on: how it is built, and each dictionary's size and modification time.

    Stat, not the package version: `importlib.metadata` alone takes tens of milliseconds to import,
    and installing another opencc version rewrites the dictionary files anyway.
    """
    folder = dictionary_dir()
    stats = []
    for name in sorted({*CHARACTER_TABLES, SIMPLIFYING_TABLE, USAGE_TABLE, JAPANESE_TABLE}):
        status = os.stat(os.path.join(folder, f"{name}.txt"))
        stats.append((name, status.st_size, status.st_mtime_ns))
    return (BUILD_VERSION, folder, CHARACTER_TABLES, tuple(stats), EXTRA_PAIRS)


def cache_path(cache_dir: str | None, name: str, folder: str) -> str | None:
    """The cache file of a table built from the dictionaries in `folder`: one per installation, so two
    installs (two virtual environments, say) do not overwrite each other's table on every run."""
    if not cache_dir:
        return None
    digest = hashlib.sha256(folder.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    stem, extension = os.path.splitext(name)
    return os.path.join(cache_dir, f"{stem}-{digest}{extension}")


def read_cache(path: str, key: tuple) -> tuple | None:
    """What write_cache stored at `path` under `key`; None when the file is missing, damaged or was
    built from other sources (another key)."""
    try:
        with open(path, "rb") as file:
            content = marshal.loads(file.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(content, tuple) or not content or content[0] != key:
        return None
    return content[1:]


def write_cache(path: str, key: tuple, *payload) -> None:
    """Store `payload` (marshal's types only) under `key`, atomically (a reader never sees half a
    file); a folder we cannot write is no error."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as file:
            file.write(marshal.dumps((key, *payload)))
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(temporary)


def load_fold_table(cache_dir: str | None) -> FoldTable:
    """The table from the cache when it is current, else built (and cached when `cache_dir` is given)."""
    key = source_key()
    path = cache_path(cache_dir, _CACHE_NAME, dictionary_dir())
    cached = read_cache(path, key) if path else None
    if cached is not None and len(cached) == 2 and isinstance(cached[0], str) and isinstance(cached[1], dict):
        return FoldTable(cached[1], cached[0])
    table = build_fold_table()
    folded = FoldTable(table, table_identity(table))
    if path:
        write_cache(path, key, folded.identity, folded.table)
    return folded


@functools.cache
def _loaded() -> FoldTable:
    return load_fold_table(default_cache_dir())


def fold_table() -> dict[int, int]:
    """`ord` → `ord` for every character that folds to another, for `str.translate`; do not mutate it."""
    return _loaded().table


def table_id() -> str:
    """The identity of the table in use: an index built with another table must be rebuilt."""
    return _loaded().identity


def fold(text: str) -> str:
    """Each character replaced by its variant set's canonical member; same length as `text`."""
    return _folding()(text)


@functools.cache
def _folding() -> CodeTable:
    return CodeTable(_loaded().table)


def compose_fold(mapping: dict[int, str]) -> dict[int, str]:
    """A `str.translate` table that maps like `mapping` and then folds: normalising and folding in one pass.

    Folding the corpus as a pass of its own costs about a tenth of `normalize`; folded into t2s's
    character table it costs nothing measurable (bench/folding.py).
    """
    table = fold_table()
    composed = {code: chr(target) for code, target in table.items()}
    composed.update((code, value.translate(table)) for code, value in mapping.items())
    return composed


@functools.cache
def variant_sets() -> list[frozenset[str]]:
    """Every set of two or more characters that fold together, largest first."""
    members: dict[int, set[str]] = {}
    for char, canonical in fold_table().items():
        members.setdefault(canonical, {chr(canonical)}).add(chr(char))
    return sorted((frozenset(chars) for chars in members.values()), key=lambda s: (-len(s), sorted(s)))
