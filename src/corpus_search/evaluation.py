"""Boolean evaluation over passages: which passages satisfy a query, given the sorted ids of the passages
where each of its terms and NEAR pairs is found. AND intersects, OR unites and NOT takes away, on sorted
id arrays (reader.common, without, sorted_unique). Pure: it reads nothing but what it is given.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .query import Near, Node, Not, Or, Term
from .reader import common, sorted_unique, without


def passages_satisfying(
    node: Node, found: Callable[[Term | Near], np.ndarray], everything: Callable[[], np.ndarray]
) -> np.ndarray:
    """The sorted ids of the passages that satisfy `node`: `found(unit)` gives those where a term or a
    NEAR pair is found, and `everything()` every passage searched (what a NOT takes from).

    A plain recursion: a nested function that called itself would be a reference cycle holding `found`,
    and through it the Searcher and its arrays, until the garbage collector ran; the next query's arrays
    would then take fresh pages (memory.py), `的` at 16x taking 21-25 ms instead of 12-17."""
    if isinstance(node, Term | Near):
        return found(node)
    if isinstance(node, Or):
        each = [passages_satisfying(child, found, everything) for child in node.children]
        return sorted_unique(np.sort(np.concatenate(each)))
    if isinstance(node, Not):
        return without(everything(), passages_satisfying(node.child, found, everything))
    wanted = [child for child in node.children if not isinstance(child, Not)]
    unwanted = [child.child for child in node.children if isinstance(child, Not)]
    passages = passages_satisfying(wanted[0], found, everything) if wanted else everything()
    for child in wanted[1:]:  # the terms are found in the order given; an empty answer stops early
        if not len(passages):
            break
        passages = common(passages, passages_satisfying(child, found, everything))
    for child in unwanted:
        if not len(passages):
            break
        passages = without(passages, passages_satisfying(child, found, everything))
    return passages
