"""The query language: terms, "phrases", AND / OR / NOT (and -term), and parentheses.

    临时 党支部            both terms in the same passage (AND is implied between terms)
    临时 AND 党支部        the same, spelled out
    临时 OR 党支部         either term
    党支部 NOT 临时        党支部 in passages without 临时; `-临时` says the same
    "临时 党支部"          a phrase: the text between quotes, normalised as a whole (so the space goes)
    (临时 OR 战时) 党支部   parentheses group

    临时*支部              a pattern: `*` stands for 0…10 word characters, `?` for exactly one
    临时 NEAR/5 支部       both terms, at most 5 characters apart, in either order (NEAR alone: 10)
    临时 ADJ/5 支部        the same, 临时 first

Every term matches as a substring of the normalised passage text, so a bare term such as 临时党支部
already behaves as its exact phrase; quotes matter when the phrase holds spaces or operator words.
Operators are the upper-case words AND, OR, NOT, NEAR/n and ADJ/n; a leading `-` negates a term.
Precedence: NEAR and ADJ (which join two terms), then NOT, then AND, then OR. A query that cannot be
read raises CorpusSearchError with a one-line reason.

Wildcards are the ASCII `*` and `?` in a bare term; inside "quotes", and as full-width ＊ ？, they are
the characters themselves. A word character is a letter or digit (`str.isalnum`) or a Han character
(normalize.HAN_RANGES), never punctuation or a space. Where a pattern can match more than one way at a
start, the shortest match counts, as a regular expression with lazy `{0,10}?` would choose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import CorpusSearchError
from .normalize import normalize_query, strip_punctuation
from .phrases import alternatives

WILDCARD_RUN = 10  # word characters a `*` stands for, at most
DEFAULT_NEAR = 10  # characters between the terms of a NEAR or ADJ without /n

Gap = tuple[int, int]  # (fewest, most) word characters


@dataclass(frozen=True, slots=True)
class Term:
    """A term as typed and as normalised; `quoted` when it came from a "phrase".

    A pattern (a term with wildcards) also has its literal `parts`, normalised, and `gaps`: one more
    than the parts, the word characters before, between and after them. `normalized` then spells the
    pattern with `*` for a gap that may grow and `?` per character of a fixed one.

    `alternatives`: the term's other spellings that OpenCC's phrase-aware conversions give (phrases.py),
    normalised and folded, each as long as `normalized`; a term matches where any of them does, unless
    the search is exact-script. A pattern has none.
    """

    text: str
    normalized: str
    quoted: bool = False
    parts: tuple[str, ...] = ()
    gaps: tuple[Gap, ...] = ()
    alternatives: tuple[str, ...] = ()

    @property
    def is_pattern(self) -> bool:
        return bool(self.gaps)


@dataclass(frozen=True, slots=True)
class Near:
    """Two terms at most `distance` characters apart (between the end of one and the start of the
    other, without overlapping); `ordered` when `left` must come first."""

    left: Term
    right: Term
    distance: int
    ordered: bool


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node = Term | Near | And | Or | Not
Unit = Term | Near  # what a hit's highlighted occurrences come from

_OPERATORS = {"AND", "OR", "NOT"}
_SPECIAL = '()"'
_NEAR = re.compile(r"(NEAR|ADJ)(?:/.*)?")  # the distance is checked in _near_operator
_WILDCARDS = re.compile(r"[*?]+")


def _tokens(query: str) -> list[tuple[str, str]]:
    """Split a query into (kind, text) tokens: ( ) phrase word op minus."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(query):
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append((char, char))
            i += 1
        elif char == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise CorpusSearchError('bad query: a " is not closed')
            tokens.append(("phrase", query[i + 1 : end]))
            i = end + 1
        elif char == "-" and i + 1 < len(query) and not query[i + 1].isspace() and query[i + 1] != ")":
            tokens.append(("minus", "-"))
            i += 1
        else:
            end = i
            while end < len(query) and not query[end].isspace() and query[end] not in _SPECIAL:
                end += 1
            word = query[i:end]
            if word in _OPERATORS:
                tokens.append(("op", word))
            elif _NEAR.fullmatch(word):
                tokens.append(("near", word))
            else:
                tokens.append(("word", word))
            i = end
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise CorpusSearchError("bad query: it is empty")
        node = self.or_expr()
        if self.peek() is not None:
            kind, text = self.peek()
            raise CorpusSearchError(f"bad query: unexpected {text!r}" if kind != ")" else "bad query: a ) has no (")
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.peek() == ("op", "OR"):
            self.take()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self) -> Node:
        children = [self.near_expr()]
        while True:
            token = self.peek()
            if token is None or token[0] == ")" or token == ("op", "OR"):
                break
            if token == ("op", "AND"):
                self.take()
            children.append(self.near_expr())
        return children[0] if len(children) == 1 else And(tuple(children))

    def near_expr(self) -> Node:
        left = self.unary()
        token = self.peek()
        if token is None or token[0] != "near":
            return left
        self.take()
        operator, distance = _near_operator(token[1])
        right = self.unary()
        if not isinstance(left, Term) or not isinstance(right, Term):
            raise CorpusSearchError(f"bad query: {operator} joins two terms, not a group or a NOT")
        following = self.peek()
        if following is not None and following[0] == "near":
            raise CorpusSearchError(f"bad query: one {operator} at a time; join more with AND")
        return Near(left, right, distance, ordered=operator == "ADJ")

    def unary(self) -> Node:
        token = self.peek()
        if token is None:
            raise CorpusSearchError("bad query: an operator has nothing after it")
        kind, text = token
        if kind == "minus" or token == ("op", "NOT"):
            self.take()
            return Not(self.unary())
        if kind in ("op", "near"):
            raise CorpusSearchError(f"bad query: {text} has nothing before it")
        if kind == ")":
            raise CorpusSearchError("bad query: a ) has no (" if self.at == 0 else "bad query: empty ( )")
        if kind == "(":
            self.take()
            if self.peek() is None:
                raise CorpusSearchError("bad query: a ( is not closed")
            node = self.or_expr()
            if self.peek() is None:
                raise CorpusSearchError("bad query: a ( is not closed")
            self.take()
            return node
        self.take()
        if kind == "word" and _WILDCARDS.search(text):
            return _pattern(text)
        normalized = normalize_query(text)
        if not normalized:
            raise CorpusSearchError(f"bad query: {text!r} has nothing to search for")
        return Term(text, normalized, quoted=kind == "phrase", alternatives=alternatives(text, normalized))


def _near_operator(word: str) -> tuple[str, int]:
    operator, _, distance = word.partition("/")
    if "/" in word and not (distance.isascii() and distance.isdigit()):
        raise CorpusSearchError(f"bad query: {operator}/ needs a number of characters, like {operator}/5")
    return operator, int(distance) if distance else DEFAULT_NEAR


def _pattern(text: str) -> Term:
    """A term with wildcards: literal parts, normalised one by one, and the gaps around them."""
    parts: list[str] = []
    gaps: list[Gap] = []
    spelled: list[str] = []
    gap = (0, 0)
    at = 0
    for wildcard in [*_WILDCARDS.finditer(text), None]:
        literal = text[at : wildcard.start() if wildcard else len(text)]
        normalized = normalize_query(literal) if literal else ""
        if normalized:
            parts.append(normalized)
            gaps.append(gap)
            spelled.append(normalized)
            gap = (0, 0)
        if wildcard is None:
            break
        run = wildcard.group()
        fewest = gap[0] + run.count("?")
        gap = (fewest, gap[1] + run.count("?") + (WILDCARD_RUN if "*" in run else 0))
        spelled.append(run)
        at = wildcard.end()
    if not parts:
        raise CorpusSearchError(f"bad query: {text!r} has no character beside its wildcards")
    gaps.append(gap)
    return Term(text, "".join(spelled), parts=tuple(parts), gaps=tuple(gaps))


def parse(query: str) -> Node:
    """Parse a query; CorpusSearchError says what is wrong with one that cannot be read."""
    return _Parser(_tokens(query)).parse()


def without_punctuation(node: Node) -> Node:
    """The query for punctuation-blind matching (`--ignore-punct`): every term with its punctuation
    removed (normalize.is_punctuation), so that it is matched with the text's punctuation skipped. The
    ASCII `*` and `?` are punctuation like any other here, not wildcards: a pattern is read again as the
    text it was typed as. A term of punctuation alone has nothing left to search for."""
    if isinstance(node, Term):
        normalized, others = node.normalized, node.alternatives
        if node.is_pattern:
            normalized = normalize_query(node.text)
            others = alternatives(node.text, normalized)
        stripped = strip_punctuation(normalized)[0]
        if not stripped:
            raise CorpusSearchError(f"bad query: {node.text!r} has nothing to search for once punctuation is ignored")
        kept = {strip_punctuation(other)[0] for other in others}
        kept = {other for other in kept if len(other) == len(stripped) and other != stripped}
        return Term(node.text, stripped, node.quoted, alternatives=tuple(sorted(kept)))
    if isinstance(node, Near):
        return Near(without_punctuation(node.left), without_punctuation(node.right), node.distance, node.ordered)
    if isinstance(node, Not):
        return Not(without_punctuation(node.child))
    return type(node)(tuple(without_punctuation(child) for child in node.children))


def positive_units(node: Node, negated: bool = False) -> list[Unit]:
    """Terms and NEAR/ADJ pairs that a hit must (or may) contain, in query order: those not under a NOT."""
    if isinstance(node, Term | Near):
        return [] if negated else [node]
    if isinstance(node, Not):
        return positive_units(node.child, not negated)
    units: list[Unit] = []
    for child in node.children:
        for unit in positive_units(child, negated):
            if unit not in units:
                units.append(unit)
    return units


def positive_terms(node: Node) -> list[Term]:
    """Terms that a hit must (or may) contain, in query order: every term not under a NOT."""
    terms: list[Term] = []
    for unit in positive_units(node):
        for term in (unit.left, unit.right) if isinstance(unit, Near) else (unit,):
            if term not in terms:
                terms.append(term)
    return terms


def explain(node: Node) -> str:
    """The parsed query in a fully bracketed form, with each term as it will be matched."""
    if isinstance(node, Term):
        return f'"{node.normalized}"'
    if isinstance(node, Near):
        operator = "ADJ" if node.ordered else "NEAR"
        return f"({explain(node.left)} {operator}/{node.distance} {explain(node.right)})"
    if isinstance(node, Not):
        return f"NOT {explain(node.child)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(explain(child) for child in node.children) + ")"
