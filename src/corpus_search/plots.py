"""Distributions as text: the per-group table, a bar chart of the rate per million, and a dispersion plot.

Each is readable on a terminal and in a pipe alike: escape codes only when colour is on, and labels
(file paths; later metadata values) padded by display width, a CJK character taking two columns, so the
columns line up in both. A label's control characters are escaped as in every path shown.

- table (`cs count --by`): numbers right-aligned, then the group, as `cs count` prints files:
  occurrences, passages, characters, per million (one decimal); a `total` line when there is more than
  one group; a header on a terminal only.
- bar chart (`--plot`): one row per group: the label, a bar proportional to the group's rate per
  million (the highest rate fills BAR_WIDTH columns, any rate above 0 takes at least an eighth), then
  the rate, right-aligned. A bar of n eighths of a column is n // 8 full blocks (█) and, for n % 8, one of the eighth
  blocks ▏▎▍▌▋▊▉; bars are padded with spaces so the rates line up.
- dispersion plot (`cs plot`, as AntConc's Concordance Plot): one row per group: the label, its
  occurrences, and a strip of `width` columns, `|` in the column where an occurrence starts (offset ×
  width // characters: the strip is the group's text, shrunk) and `-` elsewhere.
"""

from __future__ import annotations

from typing import TextIO

from . import export
from .model import Dispersion, GroupCount
from .output import MATCH_COLOR, PATH_COLOR, RESET, _pad_right, _width, shown_path

BAR_WIDTH = 40  # columns of the longest bar
EIGHTHS = " ▏▎▍▌▋▊▉"  # a column's first n eighths, n = 0…7
FULL = "█"
MARK, EMPTY = "|", "-"
BAR_COLOR = "\x1b[36m"


def _labels(groups: list[str | None]) -> tuple[list[str], int]:
    """Each group as shown (`total` for None) and the columns the widest one takes."""
    labels = ["total" if group is None else shown_path(group) for group in groups]
    return labels, max([_width(label) for label in labels] + [0])


def write_group_counts(
    groups: list[GroupCount], total: GroupCount, field: str, stream: TextIO, form: str, plot: bool = False
) -> None:
    """The groups in `form` (`color`, `plain`, `json`, `csv`, `excel`), or as a bar chart with `plot`."""
    if plot:
        write_bar_chart(groups, stream, form == "color")
    elif form in ("color", "plain"):
        write_group_table(groups, total, field, stream, form == "color")
    else:
        export.write_group_counts(groups, total, field, stream, form)


def write_group_table(groups: list[GroupCount], total: GroupCount, field: str, stream: TextIO, color: bool) -> None:
    """Occurrences, passages, characters and the rate per million of every group, then the total."""
    rows = [*groups, total] if len(groups) > 1 else groups
    digits = max(len(str(total.characters)), len(f"{total.per_million:.1f}"), len("occurrences"))
    if color:
        names = ("occurrences", "passages", "characters", "per million")
        stream.write(" ".join(f"{name:>{digits}}" for name in names) + f"  {field}\n")
    for count in rows:
        label = "total" if count.group is None else shown_path(count.group)
        if color and count.group is not None:
            label = PATH_COLOR + label + RESET
        numbers = (count.occurrences, count.passages, count.characters, f"{count.per_million:.1f}")
        stream.write(" ".join(f"{number:>{digits}}" for number in numbers) + f"  {label}\n")


def bar(eighths: int) -> str:
    """A bar `eighths` eighths of a column long."""
    return FULL * (eighths // 8) + (EIGHTHS[eighths % 8] if eighths % 8 else "")


def bar_eighths(value: float, highest: float) -> int:
    """The length of `value`'s bar in eighths of a column, the highest value taking BAR_WIDTH columns;
    at least one eighth for a value above 0, so that a rare word is not drawn as absent."""
    if value <= 0 or highest <= 0:
        return 0
    return max(1, round(8 * BAR_WIDTH * value / highest))


def write_bar_chart(groups: list[GroupCount], stream: TextIO, color: bool) -> None:
    """One bar per group for its rate per million characters."""
    labels, columns = _labels([count.group for count in groups])
    highest = max([count.per_million for count in groups] + [0.0])
    rates = [f"{count.per_million:.1f}" for count in groups]
    digits = max([len(rate) for rate in rates] + [0])
    for label, count, rate in zip(labels, groups, rates, strict=True):
        drawn = bar(bar_eighths(count.per_million, highest))
        padded = _pad_right(drawn, BAR_WIDTH)
        if color:
            padded = BAR_COLOR + drawn + RESET + padded[len(drawn) :]
        stream.write(f"{_pad_right(label, columns)}  {padded}  {rate:>{digits}}\n")


def mark_columns(offsets: tuple[int, ...], characters: int, width: int) -> set[int]:
    """The strip's columns that hold an occurrence: its offset scaled from the text's length to `width`."""
    return {offset * width // characters for offset in offsets} if characters else set()


def write_dispersion(rows: list[Dispersion], field: str, stream: TextIO, form: str, width: int) -> None:
    """A dispersion strip per group, after its label and its number of occurrences (`color`, `plain`);
    the groups' offsets in the other forms."""
    if form not in ("color", "plain"):
        export.write_dispersion(rows, field, stream, form)
        return
    color = form == "color"
    labels, columns = _labels([row.group for row in rows])
    digits = max([len(str(len(row.offsets))) for row in rows] + [1])
    mark = MATCH_COLOR + MARK + RESET if color else MARK
    for label, row in zip(labels, rows, strict=True):
        marked = mark_columns(row.offsets, row.characters, width)
        strip = "".join(mark if column in marked else EMPTY for column in range(width))
        stream.write(f"{_pad_right(label, columns)}  {len(row.offsets):>{digits}}  {strip}\n")
