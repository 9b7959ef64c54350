"""Measure variant folding (`corpus_search.variants`): what it finds, what it adds, what it costs.

    python bench/folding.py                      # ../shared/corpus, tests/data/opencc_testcases.tsv
    python bench/folding.py --queries 300 --seed 7

a) Recall on OpenCC's own test pairs (a simplified sentence and its traditional, Taiwan or Hong Kong
   form): every 2–6 character Han substring of one side, searched in the other side, with t2s only and
   with t2s then fold. Pairs of equal length only, so a query's aligned counterpart is at the same offset.
b) Precision on the corpus: random 2–4 character Han queries drawn from the normalised corpus, and the
   (file, offset) matches they get without and with folding, also with a table built without JPVariants.
c) Cost: folding the normalised corpus against normalising it, and loading the table built or cached.
d) Phrase alternatives (`corpus_search.phrases`), as a user tries them: each side of a character
   conversion's pair (s2t, s2tw, s2hk and back) in a file, a 2–6 character Han window of the other side
   as the query, found with folding alone (before) and with the term's alternatives too (after): one
   random window per pair and side over several seeds, and every window. Then precision: b)'s corpus
   queries with their alternatives; whether the reduced tables give the alternatives the full
   dictionaries give; and what the alternatives cost.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from corpus_search.loader import read_text
from corpus_search.normalize import is_han, join_whitespace, normalize, normalize_query, to_script
from corpus_search.phrases import Conversions, alternatives, build_conversions, load_conversions
from corpus_search.variants import (
    CHARACTER_TABLES,
    build_fold_table,
    compose_fold,
    dictionary_dir,
    fold,
    fold_table,
    load_fold_table,
    read_table,
    table_id,
    variant_sets,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_PAIRS = ROOT / "tests" / "data" / "opencc_testcases.tsv"
CHARACTER_CONVERSIONS = ("s2t", "s2tw", "s2hk", "t2s", "tw2s", "hk2s")
PHRASE_CONVERSIONS = ("s2twp", "s2hkp", "tw2sp", "hk2sp")  # these also change words: 鼠标 → 滑鼠
QUERY_LENGTHS = range(2, 7)
CORPUS_QUERY_LENGTHS = range(2, 5)


@dataclass(frozen=True, slots=True)
class Pair:
    """One OpenCC test case: a conversion, its simplified side and its other side."""

    conversion: str
    simplified: str
    other: str


@dataclass(frozen=True, slots=True)
class Recall:
    """How many aligned queries found the other side, and the ones folding still misses."""

    queries: int
    found_t2s: int
    found_folded: int
    differing: int  # queries whose aligned counterpart is spelled differently
    differing_found_t2s: int
    differing_found_folded: int
    misses: Counter[tuple[str, str]]


def read_pairs(path: Path) -> list[Pair]:
    """The tab-separated pairs; lines starting with # are comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Pair(*line.split("\t")) for line in lines if line and not line.startswith("#")]


def aligned_queries(side: str, other: str) -> Iterable[tuple[str, str]]:
    """Every Han-only substring of 2–6 characters of `side`, with what stands at its offsets in `other`."""
    for length in QUERY_LENGTHS:
        for start in range(len(side) - length + 1):
            query = side[start : start + length]
            if all(is_han(char) for char in query):
                yield query, other[start : start + length]


def recall(pairs: Iterable[Pair]) -> Recall:
    """Search each side's queries in the other side, as cs would: both normalised, then folded or not."""
    found: Counter[str] = Counter()
    misses: Counter[tuple[str, str]] = Counter()
    for pair in pairs:
        for side, other in ((pair.simplified, pair.other), (pair.other, pair.simplified)):
            target = normalize(other).text
            folded_target = fold(target)
            for query, counterpart in aligned_queries(side, other):
                normalized = normalize(query).text
                in_t2s, in_folded = normalized in target, fold(normalized) in folded_target
                found.update(queries=1, t2s=in_t2s, folded=in_folded)
                if query != counterpart:
                    found.update(differing=1, differing_t2s=in_t2s, differing_folded=in_folded)
                if not in_folded:
                    misses[query, counterpart] += 1
    return Recall(
        found["queries"],
        found["t2s"],
        found["folded"],
        found["differing"],
        found["differing_t2s"],
        found["differing_folded"],
        misses,
    )


def percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def report_recall(pairs: list[Pair]) -> None:
    usable = [pair for pair in pairs if len(pair.simplified) == len(pair.other) and pair.simplified != pair.other]
    identical = sum(pair.simplified == pair.other for pair in pairs)
    print(f"a) recall on OpenCC's test pairs: {len(pairs)} pairs, {len(usable)} used")
    print(f"   ({identical} identical and {len(pairs) - len(usable) - identical} of unequal length left out)")
    groups = {"character conversions": CHARACTER_CONVERSIONS, "phrase conversions": PHRASE_CONVERSIONS}
    for name, conversions in groups.items():
        chosen = [pair for pair in usable if pair.conversion in conversions]
        result = recall(chosen)
        print(
            f"   {name} ({', '.join(conversions)}): {len(chosen)} pairs, {result.queries} queries; "
            f"found with t2s only {percent(result.found_t2s, result.queries)}, "
            f"with t2s + fold {percent(result.found_folded, result.queries)}"
        )
        print(
            f"     the {result.differing} queries spelled differently on the two sides: "
            f"t2s only {percent(result.differing_found_t2s, result.differing)}, "
            f"t2s + fold {percent(result.differing_found_folded, result.differing)}"
        )
        for conversion in conversions:
            one = recall(pair for pair in chosen if pair.conversion == conversion)
            print(
                f"     {conversion:6} {one.queries:5} queries: t2s {percent(one.found_t2s, one.queries):>7}, "
                f"t2s + fold {percent(one.found_folded, one.queries):>7}"
            )
        shortest = Counter({key: count for key, count in result.misses.items() if len(key[0]) == 2})
        shown = ", ".join(f"{query}≠{counterpart}" for (query, counterpart), _ in shortest.most_common(25))
        print(f"     2-character misses with folding ({len(shortest)} distinct): {shown}")


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(corpus.glob("*/*.txt"))


def normalized_corpus(files: list[Path]) -> tuple[dict[Path, str], float]:
    """Each file's normalised text, and the seconds normalize() took over all of them."""
    texts: dict[Path, str] = {}
    seconds = 0.0
    for path in files:
        text = read_text(str(path))
        started = time.perf_counter()
        texts[path] = normalize(text).text
        seconds += time.perf_counter() - started
    return texts, seconds


def draw_queries(texts: dict[Path, str], count: int, seed: int) -> list[str]:
    """Random Han-only substrings of 2–4 characters, files weighted by length; the same for a seed."""
    generator = random.Random(seed)
    paths = list(texts)
    weights = [len(texts[path]) for path in paths]
    queries: list[str] = []
    while len(queries) < count:
        text = texts[generator.choices(paths, weights)[0]]
        length = generator.choice(CORPUS_QUERY_LENGTHS)
        start = generator.randrange(len(text) - length)
        query = text[start : start + length]
        if all(is_han(char) for char in query):
            queries.append(query)
    return queries


def match_offsets(text: str, query: str) -> list[int]:
    """Every offset where `query` starts, overlapping ones included, like the index finds them."""
    offsets = []
    start = text.find(query)
    while start != -1:
        offsets.append(start)
        start = text.find(query, start + 1)
    return offsets


@dataclass(frozen=True, slots=True)
class Precision:
    """Matches without and with folding, and the spellings folding added, per query."""

    plain: int
    folded: int
    queries_with_extra: int
    added: Counter[tuple[str, str]]


def precision(texts: dict[Path, str], queries: list[str], table: dict[int, int]) -> Precision:
    folded_texts = {path: text.translate(table) for path, text in texts.items()}
    plain = folded = with_extra = 0
    added: Counter[tuple[str, str]] = Counter()
    for query in queries:
        folded_query = query.translate(table)
        before = after = 0
        for path, text in texts.items():
            before += len(match_offsets(text, query))
            for offset in match_offsets(folded_texts[path], folded_query):
                after += 1
                spelled = text[offset : offset + len(query)]
                if spelled != query:
                    added[query, spelled] += 1
        plain += before
        folded += after
        with_extra += after > before
    return Precision(plain, folded, with_extra, added)


def changed_characters(texts: dict[Path, str], table: dict[int, int]) -> Counter[str]:
    """How many characters of the normalised corpus folding changes, per character."""
    counts: Counter[str] = Counter()
    for text in texts.values():
        counts.update(char for char in text if ord(char) in table)
    return counts


def report_precision(texts: dict[Path, str], queries: list[str]) -> None:
    without_japanese = build_fold_table(tuple(name for name in CHARACTER_TABLES if name != "JPVariants"))
    tables = {"all character tables": fold_table(), "without JPVariants": without_japanese}
    total = sum(map(len, texts.values()))
    print(f"b) precision on the corpus: {len(texts)} files, {total:,} normalised characters, {len(queries)} queries")
    for name, table in tables.items():
        result = precision(texts, queries, table)
        changed = changed_characters(texts, table)
        print(
            f"   {name}: {result.plain:,} matches with t2s only, {result.folded:,} with folding: "
            f"+{percent(result.folded - result.plain, result.plain)} extra hits; "
            f"{result.queries_with_extra} of {len(queries)} queries get extra hits"
        )
        shown = ", ".join(f"{query}→{spelled} {count}" for (query, spelled), count in result.added.most_common(12))
        print(f"     extra hits, query→as spelled in the text: {shown}")
        folded_count = sum(changed.values())
        print(f"     characters folding changes in the corpus: {folded_count:,} ({percent(folded_count, total)})")
        common = ", ".join(f"{char}→{chr(table[ord(char)])} {count}" for char, count in changed.most_common(15))
        print(f"     most often: {common}")


def best_of(repeats: int, action: Callable[[], object]) -> float:
    """The fastest of a few runs, in seconds: the least disturbed by a busy machine."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def report_cost(texts: dict[Path, str], normalize_seconds: float) -> None:
    fold_seconds = best_of(3, lambda: [fold(text) for text in texts.values()])
    total = sum(map(len, texts.values()))
    print("c) cost")
    print(
        f"   normalize() over the corpus: {normalize_seconds:.2f} s; fold over its output: {fold_seconds:.3f} s "
        f"({percent(fold_seconds, normalize_seconds)} of normalize; {total / fold_seconds / 1e6:.0f} M chars/s)"
    )
    # t2s's character stage is one str.translate (normalize._FastConversion): folding can ride along.
    joined = [join_whitespace(read_text(str(path)))[0] for path in texts]
    simplify = {ord(key): values[0] for key, values in read_table(f"{dictionary_dir()}/TSCharacters.txt")}
    composed = compose_fold(simplify)
    alone = best_of(3, lambda: [text.translate(simplify) for text in joined])
    together = best_of(3, lambda: [text.translate(composed) for text in joined])
    print(
        f"   folded into t2s's character table instead (compose_fold): that translate takes {together:.3f} s "
        f"instead of {alone:.3f} s, {100 * (together - alone) / normalize_seconds:+.1f} % of normalize"
    )
    build_seconds = best_of(3, build_fold_table)
    with tempfile.TemporaryDirectory() as cache:
        cold = []
        for _ in range(3):
            Path(cache, "variants.marshal").unlink(missing_ok=True)
            cold.append(best_of(1, lambda: load_fold_table(cache)))
        warm = [best_of(1, lambda: load_fold_table(cache)) for _ in range(5)]
    print(
        f"   table: built from the dictionaries {build_seconds * 1000:.0f} ms; load with an empty cache "
        f"(build + write) {min(cold) * 1000:.0f} ms; from the cache {statistics.median(warm) * 1000:.2f} ms"
    )


def report_table() -> None:
    sets = variant_sets()
    sizes = Counter(len(members) for members in sets)
    print(f"table {table_id()}: {len(fold_table()):,} characters fold to another; {len(sets):,} sets")
    print(f"   set sizes: {', '.join(f'{size}: {count}' for size, count in sorted(sizes.items()))}")
    largest = ", ".join("{" + "".join(sorted(members)) + "}→" + fold(min(members)) for members in sets[:5])
    print(f"   largest: {largest}")


TRIAL_CONVERSIONS = ("s2t", "s2tw", "s2hk", "t2s", "tw2s", "hk2s")
TRIAL_SEEDS = 20


@dataclass(frozen=True, slots=True)
class Trial:
    """A document (one side of a pair, normalised and folded) and the query windows of the other side."""

    conversion: str
    document: str
    windows: list[str]


def trials(pairs: Iterable[Pair]) -> list[Trial]:
    """Both sides of every pair of the character conversions whose sides differ, each as the document."""
    found = []
    for pair in pairs:
        if pair.conversion not in TRIAL_CONVERSIONS or pair.simplified == pair.other:
            continue
        for side, other in ((pair.simplified, pair.other), (pair.other, pair.simplified)):
            windows = [
                side[start : start + length]
                for length in QUERY_LENGTHS
                for start in range(len(side) - length + 1)
                if all(is_han(char) for char in side[start : start + length])
            ]
            if windows:
                found.append(Trial(pair.conversion, fold(normalize(other).text), windows))
    return found


def found_by(query: str, document: str, with_alternatives: bool) -> bool:
    """Whether cs finds `query` (as typed) in a document: the folded term, or one of its alternatives."""
    normalized = normalize_query(query)
    needles = [fold(normalized)]
    if with_alternatives:
        needles += alternatives(query, normalized)
    return any(needle in document for needle in needles)


def report_phrase_recall(pairs: list[Pair]) -> None:
    chosen = trials(pairs)
    print(f"d) phrase alternatives: {len(chosen)} documents (both sides of the {', '.join(TRIAL_CONVERSIONS)} pairs)")
    for name, with_alternatives in (("before (fold only)", False), ("after (fold + alternatives)", True)):
        rates = []
        for seed in range(TRIAL_SEEDS):
            generator = random.Random(seed)
            hits = sum(found_by(generator.choice(t.windows), t.document, with_alternatives) for t in chosen)
            rates.append(hits / len(chosen))
        every = [(window, t) for t in chosen for window in t.windows]
        missed = Counter(
            (t.conversion, window) for window, t in every if not found_by(window, t.document, with_alternatives)
        )
        print(
            f"   {name}: one random window per document, {TRIAL_SEEDS} seeds: mean {100 * statistics.mean(rates):.2f} %"
            f" (min {100 * min(rates):.2f} %, max {100 * max(rates):.2f} %); every window: "
            f"{percent(len(every) - sum(missed.values()), len(every))} of {len(every)} ({sum(missed.values())} missed)"
        )
        shortest = sorted(window for (_, window) in missed if len(window) == 2)
        print(f"     2-character windows missed ({len(shortest)}): {' '.join(shortest)}")


def phrase_precision(
    folded_texts: dict[Path, str], typed: list[str], conversions: Conversions | None = None
) -> tuple[int, Counter[tuple[str, str]]]:
    """Corpus matches that the queries' alternatives add to folding's, and which spellings they are."""
    extra = 0
    added: Counter[tuple[str, str]] = Counter()
    for query in typed:
        others = alternatives(query, normalize_query(query), conversions)
        if not others:
            continue
        own = fold(normalize_query(query))
        for folded in folded_texts.values():
            found = {offset for other in others for offset in match_offsets(folded, other)}
            new = found - set(match_offsets(folded, own))
            extra += len(new)
            added.update((query, folded[offset : offset + len(own)]) for offset in new)
    return extra, added


def report_phrase_precision(texts: dict[Path, str], queries: list[str], pairs: list[Pair]) -> None:
    folded_texts = {path: fold(text) for path, text in texts.items()}
    matches = sum(len(match_offsets(folded, fold(query))) for query in queries for folded in folded_texts.values())
    typed = queries + [to_script(query, "t") for query in queries]
    print(f"   precision: {len(queries)} corpus queries typed in either script, {matches:,} matches with folding")
    extra, added = phrase_precision(folded_texts, typed)
    shown = ", ".join(f"{query}→{spelled} {count}" for (query, spelled), count in added.most_common(10))
    print(
        f"     alternatives add {extra:,} matches (+{percent(extra, 2 * matches)}) "
        f"for {len({query for query, _ in added})} queries: {shown or 'none'}"
    )
    full = build_conversions(reduced=False)
    asked = {window for t in trials(pairs) for window in t.windows} | set(queries)
    differ = [
        query
        for query in sorted(asked)
        if alternatives(query, normalize_query(query)) != alternatives(query, normalize_query(query), full)
    ]
    print(
        f"   reduced tables against the full dictionaries: {len(asked) - len(differ)} of {len(asked)} queries get the "
        f"same alternatives; differ: {' '.join(differ[:20]) or 'none'}"
    )
    build = best_of(3, build_conversions)
    with tempfile.TemporaryDirectory() as cache:
        load_conversions(cache)
        load = statistics.median(best_of(1, lambda: load_conversions(cache)) for _ in range(5))
    per_term = best_of(3, lambda: [alternatives(query, query) for query in queries]) / len(queries)
    print(
        f"   cost: tables built from the dictionaries {build * 1000:.0f} ms; loaded from the cache "
        f"{load * 1000:.2f} ms; alternatives of one term {per_term * 1e6:.0f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phrase-queries", type=int, default=3_000, help="corpus queries for d)'s precision")
    arguments = parser.parse_args()
    report_table()
    pairs = read_pairs(arguments.pairs)
    report_recall(pairs)
    texts, normalize_seconds = normalized_corpus(corpus_files(arguments.corpus))
    queries = draw_queries(texts, arguments.queries, arguments.seed)
    report_precision(texts, queries)
    report_cost(texts, normalize_seconds)
    report_phrase_recall(pairs)
    report_phrase_precision(texts, draw_queries(texts, arguments.phrase_queries, arguments.seed), pairs)


if __name__ == "__main__":
    main()
