"""Which log lines a LogQL log query selects: the small part of LogQL that trace-to-logs links use.

Supported: a stream selector with =, !=, =~, !~; line filters |=, !=, |~, !~; the `| json` and
`| logfmt` parsers without parameters; label filters
(name op "value" joined by `and`, `,` or `or`, with parentheses); and `label_format` whose
templates are plain text, `{{ .label }}`, `{{ __line__ }}` or `{{ contains "text" X }}` - exactly
what Grafana's generated trace-to-logs query needs. Anything else raises LogQLUnsupported, so
a query is never half-evaluated. Regexes run in Python's `re`; constructs RE2 (Loki's engine) would
reject - lookarounds and backreferences - are refused rather than given other semantics.

Semantics kept from Loki: the stream selector sees only stream labels; label filters also see
structured metadata and labels made by earlier stages; a missing label has the value "";
label matchers are anchored, line-filter regexes are not; `and` binds tighter than `or`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence


class LogQLError(ValueError):
    """The query is not valid LogQL (as far as this subset can tell)."""


class LogQLUnsupported(LogQLError):
    """Valid LogQL, perhaps, but outside the subset evaluated here."""


@dataclass(frozen=True)
class LogEntry:
    line: str
    stream: Mapping[str, str]  # stream labels: what {selector} sees
    metadata: Mapping[str, str] = field(default_factory=dict)  # structured metadata
    ts_ns: int = 0


# ---- lexing -----------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*"|`[^`]*`)
  | (?P<op>\|=|\|~|!=|!~|=~|==|>=|<=|=|>|<|\||\{|\}|\(|\)|,)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<num>[0-9][0-9A-Za-z.]*)
""", re.VERBOSE | re.DOTALL)

_GO_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
               "\\": "\\", '"': '"', "'": "'"}


def _go_string(literal: str) -> str:
    """The value of a Go string literal: "..." with escapes, or `...` raw."""
    if literal[0] == "`":
        return literal[1:-1]
    out, body, i = [], literal[1:-1], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        esc = body[i + 1]
        if esc in _GO_ESCAPES:
            out.append(_GO_ESCAPES[esc])
            i += 2
        elif esc in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[esc]
            out.append(chr(int(body[i + 2:i + 2 + width], 16)))
            i += 2 + width
        elif esc in "01234567":
            out.append(chr(int(body[i + 1:i + 4], 8)))
            i += 4
        else:
            raise LogQLError(f"unknown escape \\{esc} in string {literal}")
    return "".join(out)


@dataclass(frozen=True)
class _Tok:
    kind: str  # "str", "op", "ident", "end"
    text: str
    pos: int


def _tokens(query: str) -> list[_Tok]:
    toks, pos = [], 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if not m:
            raise LogQLError(f"unexpected character {query[pos]!r} at offset {pos} in {query!r}")
        if m.lastgroup != "ws":
            toks.append(_Tok(m.lastgroup, m.group(), pos))
        pos = m.end()
    toks.append(_Tok("end", "", pos))
    return toks


# ---- regexes ----------------------------------------------------------------------------------

_NOT_RE2 = re.compile(r"\(\?[=!]|\(\?<[=!]|\\[1-9]")


def _compile(pattern: str) -> re.Pattern:
    if _NOT_RE2.search(pattern):
        raise LogQLUnsupported(f"regex {pattern!r} uses lookaround or backreferences, which Loki's RE2 rejects")
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error as exc:
        raise LogQLError(f"invalid regex {pattern!r}: {exc}") from None


def _matcher(op: str, value: str) -> Callable[[str], bool]:
    if op in ("=", "=="):
        return lambda v: v == value
    if op == "!=":
        return lambda v: v != value
    rx = _compile(value)
    if op == "=~":
        return lambda v: rx.fullmatch(v) is not None  # label matchers are anchored
    if op == "!~":
        return lambda v: rx.fullmatch(v) is None
    raise LogQLError(f"unknown label operator {op!r}")


# ---- templates (label_format) -----------------------------------------------------------------

_ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)
_ACTION_WORD = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\S+')


def _template(text: str) -> Callable[[Mapping[str, str], str], str]:
    """A label_format template as a function of (labels, line)."""
    parts: list[Callable[[Mapping[str, str], str], str]] = []
    pos = 0
    for m in _ACTION.finditer(text):
        literal = text[pos:m.start()]
        parts.append(lambda labels, line, literal=literal: literal)
        parts.append(_action(_ACTION_WORD.findall(m.group(1)), text))
        pos = m.end()
    tail = text[pos:]
    parts.append(lambda labels, line: tail)
    return lambda labels, line: "".join(p(labels, line) for p in parts)


def _operand(word: str, template: str) -> Callable[[Mapping[str, str], str], str]:
    if word == "__line__":
        return lambda labels, line: line
    if word.startswith(".") and re.fullmatch(r"\.[A-Za-z_][A-Za-z0-9_]*", word):
        return lambda labels, line: labels.get(word[1:], "")
    if word[0] in '"`':
        value = _go_string(word)
        return lambda labels, line: value
    raise LogQLUnsupported(f"template operand {word!r} in {template!r} is not supported here")


def _action(words: list[str], template: str) -> Callable[[Mapping[str, str], str], str]:
    if len(words) == 1:
        return _operand(words[0], template)
    if len(words) == 3 and words[0] == "contains":
        # sprig's contains: `contains SUBSTR STR` is true when STR contains SUBSTR.
        needle, haystack = _operand(words[1], template), _operand(words[2], template)
        return lambda labels, line: "true" if needle(labels, line) in haystack(labels, line) else "false"
    raise LogQLUnsupported(f"template action {{{{ {' '.join(words)} }}}} in {template!r} is not supported here")


# ---- parsers: | json and | logfmt without parameters ---------------------------------------------

_NOT_LABEL_CHAR = re.compile(r"[^A-Za-z0-9_]")


def _json_labels(line: str) -> dict[str, str] | None:
    """Loki's json parser: nested keys joined with _, names sanitised, scalars as text; arrays skipped."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    out: dict[str, str] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}_{k}" if prefix else k, v)
        elif isinstance(value, bool):
            out[_NOT_LABEL_CHAR.sub("_", prefix)] = "true" if value else "false"
        elif isinstance(value, (int, float, str)):
            out[_NOT_LABEL_CHAR.sub("_", prefix)] = value if isinstance(value, str) else json.dumps(value)
    walk("", data)
    return out


_LOGFMT_PAIR = re.compile(r'([^\s=]+)(?:=("(?:[^"\\]|\\.)*"|[^\s]*))?')


def _logfmt_labels(line: str) -> dict[str, str] | None:
    """Loki's logfmt parser: key=value and key="quoted value" pairs, names sanitised."""
    out = {}
    for key, value in _LOGFMT_PAIR.findall(line):
        if value.startswith('"'):
            value = _go_string(value)
        out[_NOT_LABEL_CHAR.sub("_", key)] = value
    return out


def _parser_stage(parse_line: Callable[[str], dict | None]) -> "Stage":
    def stage(line: str, labels: dict) -> bool:
        parsed = parse_line(line)
        if parsed is None:
            labels["__error__"] = "JSONParserErr"
            return True
        for name, value in parsed.items():
            # a name the stream already has is kept, the parsed one gets _extracted (Loki)
            labels[f"{name}_extracted" if name in labels else name] = value
        return True
    return stage


# ---- the query --------------------------------------------------------------------------------

Stage = Callable[[str, dict], bool]  # (line, labels) -> keep?; may add labels


@dataclass(frozen=True)
class LogQuery:
    text: str
    selector: tuple[tuple[str, Callable[[str], bool]], ...]
    stages: tuple[Stage, ...]

    def selects(self, entry: LogEntry) -> bool:
        if not all(match(entry.stream.get(name, "")) for name, match in self.selector):
            return False
        labels = {**entry.stream, **entry.metadata}
        return all(stage(entry.line, labels) for stage in self.stages)

    def select(self, entries: Iterable[LogEntry]) -> list[LogEntry]:
        return [e for e in entries if self.selects(e)]


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self, kind: str, text: str | None = None) -> _Tok:
        tok = self.tok
        if tok.kind != kind or (text is not None and tok.text != text):
            want = text or kind
            raise LogQLError(f"expected {want!r} at offset {tok.pos} in {self.text!r}, found {tok.text or 'the end'!r}")
        self.i += 1
        return tok

    def at(self, kind: str, *texts: str) -> bool:
        return self.tok.kind == kind and (not texts or self.tok.text in texts)

    def keyword(self, *words: str) -> bool:
        return self.tok.kind == "ident" and self.tok.text.lower() in words

    def query(self) -> LogQuery:
        selector = self.selector()
        stages: list[Stage] = []
        while not self.at("end"):
            stages.append(self.stage())
        return LogQuery(self.text, selector, tuple(stages))

    def selector(self):
        self.take("op", "{")
        matchers = []
        while not self.at("op", "}"):
            name = self.take("ident").text
            op = self.take("op").text
            if op not in ("=", "!=", "=~", "!~"):
                raise LogQLError(f"stream selector operator {op!r} is not one of = != =~ !~ in {self.text!r}")
            value = _go_string(self.take("str").text)
            matchers.append((name, _matcher(op, value)))
            if not self.at("op", "}"):
                self.take("op", ",")
        self.take("op", "}")
        # Loki refuses selectors that would match every stream.
        if not any(not match("") for _, match in matchers):
            raise LogQLError(f"stream selector in {self.text!r} needs at least one matcher that does not "
                             "match the empty value (Loki refuses it)")
        return tuple(matchers)

    def stage(self) -> Stage:
        if self.at("op", "|=", "!=", "|~", "!~"):
            op = self.take("op").text
            value = _go_string(self.take("str").text)
            if self.keyword("or"):
                raise LogQLUnsupported(f"line filters joined with `or` are not supported here: {self.text!r}")
            if op == "|=":
                return lambda line, labels: value in line
            if op == "!=":
                return lambda line, labels: value not in line
            rx = _compile(value)
            if op == "|~":
                return lambda line, labels: rx.search(line) is not None
            return lambda line, labels: rx.search(line) is None
        self.take("op", "|")
        if self.keyword("json", "logfmt") and not (self.toks[self.i + 1].kind == "ident"
                                                   or self.toks[self.i + 1].kind == "op" and self.toks[self.i + 1].text in ("=", "==", "!=", "=~", "!~")):
            parse_line = _json_labels if self.take("ident").text.lower() == "json" else _logfmt_labels
            return _parser_stage(parse_line)
        if self.keyword("label_format"):
            self.i += 1
            return self.label_format()
        if self.at("ident") and self.toks[self.i + 1].kind == "op" and \
                self.toks[self.i + 1].text in ("=", "==", "!=", "=~", "!~", ">", ">=", "<", "<="):
            return self.label_filter()
        if self.at("op", "("):
            return self.label_filter()
        raise LogQLUnsupported(f"pipeline stage starting {self.tok.text!r} at offset {self.tok.pos} "
                               f"is not supported here: {self.text!r}")

    def label_format(self) -> Stage:
        formats = []
        while True:
            dst = self.take("ident").text
            self.take("op", "=")
            if self.at("ident"):  # rename: dst=src
                src = self.take("ident").text
                formats.append((dst, src, lambda labels, line, src=src: labels.get(src, "")))
            else:
                formats.append((dst, None, _template(_go_string(self.take("str").text))))
            if not self.at("op", ","):
                break
            self.take("op", ",")

        def stage(line: str, labels: dict) -> bool:
            before = dict(labels)  # every template sees the labels as they were before this stage
            for dst, src, render in formats:
                labels[dst] = render(before, line)
                if src is not None and src != dst:
                    labels.pop(src, None)
            return True
        return stage

    # label filter expression: or_expr := and_expr ("or" and_expr)*; and_expr := primary (("and"|",") primary)*
    def label_filter(self) -> Stage:
        expr = self.or_expr()
        return lambda line, labels: expr(labels)

    def or_expr(self) -> Callable[[Mapping[str, str]], bool]:
        terms = [self.and_expr()]
        while self.keyword("or"):
            self.i += 1
            terms.append(self.and_expr())
        return terms[0] if len(terms) == 1 else (lambda labels: any(t(labels) for t in terms))

    def and_expr(self) -> Callable[[Mapping[str, str]], bool]:
        terms = [self.primary()]
        while self.keyword("and") or self.at("op", ","):
            self.i += 1
            terms.append(self.primary())
        return terms[0] if len(terms) == 1 else (lambda labels: all(t(labels) for t in terms))

    def primary(self) -> Callable[[Mapping[str, str]], bool]:
        if self.at("op", "("):
            self.take("op", "(")
            inner = self.or_expr()
            self.take("op", ")")
            return inner
        name = self.take("ident").text
        op = self.take("op").text
        if op not in ("=", "==", "!=", "=~", "!~"):
            raise LogQLUnsupported(f"label filter operator {op!r} is not supported here: {self.text!r}")
        if not self.at("str"):
            raise LogQLUnsupported(f"label filter on {name} compares with a non-string (number, duration, "
                                   f"bytes), which is not supported here: {self.text!r}")
        match = _matcher(op, _go_string(self.take("str").text))
        return lambda labels: match(labels.get(name, ""))


def parse(query: str) -> LogQuery:
    """Parse a LogQL log query (no metric queries) into something that can select entries."""
    return _Parser(query.strip()).query()


def select(query: str, entries: Sequence[LogEntry]) -> list[LogEntry]:
    return parse(query).select(entries)
