"""The query language: terms, "phrases", AND / OR / NOT (and -term), and parentheses.

    临时 党支部            both terms in the same passage (AND is implied between terms)
    临时 AND 党支部        the same, spelled out
    临时 OR 党支部         either term
    党支部 NOT 临时        党支部 in passages without 临时; `-临时` says the same
    "临时 党支部"          a phrase: the text between quotes, normalised as a whole (so the space goes)
    (临时 OR 战时) 党支部   parentheses group

Every term matches as a substring of the normalised passage text, so a bare term such as 临时党支部
already behaves as its exact phrase; quotes matter when the phrase holds spaces or operator words.
Operators are the upper-case words AND, OR and NOT; a leading `-` negates a term. Precedence: NOT, then
AND, then OR. A query that cannot be read raises CorpusSearchError with a one-line reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import CorpusSearchError
from .normalize import normalize_query


@dataclass(frozen=True, slots=True)
class Term:
    """A term as typed and as normalised; `quoted` when it came from a "phrase"."""

    text: str
    normalized: str
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node = Term | And | Or | Not

_OPERATORS = {"AND", "OR", "NOT"}
_SPECIAL = '()"'


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
            tokens.append(("op", word) if word in _OPERATORS else ("word", word))
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
        children = [self.unary()]
        while True:
            token = self.peek()
            if token is None or token[0] == ")" or token == ("op", "OR"):
                break
            if token == ("op", "AND"):
                self.take()
            children.append(self.unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self) -> Node:
        token = self.peek()
        if token is None:
            raise CorpusSearchError("bad query: an operator has nothing after it")
        kind, text = token
        if kind == "minus" or token == ("op", "NOT"):
            self.take()
            return Not(self.unary())
        if kind == "op":
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
        normalized = normalize_query(text)
        if not normalized:
            raise CorpusSearchError(f"bad query: {text!r} has nothing to search for")
        return Term(text, normalized, quoted=kind == "phrase")


def parse(query: str) -> Node:
    """Parse a query; CorpusSearchError says what is wrong with one that cannot be read."""
    return _Parser(_tokens(query)).parse()


def positive_terms(node: Node, negated: bool = False) -> list[Term]:
    """Terms that a hit must (or may) contain, in query order: every term not under a NOT."""
    if isinstance(node, Term):
        return [] if negated else [node]
    if isinstance(node, Not):
        return positive_terms(node.child, not negated)
    terms: list[Term] = []
    for child in node.children:
        for term in positive_terms(child, negated):
            if term not in terms:
                terms.append(term)
    return terms


def explain(node: Node) -> str:
    """The parsed query in a fully bracketed form, with each term as it will be matched."""
    if isinstance(node, Term):
        return f'"{node.normalized}"'
    if isinstance(node, Not):
        return f"NOT {explain(node.child)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(explain(child) for child in node.children) + ")"
