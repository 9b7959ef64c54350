"""Data flows one way: each module imports only the modules below it in this table."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "corpus_search"

ALLOWED = {
    "errors": set(),
    "model": set(),
    "markup": set(),  # page and line markers: what is markup in a file that has it
    "normalize": {"codetable", "markup"},  # markup is removed before a marked file's text is normalised
    "codetable": set(),  # str.translate tables applied in C (_kernels.map_codes) to long texts
    "loader": {"markup", "normalize", "errors"},
    "analysis": {"normalize"},  # one definition of Han (normalize.HAN_RANGES) for jieba and the text
    "store": {"analysis", "errors", "loader", "markup", "segment", "variants"},  # the index on disk
    "indexing": {  # building and updating an index through store.py; no query imports it
        "analysis",
        "errors",
        "formats",
        "loader",
        "memory",
        "metadata",
        "segment",
        "store",
        "userdict",
        "workers",
    },
    "workers": {"analysis"},  # the worker processes of `cs index`
    "formats": {"archives", "errors", "loader", "markup", "pdftext", "records", "xmldocs"},  # a file's bytes → its text
    "records": {"errors", "metadata"},  # JSON Lines, JSON, CSV, TSV → records: text, line, fields
    "xmldocs": {"errors", "loader"},  # HTML, XHTML, TEI → paragraphs and fields; safe XML parsing
    "archives": {"errors", "xmldocs"},  # DOCX, EPUB: zip members read within limits
    "pdftext": {"errors"},  # PDF → pages, in a bounded child process
    "metadata": {"errors"},  # fields per file and --where; owns cs-metadata.json
    "segment": {"analysis", "loader"},
    "userdict": {"analysis", "normalize", "errors"},
    "query": {"normalize", "phrases", "errors"},
    "phrases": {"normalize", "variants"},  # a term's other spellings, normalised and folded
    "variants": {"codetable"},
    "reader": {
        "analysis",
        "errors",
        "loader",
        "markup",
        "normalize",
        "memory",
        "parallel",
        "segment",
        "shards",
        "store",
        "variants",
    },
    "parallel": set(),  # the parts of an index searched side by side in threads
    "memory": set(),  # freed memory kept for the next query (glibc's mallopt)
    "shards": {"errors", "indexing", "loader", "metadata", "store"},  # its catalog, building, opening
    "matching": {"analysis", "parallel", "query", "reader", "variants"},
    "ranking": {"reader"},
    "highlight": {"analysis", "loader", "markup", "matching", "model", "normalize", "query", "reader", "variants"},
    "handles": {"errors", "reader", "shards"},  # open readers kept per process while the index is unchanged
    "evaluation": {"query", "reader"},  # AND / OR / NOT over sorted passage ids
    "results": {"highlight", "matching", "model", "query", "ranking", "reader"},  # one answer and its views
    "search": {
        "errors",
        "evaluation",
        "handles",
        "formats",
        "highlight",
        "matching",
        "metadata",
        "model",
        "query",
        "ranking",
        "reader",
        "results",
        "shards",
        "store",
    },
    "concordance": {"analysis", "formats", "search", "normalize", "model", "errors"},
    "distribution": {"errors", "metadata", "model", "search"},  # groups of files: counts, rates, dispersion
    "output": {"markup", "model"},  # a printer never touches the index; it dims markers
    "export": {"model"},  # CSV, and the JSON of the distribution rows
    "plots": {"export", "model", "output"},  # the distribution as text: table, bar chart, dispersion
    "cli": {
        "answers",
        "cluster",
        "shards",
        "store",
        "search",
        "concordance",
        "distribution",
        "metadata",
        "query",
        "output",
        "export",
        "formats",
        "plots",
        "normalize",
        "errors",
    },
    "__init__": {"errors", "model", "search", "shards"},
    "answers": {"concordance", "distribution", "model", "search"},  # what a query command asks of an answer
    "cluster": {  # a sharded index on a Dask cluster: builds and queries on the workers, merged here
        "answers",
        "concordance",
        "distribution",
        "errors",
        "matching",
        "model",
        "ranking",
        "indexing",
        "search",
        "shards",
        "store",
    },
}


# Which modules may import which outside libraries: Whoosh stays behind the index store (store.py reads
# it, indexing.py writes it), numpy behind the engine modules, and the document readers behind the
# modules that read documents (which import them only when a file of that kind is read). pydivsufsort is
# the tests' oracle for the suffix sort (sais.c), never imported by cs.
THIRD_PARTY = {
    "whoosh": {"store", "indexing"},
    "numpy": {"segment", "store", "reader", "matching", "ranking", "evaluation", "results", "search", "distribution"},
    "pydivsufsort": set(),
    "distributed": {"cluster"},
    "dask": {"cluster"},
    "lxml": {"xmldocs"},
    "pdfminer": {"pdftext"},
    "yaml": {"formats"},
    "docx": set(),  # python-docx writes the tests' files; cs reads DOCX with zipfile and lxml
    "reportlab": set(),  # writes the tests' PDFs
}


def imported_modules(path: Path) -> set[str]:
    """The package's modules a module imports, at its top or in a function; not those imported for
    annotations alone (under `if TYPE_CHECKING:`), which no data flows through."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):  # drop the bodies of `if TYPE_CHECKING:`
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None:
            found.update(alias.name for alias in node.names)  # from . import handles
        elif isinstance(node, ast.ImportFrom) and node.level == 1:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("corpus_search"):
            found.add(node.module.split(".")[1] if "." in node.module else "__init__")
    return found - {""}


def test_every_module_is_in_the_table():
    assert {path.stem for path in PACKAGE.glob("*.py")} == set(ALLOWED)


# The compiled module (_kernels.c: the engine's inner loops, and the word flags and passages indexing writes) and the
# modules that call it.
KERNEL_USERS = {"segment", "reader", "matching", "ranking", "codetable", "analysis", "normalize", "loader"}


def test_imports_follow_the_table():
    for path in PACKAGE.glob("*.py"):
        allowed = ALLOWED[path.stem] | ({"_kernels"} if path.stem in KERNEL_USERS else set())
        assert imported_modules(path) <= allowed, path.name


def test_nothing_imports_the_cli():
    for path in PACKAGE.glob("*.py"):
        assert "cli" not in imported_modules(path), path.name


def third_party_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(THIRD_PARTY)


def test_outside_libraries_stay_behind_their_modules():
    for path in PACKAGE.glob("*.py"):
        for library in third_party_imports(path):
            assert path.stem in THIRD_PARTY[library], f"{path.name} imports {library}"
