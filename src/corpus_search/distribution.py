"""How a query's occurrences spread over groups of files: counts and rates per group, and where in each
group's text they fall (a dispersion plot's data).

A group is what a *grouping* names for a file: a function from the file's path to a group name. Only
`file` exists today (each file its own group); a grouping by a metadata field (year, author…) is one more
entry in GROUPINGS, a function that reads the field for the file. Everything else follows from the
grouping, the same way for every field: a group's occurrences, passages and characters are the sums over
its files, and its text, for the dispersion plot, is its files' normalised texts end to end in path order.

Characters are normalised characters of the indexed text (whitespace next to CJK removed, as a search
sees it), read from the index's block tables, never by reading a file again.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import CorpusSearchError
from .model import Dispersion, GroupCount
from .search import SearchResult

Grouping = Callable[[str], str]  # a file's path → the name of its group


def by_file(path: str) -> str:
    return path


GROUPINGS: dict[str, Grouping] = {"file": by_file}


def grouping(field: str) -> Grouping:
    """The grouping a field name stands for; an unknown name is the user's error."""
    if field not in GROUPINGS:
        raise CorpusSearchError(f"--by: unknown field {field!r} (fields: {', '.join(GROUPINGS)})")
    return GROUPINGS[field]


def groups_of(result: SearchResult, group_of: Grouping) -> dict[str, list[str]]:
    """Every group of the files searched (those --path keeps, hits or not), in name order, with its
    files in path order."""
    members: dict[str, list[str]] = {}
    for path in result.file_characters():
        members.setdefault(group_of(path), []).append(path)
    return dict(sorted(members.items()))


def group_counts(result: SearchResult, group_of: Grouping) -> tuple[list[GroupCount], GroupCount]:
    """Occurrences, passages and characters of every group (a group without hits too), in name order,
    and their total (with `group` None)."""
    characters = result.file_characters()
    found = result.per_file()
    rows = []
    for group, paths in groups_of(result, group_of).items():
        occurrences = sum(found.get(path, (0, 0))[0] for path in paths)
        passages = sum(found.get(path, (0, 0))[1] for path in paths)
        rows.append(GroupCount(group, occurrences, passages, sum(characters[path] for path in paths)))
    total = GroupCount(
        None,
        sum(row.occurrences for row in rows),
        sum(row.passages for row in rows),
        sum(row.characters for row in rows),
    )
    return rows, total


def dispersion(result: SearchResult, group_of: Grouping) -> list[Dispersion]:
    """Where each occurrence starts in its group's text, for every group, in name order."""
    characters = result.file_characters()
    offsets = result.file_offsets()
    rows = []
    for group, paths in groups_of(result, group_of).items():
        found: list[int] = []
        before = 0  # the characters of the group's files ahead of this one
        for path in paths:
            if path in offsets:
                found.extend((offsets[path] + before).tolist())
            before += characters[path]
        rows.append(Dispersion(group, before, tuple(found)))
    return rows
