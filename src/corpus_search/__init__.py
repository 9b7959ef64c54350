"""cs: search Chinese text corpora in either script, exactly and ranked.

from corpus_search import build_index, search
build_index(["seeds"], "index")
for hit in search("临时党支部", "index"):
    print(hit.passage.path, hit.line, hit.passage.text)
"""

from .errors import CorpusSearchError
from .model import Hit, Match, Passage
from .search import Searcher, search
from .shards import build as build_index  # indexing.build_index, or over the shards of a sharded index

__all__ = ["CorpusSearchError", "Hit", "Match", "Passage", "Searcher", "build_index", "search"]
