"""Variant folding: every set the OpenCC character tables connect reads as one character, on real text."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import SAMPLE_CORPUS
from corpus_search import variants
from corpus_search.loader import read_text
from corpus_search.normalize import normalize, to_simplified
from corpus_search.variants import (
    CHARACTER_TABLES,
    EXTRA_PAIRS,
    build_fold_table,
    compose_fold,
    default_cache_dir,
    dictionary_dir,
    fold,
    fold_table,
    load_fold_table,
    read_table,
    table_id,
    table_identity,
    variant_sets,
)

TABLE_CHARACTERS = sorted({chr(code) for pair in fold_table().items() for code in pair})


@functools.cache
def tables_alone() -> dict[int, int]:
    """The fold table without EXTRA_PAIRS."""
    return build_fold_table(extra_pairs=())


def entries(name: str) -> list[tuple[str, list[str]]]:
    return list(read_table(os.path.join(dictionary_dir(), f"{name}.txt")))


def meet(passage: str, query: str) -> tuple[bool, bool]:
    """Whether `query` finds `passage` with t2s only, and with t2s then folding."""
    text, term = normalize(passage).text, normalize(query).text
    return term in text, fold(term) in fold(text)


# -- the table ---------------------------------------------------------------------------------------


def test_every_entry_of_every_character_table_folds_together():
    for name in CHARACTER_TABLES:
        for key, values in entries(name):
            assert {fold(key)} == {fold(value) for value in values}, (name, key, values)


def test_every_set_folds_to_one_of_its_own_members():
    for members in variant_sets():
        canonicals = {fold(char) for char in members}
        assert len(canonicals) == 1, members
        assert canonicals <= members, members


def test_the_sets_are_disjoint_and_cover_the_table():
    sets = variant_sets()
    assert sum(map(len, sets)) == len(set().union(*sets)) == len(TABLE_CHARACTERS)


def test_the_table_holds_only_characters_that_change():
    assert all(key != value for key, value in fold_table().items())
    assert len(fold_table()) == sum(len(members) - 1 for members in variant_sets())


def test_the_largest_set_is_small():
    sets = variant_sets()
    assert max(map(len, sets)) == 7
    assert sets[0] == frozenset("炼煉錬鍊鏈链𫔀")  # 鍊 is both 炼 (smelt) and 链 (chain); 錬 is Japanese


def test_with_japanese_forms_the_largest_set_would_have_seven_members():
    table = build_fold_table((*CHARACTER_TABLES, "JPVariants"))
    sizes: dict[int, int] = {}
    for canonical in table.values():
        sizes[canonical] = sizes.get(canonical, 1) + 1
    assert max(sizes.values()) == 7


@pytest.mark.parametrize(
    ("members", "canonical"),
    [
        ("乾干幹", "干"),  # what t2s writes for most members
        ("著着", "着"),  # a tie: 着 is used more in simplified words
        ("後后", "后"),
        ("裏裡里", "里"),
        ("麵麪面", "面"),
        ("背揹", "背"),
        ("抬擡", "抬"),
    ],
)
def test_a_set_folds_to_its_simplified_form(members, canonical):
    assert {fold(char) for char in members} == {canonical}


def test_folding_after_t2s_is_folding_alone():
    for char in TABLE_CHARACTERS:
        assert fold(to_simplified(char)) == fold(char), char


def test_japanese_forms_do_not_merge_distinct_chinese_characters():
    # JPVariants is not used: its shinjitai would join these.
    assert fold("缺") != fold("欠")
    assert fold("连") != fold("联")
    assert len({fold("辨"), fold("辩"), fold("瓣")}) == 3


# -- fold ----------------------------------------------------------------------------------------------


def test_fold_is_idempotent_on_every_table_character():
    for char in TABLE_CHARACTERS:
        assert fold(fold(char)) == fold(char), char


@given(st.text(alphabet=st.sampled_from(TABLE_CHARACTERS) | st.characters(), max_size=80))
def test_fold_is_idempotent_and_keeps_the_length(text):
    folded = fold(text)
    assert len(folded) == len(text)
    assert fold(folded) == folded


@given(st.text(alphabet=st.sampled_from(TABLE_CHARACTERS) | st.characters(), max_size=80))
def test_fold_is_one_character_at_a_time(text):
    assert fold(text) == "".join(fold(char) for char in text)


def test_text_without_variants_is_unchanged():
    assert fold("临时党支部") == "临时党支部"
    assert fold("covid-19 72名") == "covid-19 72名"


def test_a_whole_poem_file_keeps_its_length(corpus_dir: Path):
    text = normalize(read_text(str(corpus_dir / "tang" / "全唐诗_poet.tang.0.txt"))).text
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded != text
    assert folded.count("着") == text.count("着") + text.count("著")


def test_compose_fold_maps_then_folds_in_one_pass():
    simplify = {ord(key): values[0] for key, values in entries("TSCharacters")}
    composed = compose_fold(simplify)
    for char in TABLE_CHARACTERS:
        assert char.translate(composed) == fold(char.translate(simplify)), char


# -- real text: spellings that t2s leaves apart and folding joins ---------------------------------------

# (file, passage as written there, what a reader types for it, a file and passage spelling it that way)
CORPUS_PAIRS = [
    (
        "tang/全唐诗_poet.tang.15000.txt",
        "辛勤耕種非毒藥，看著不入農夫口。",
        "看着",
        "tang/全唐诗_poet.tang.38000.txt",
        "一時衰颯無多恨，看着清風綵剪成。",
    ),
    (
        "tang/全唐诗_poet.tang.1000.txt",
        "枕弓睡著待水生，不見陰山在前陣。",
        "睡着",
        "tang/全唐诗_poet.tang.38000.txt",
        "醉來睡着無人喚，流下前溪也不知。",
    ),
    (
        "tang/全唐诗_poet.tang.16000.txt",
        "半夜思家睡裏愁，雨聲落落屋簷頭。",
        "屋檐",
        "tang/全唐诗_poet.tang.21000.txt",
        "主人一朝病，爭向屋檐窺。",
    ),
    (
        "tang/全唐诗_poet.tang.30000.txt",
        "入夜茄聲含白髪，報秋榆葉落征衣。",
        "白发",
        "novels/三国演义.txt",
        "白发渔樵江渚上",
    ),
    (
        "tang/全唐诗_poet.tang.5000.txt",
        "衞青不敗由天幸，李廣無功緣數奇。",
        "卫青",
        "novels/三国演义.txt",
        "大丈夫当学卫青、霍去病",
    ),
    (
        "tang/全唐诗_poet.tang.12000.txt",
        "朔風吹疎林，積雪在崖巘。",
        "疏林",
        "novels/三国演义.txt",
        "操坐于疏林之下，仰面大笑。",
    ),
    ("novels/水浒传.txt", "其馀多的银两尽送与杨志做盘缠", "其余", "novels/三国演义.txt", "其余不必妄加残害。"),
]
EXTRA_PAIR_PASSAGES = {
    ("疎", "疏"): (
        "tang/全唐诗_poet.tang.12000.txt",
        "朔風吹疎林，積雪在崖巘。",
        "疏林",
        "novels/三国演义.txt",
        "操坐于疏林之下，仰面大笑。",
    ),
    ("搧", "扇"): ("novels/西游记.txt", "一扇子搧将下来", "一扇子扇将下来", None, None),
    ("遶", "绕"): (
        "tang/全唐诗_poet.tang.13000.txt",
        "同悲鵲遶樹，獨作雁隨陽。",
        "绕树",
        "novels/三国演义.txt",
        "绕树三匝，无枝可依。",
    ),
    ("谿", "溪"): (
        "tang/全唐诗_poet.tang.32000.txt",
        "谿邊殘壘空雲木，山上孤城對驛樓。",
        "溪边",
        "novels/水浒传.txt",
        "溪边踏一片寒冰，岸畔涌两条杀气。",
    ),
    ("幷", "并"): (
        "tang/全唐诗_poet.tang.1000.txt",
        "經過燕太子，結託幷州兒。",
        "并州",
        "novels/三国演义.txt",
        "把关将乃并州人氏",
    ),
    ("貍", "狸"): (
        "tang/全唐诗_poet.tang.11000.txt",
        "廢邑狐貍語，空邨虎豹爭。",
        "狐狸",
        "tang/全唐诗_poet.tang.10000.txt",
        "遺墟但見狐狸迹，古地空餘草木根。",
    ),
}


def assert_in_file(corpus_dir: Path, name: str, passage: str) -> None:
    """The passage is quoted from that file of the full corpus (checked where the full corpus is; the
    sample holds only the start of each file, so a bare clone takes the quotation as written)."""
    if corpus_dir != SAMPLE_CORPUS:
        assert passage in read_text(str(corpus_dir / name)), f"{passage} is not in {name}"


@pytest.mark.parametrize(("name", "passage", "query", "other_name", "other_passage"), CORPUS_PAIRS)
def test_real_variant_spellings_meet_only_when_folded(corpus_dir, name, passage, query, other_name, other_passage):
    assert_in_file(corpus_dir, name, passage)
    assert_in_file(corpus_dir, other_name, other_passage)
    assert meet(passage, query) == (False, True)
    assert meet(other_passage, query) == (True, True)


@pytest.mark.parametrize("pair", EXTRA_PAIRS)
def test_each_extra_pair_joins_a_real_spelling(corpus_dir, pair):
    variant, standard = pair
    assert fold(variant) == fold(standard)
    alone = tables_alone()
    assert alone.get(ord(variant), ord(variant)) != alone.get(ord(standard), ord(standard))
    name, passage, query, other_name, other_passage = EXTRA_PAIR_PASSAGES[pair]
    assert_in_file(corpus_dir, name, passage)
    assert meet(passage, query) == (False, True)
    if other_name:
        assert_in_file(corpus_dir, other_name, other_passage)
        assert meet(other_passage, query) == (True, True)


def test_every_extra_pair_has_its_passages():
    assert set(EXTRA_PAIR_PASSAGES) == set(EXTRA_PAIRS)


def test_the_tables_alone_join_the_catfish_of_the_issue():
    table = tables_alone()
    assert table[ord("鲶")] == table[ord("鯰")] == table[ord("鮎")] == ord("鲇")
    assert ord("搧") not in table  # 搧/扇 is only in EXTRA_PAIRS


# -- cache and identity --------------------------------------------------------------------------------


def cache_file(folder) -> Path:
    """The one cache file a test folder holds."""
    [found] = folder.glob("variants-*.marshal")
    return found


def test_the_cache_is_written_then_read(tmp_path, monkeypatch):
    built = load_fold_table(str(tmp_path))
    assert cache_file(tmp_path).is_file()
    monkeypatch.setattr(variants, "build_fold_table", lambda *args, **kwargs: pytest.fail("built again"))
    cached = load_fold_table(str(tmp_path))
    assert cached == built
    assert cached.table == fold_table()
    assert cached.identity == table_id()


def test_a_stale_or_broken_cache_is_rebuilt(tmp_path, monkeypatch):
    load_fold_table(str(tmp_path))
    cache = cache_file(tmp_path)
    cache.write_bytes(b"not marshal data")
    assert load_fold_table(str(tmp_path)).table == fold_table()
    assert cache.read_bytes() != b"not marshal data"
    monkeypatch.setattr(variants, "source_key", lambda: ("another opencc",))
    monkeypatch.setattr(variants, "build_fold_table", lambda *args, **kwargs: {ord("著"): ord("着")})
    assert load_fold_table(str(tmp_path)).table == {ord("著"): ord("着")}


def test_a_cache_folder_that_cannot_be_made_is_no_error(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    folded = load_fold_table(str(blocker / "cache"))
    assert folded.table == fold_table()
    assert not (blocker / "cache").exists()


def test_no_cache_folder_builds_in_memory():
    assert load_fold_table(None).table == fold_table()


def test_the_cache_folder_follows_xdg(monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    assert default_cache_dir() == "/somewhere/cache/corpus-search"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == os.path.join(os.path.expanduser("~"), ".cache", "corpus-search")


def test_the_identity_is_a_hash_of_the_table():
    assert table_id() == table_identity(fold_table())
    assert len(table_id()) == 16 and int(table_id(), 16) >= 0
    assert table_identity({ord("著"): ord("着")}) != table_identity({ord("着"): ord("著")})


def test_two_installations_keep_a_cache_each(tmp_path):
    first = variants.cache_path(str(tmp_path), "variants.marshal", "/venv-a/opencc/dictionary")
    second = variants.cache_path(str(tmp_path), "variants.marshal", "/venv-b/opencc/dictionary")
    assert first != second and first.startswith(str(tmp_path)) and first.endswith(".marshal")
    assert variants.cache_path(None, "variants.marshal", "/venv-a") is None
