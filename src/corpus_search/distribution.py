"""How a query's occurrences spread over groups of files: counts and rates per group, and where in each
group's text they fall (a dispersion plot's data).

A group is what a *grouping* names for a file: a function from the file's path to a group name. `file`
makes each file its own group; any metadata field (metadata.py: year, author…) groups the files by its
value, and a file that lacks the field is in no group. Everything else follows from the grouping, the
same way for every field: a group's occurrences, passages and characters are the sums over its files,
and its text, for the dispersion plot, is its files' normalised texts end to end in path order. Groups
come in the order of their names, numbers by value (so a year -500 comes before 1990).

Characters are normalised characters of the indexed text (whitespace next to CJK removed, as a search
sees it), read from the index's block tables, never by reading a file again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .errors import CorpusSearchError
from .metadata import field_names
from .model import Dispersion, GroupCount
from .search import SearchResult

Grouping = Callable[[str], str | None]  # a file's path → the name of its group (None: in no group)


def by_file(path: str) -> str:
    return path


def grouping(field: str, metadata: Mapping[str, Mapping[str, str]] | None = None) -> Grouping:
    """The grouping a field name stands for: `file`, or a field that some file's metadata has; an
    unknown name is the user's error."""
    if field == "file":
        return by_file
    metadata = metadata or {}
    known = field_names(metadata)
    if field not in known:
        raise CorpusSearchError(f"--by: unknown field {field!r} (fields: {', '.join(['file', *known])})")
    return lambda path: metadata.get(path, {}).get(field)


def groups_of(result: SearchResult, group_of: Grouping) -> dict[str, list[str]]:
    """Every group of the files searched (those --path and --where keep, hits or not), in name order,
    with its files in path order."""
    members: dict[str, list[str]] = {}
    for path in result.file_characters():
        group = group_of(path)
        if group is not None:
            members.setdefault(group, []).append(path)
    return dict(sorted(members.items(), key=lambda item: _name_order(item[0])))


def _name_order(name: str) -> tuple:
    try:
        return (0, float(name), name)
    except ValueError:
        return (1, 0.0, name)


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
