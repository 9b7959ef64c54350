"""Han characters outside jieba's U+4E00–U+9FD5: extension A (䓬), extension B and later (𠮷, 𠀀, 𪚥) and
the compatibility ideographs (U+F900 豈). jieba cut each of them off as a word by itself, so a dictionary
word holding one was never whole (fxsjy/jieba #440, #1049); analysis.py widens jieba's Han range.

苯二氮䓬 (benzodiazepine) and 𠮷野家 (Yoshinoya, its 𠮷 an extension B variant of 吉) are real words that
jieba's own dictionary lacks; the user dictionary gives them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SAMPLE_CORPUS
from corpus_search.analysis import WORD_CHAR, UserWord, is_collocate, segment, segmenter, use_user_words, word_flags
from corpus_search.cli import cli
from corpus_search.loader import read_text
from corpus_search.normalize import is_han, normalize

# jieba 0.42.1's regex for the runs it cuts with its dictionary, as its source spells it.
JIEBA_RE_HAN_LINE = 're_han_default = re.compile("([\\u4E00-\\u9FD5a-zA-Z0-9+#&\\._%\\-]+)", re.U)'
JIEBA_RE_HAN = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)", re.U)

# One passage a line (blank lines between them). Line 5 has two astral characters, then U+F900; line 7
# characters of extensions H and I, which Python 3.11's Unicode 14 database does not know.
LINES = [
    "苯二氮䓬类药物可以帮助睡眠，但是长期服用苯二氮䓬容易成瘾。",
    "中午我们去𠮷野家吃饭，他说𠮷野家的牛肉饭很好吃。",
    "𠀀𪚥两个字很少见，不\uf900如此吃饭。",
    "新字\U00031350\U0002ebf0也是汉字。",
]
FILLER = "今天天气晴朗，一起到公园散步，然后看书。"
WORDS = "苯二氮䓬\n𠮷野家\n"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def no_user_words():
    """jieba's own dictionary, before and after the test (build_index sets the words it indexes with)."""
    use_user_words(())
    yield
    use_user_words(())


@pytest.fixture(scope="module")
def rare_index(tmp_path_factory) -> str:
    """An index of LINES and FILLER with WORDS as its user dictionary."""
    root = tmp_path_factory.mktemp("rare")
    (root / "corpus").mkdir()
    (root / "corpus" / "rare.txt").write_text("\n\n".join([*LINES, *[FILLER] * 20]) + "\n", encoding="utf-8")
    (root / "words.txt").write_text(WORDS, encoding="utf-8")
    index_dir = str(root / "index")
    result = run("index", str(root / "corpus"), "--index", index_dir, "--dict", str(root / "words.txt"), "-q")
    assert result.exit_code == 0, result.stderr
    return index_dir


def search_json(query: str, index_dir: str, *options: str) -> list[dict]:
    result = run("search", query, "--json", "--index", index_dir, *options)
    assert result.exit_code == (0 if result.stdout else 1), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def spans(hits: list[dict]) -> list[tuple[int, int, int]]:
    """(line, start, end) of every match, in hit order."""
    return [(match["line"], match["start"], match["end"]) for hit in hits for match in hit["matches"]]


def test_text_in_jiebas_range_is_cut_as_before(no_user_words, monkeypatch):
    """The whole sample, normalised, is cut the same by jieba's regex and by the widened one. Its 79
    characters outside the old range (many made by OpenCC's t2s: 䯄 𫛶 𫏐 …) stay words by themselves,
    as before: jieba's dictionary has no word with one."""
    import jieba

    assert JIEBA_RE_HAN_LINE in Path(jieba.__file__).read_text(encoding="utf-8").splitlines()
    texts = [normalize(read_text(str(path))).text for path in sorted(SAMPLE_CORPUS.rglob("*.txt"))]
    assert sum(map(len, texts)) > 250_000
    assert sum(is_han(char) and not JIEBA_RE_HAN.match(char) for text in texts for char in text) == 79
    segmenter()  # built, so the regex is widened
    assert jieba.re_han_default.fullmatch("䓬𠮷𠀀𪚥\uf900\U0002f800\u9fef") is not None
    widened = [segment(text) for text in texts]
    monkeypatch.setattr(jieba, "re_han_default", JIEBA_RE_HAN)
    assert [segment(text) for text in texts] == widened


RARE_WORDS = [
    "苯二氮䓬",  # extension A, U+44EC
    "\u3400字",  # extension A, its first
    "\u9fef字",  # the end of the unified block, U+9FD6–U+9FFF
    "\uf900字",  # compatibility ideographs
    "𠮷野家",  # extension B, U+20BB7
    "\U00020000字",  # extension B, its first
    "\U0002a6a5字",  # 𪚥, extension B
    "\U00030000字",  # extension G, plane 3
    "\U0002f800字",  # compatibility ideographs supplement
]


def test_user_words_with_rare_han_characters_are_cut_whole(no_user_words):
    use_user_words(tuple(map(UserWord, RARE_WORDS)))
    for word in RARE_WORDS:
        end = 2 + len(word)
        expected = [("我", 0, 1), ("说", 1, 2), (word, 2, end), ("很", end, end + 1), ("好", end + 1, end + 2)]
        assert segment(f"我说{word}很好") == expected


@pytest.mark.parametrize(
    ("word", "line", "starts"),
    [("苯二氮䓬", 1, [0, 20]), ("𠮷野家", 3, [5, 13])],
    ids=["extension A", "extension B"],
)
def test_words_finds_a_dictionary_word_with_a_rare_character_whole(rare_index, word, line, starts):
    assert spans(search_json(word, rare_index, "--words")) == [(line, start, start + len(word)) for start in starts]
    for cut in range(1, len(word)):  # jieba cut 䓬 and 𠮷 off as words of their own
        assert search_json(word[:cut], rare_index, "--words") == []
        assert search_json(word[cut:], rare_index, "--words") == []


def test_collocates_list_a_word_with_an_extension_b_character(rare_index):
    result = run("collocates", "吃饭", "--min-count", "2", "--json", "--index", rare_index)
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(record["word"], record["count"], record["frequency"]) for record in records] == [("𠮷野家", 2, 2)]
    assert records[0]["log_likelihood"] > 0


def test_json_offsets_count_code_points(rare_index):
    """Offsets index the passage as a Python str: an astral character is one, not a surrogate pair."""
    result = run("search", "𠮷野家 OR 吃饭", "--json", "--index", rare_index)
    assert re.search(r"\\ud[89ab]", result.stdout, re.I) is None and "𠮷" in result.stdout  # no surrogate escapes
    hits = sorted((json.loads(line) for line in result.stdout.splitlines()), key=lambda hit: hit["line"])
    assert [(hit["line"], hit["text"]) for hit in hits] == [(3, LINES[1]), (5, LINES[2])]
    expected = [(3, match.start(), match.end()) for match in re.finditer("𠮷野家|吃饭", LINES[1])] + [
        (5, LINES[2].index("吃饭"), LINES[2].index("吃饭") + 2)
    ]
    assert spans(hits) == expected == [(3, 5, 8), (3, 8, 10), (3, 13, 16), (5, 13, 15)]
    assert all(hit["text"][match["start"] : match["end"]] == match["text"] for hit in hits for match in hit["matches"])


def test_wildcards_stand_for_rare_han_characters(rare_index):
    found = {}
    for query in ("氮?类", "去?野", "不?如", "𠀀*字", "字??也"):
        found[query] = [match["text"] for hit in search_json(query, rare_index) for match in hit["matches"]]
    assert found == {
        "氮?类": ["氮䓬类"],
        "去?野": ["去𠮷野"],
        "不?如": ["不\uf900如"],
        "𠀀*字": ["𠀀𪚥两个字"],
        "字??也": ["字\U00031350\U0002ebf0也"],
    }
    flags = word_flags("䓬𠮷𠀀𪚥\uf900\U0002f800\u9fef\U00031350\U0002ebf0\U000323b0。")
    assert [bool(flag & WORD_CHAR) for flag in flags] == [True] * 10 + [False, False]
    assert is_collocate("\U00031350")
