"""The subset of QBO's query language the sandbox understands, parsed the way QBO accepts it.

Covers what python-quickbooks and Preflight send: `SELECT * | *, Field | COUNT(*) FROM Entity
[WHERE a AND b ...] [ORDER BY | ORDERBY f [ASC|DESC], ...] [STARTPOSITION n] [MAXRESULTS n]`, with
keywords in any case, arbitrary whitespace, `'...'` strings with backslash escapes, and booleans in any case.
Entity names are case-sensitive, as in QBO. OR, JOIN and GROUP BY are not part of QBO's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

Value = str | bool | Decimal

ENTITIES = frozenset(
    {
        "Item",
        "Account",
        "CompanyInfo",
        "Preferences",
        "PurchaseOrder",
        "Bill",
        "Invoice",
        "SalesReceipt",
        "InventoryAdjustment",
        "JournalEntry",
    }
)

DEFAULT_MAX_RESULTS = 100
MAX_RESULTS_CAP = 1000

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>'(?:\\.|[^'\\])*')
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),*])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
    """,
    re.VERBOSE,
)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


class QueryParseError(ValueError):
    """The statement is not valid; `detail` reads like QBO's QueryParserError text."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # str | num | op | punct | ident | end
    text: str
    column: int

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str  # = < > <= >= != IN LIKE
    values: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Query:
    entity: str
    count: bool = False
    extra_fields: tuple[str, ...] = ()  # the `, Sku` of `SELECT *, Sku`
    where: tuple[Condition, ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    start_position: int = 1
    max_results: int = DEFAULT_MAX_RESULTS

    def mentions(self, field: str) -> bool:
        return any(c.field == field for c in self.where)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise QueryParseError(_encountered(text[pos], pos + 1))
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, m.group(), pos + 1))
        pos = m.end()
    tokens.append(Token("end", "<EOF>", len(text) + 1))
    return tokens


def _encountered(text: str, column: int, expecting: str = "<IDENTIFIER> ...") -> str:
    return (
        f'QueryParserError: Encountered " "{text}" at line 1, column {column}.\nWas expecting:\n    {expecting}\n    '
    )


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, expecting: str) -> QueryParseError:
        tok = self.peek()
        return QueryParseError(_encountered(tok.text, tok.column, expecting))

    def keyword(self, *words: str) -> bool:
        tok = self.peek()
        if tok.kind == "ident" and tok.upper in words:
            self.i += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise self.fail(f'"{word}" ...')

    def expect_punct(self, p: str) -> None:
        tok = self.peek()
        if tok.kind != "punct" or tok.text != p:
            raise self.fail(f'"{p}" ...')
        self.i += 1

    def ident(self) -> str:
        tok = self.peek()
        if tok.kind != "ident":
            raise self.fail("<IDENTIFIER> ...")
        self.i += 1
        return tok.text

    def number(self) -> int:
        tok = self.peek()
        if tok.kind != "num" or "." in tok.text:
            raise self.fail("<INTEGER> ...")
        self.i += 1
        return int(tok.text)

    def value(self) -> Value:
        tok = self.take()
        if tok.kind == "str":
            return _UNESCAPE.sub(r"\1", tok.text[1:-1])
        if tok.kind == "num":
            return Decimal(tok.text)
        if tok.kind == "ident" and tok.upper in ("TRUE", "FALSE"):
            return tok.upper == "TRUE"
        self.i -= 1
        raise self.fail("<STRING_LITERAL> ...")

    def parse(self) -> Query:
        self.expect_keyword("SELECT")
        count = False
        extra: list[str] = []
        if self.keyword("COUNT"):
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            count = True
        else:
            self.expect_punct("*")
            while self.peek().kind == "punct" and self.peek().text == ",":
                self.i += 1
                extra.append(self.ident())
        self.expect_keyword("FROM")
        entity_tok = self.peek()
        entity = self.ident()
        if entity not in ENTITIES:
            raise QueryParseError(
                f"QueryValidationError: Invalid entity {entity!r} at line 1, column {entity_tok.column}. "
                "Entity names are case sensitive."
            )
        where: list[Condition] = []
        if self.keyword("WHERE"):
            where.append(self.condition())
            while self.keyword("AND"):
                where.append(self.condition())
        order_by: list[tuple[str, bool]] = []
        ordered = self.keyword("ORDERBY")
        if not ordered and self.keyword("ORDER"):
            self.expect_keyword("BY")
            ordered = True
        if ordered:
            while True:
                field = self.ident()
                desc = False
                if self.keyword("DESC"):
                    desc = True
                else:
                    self.keyword("ASC")
                order_by.append((field, desc))
                if self.peek().kind == "punct" and self.peek().text == ",":
                    self.i += 1
                    continue
                break
        start: int | None = None
        max_results: int | None = None
        while True:
            if start is None and self.keyword("STARTPOSITION"):
                start = self.number()
            elif max_results is None and self.keyword("MAXRESULTS"):
                max_results = self.number()
            else:
                break
        if self.peek().kind != "end":
            raise self.fail("<EOF>")
        return Query(
            entity=entity,
            count=count,
            extra_fields=tuple(extra),
            where=tuple(where),
            order_by=tuple(order_by),
            # STARTPOSITION is 1-based; python-quickbooks may send 0, which QBO treats as the start.
            start_position=max(start or 1, 1),
            max_results=min(max(max_results if max_results is not None else DEFAULT_MAX_RESULTS, 1), MAX_RESULTS_CAP),
        )

    def condition(self) -> Condition:
        field = self.ident()
        if self.keyword("IN"):
            self.expect_punct("(")
            values = [self.value()]
            while self.peek().kind == "punct" and self.peek().text == ",":
                self.i += 1
                values.append(self.value())
            self.expect_punct(")")
            return Condition(field, "IN", tuple(values))
        if self.keyword("LIKE"):
            value = self.value()
            if not isinstance(value, str):
                raise self.fail("<STRING_LITERAL> ...")
            return Condition(field, "LIKE", (value,))
        tok = self.peek()
        if tok.kind != "op":
            raise self.fail('"=" ... "<" ... ">" ... "IN" ... "LIKE" ...')
        self.i += 1
        op = "!=" if tok.text == "<>" else tok.text
        return Condition(field, op, (self.value(),))


def parse_query(text: str) -> Query:
    return _Parser(text).parse()
