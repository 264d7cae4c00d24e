"""Grafana variables in a query replaced by stand-ins of the right kind, so the grammar sees what the
datasource will receive: a duration inside [...] and after `offset`, a number for *_ms/_s built-ins, a
whole label matcher for `{$__tags}`, text inside quotes and comments left alone, and a name elsewhere.

A bare variable (neither in quotes nor in a duration) may stand for anything: a number, a selector, or
an operator (`... $op on (entity) ...` with $op = `or`). When the query does not parse with name
stand-ins, the caller tries again with each variable's current value (`current_values`)."""

from __future__ import annotations

from typing import Mapping

from .walk import is_known_builtin, variable_refs

_QUOTES = "\"'`"
# Languages whose grammar has `#` line comments: PromQL (Prometheus' lexer) and LogQL (Loki's lexer).
_LINE_COMMENTS = {"promql", "logql"}


def _context(text: str, start: int, lang: str) -> tuple[str | None, int, int, bool]:
    """(open quote or None, [ depth, { depth, inside a # comment) at position start."""
    quote, square, curly, comment = None, 0, 0, False
    comments = lang in _LINE_COMMENTS
    i = 0
    while i < start:
        ch = text[i]
        if comment:
            if ch == "\n":
                comment = False
        elif quote:
            if ch == "\\" and quote != "`":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in _QUOTES:
            quote = ch
        elif ch == "#" and comments:
            comment = True  # an apostrophe in a comment ("we're") opens no string
        elif ch == "[":
            square += 1
        elif ch == "]":
            square -= 1
        elif ch == "{":
            curly += 1
        elif ch == "}":
            curly -= 1
        i += 1
    return quote, square, curly, comment


def stand_in(name: str, text: str, start: int, end: int, lang: str,
             values: Mapping[str, str] | None = None) -> str | None:
    quote, square, curly, comment = _context(text, start, lang)
    if quote or comment:
        return None
    if name.startswith("__") and not is_known_builtin(name):
        return None  # not a Grafana built-in: Grafana leaves it as written, so the grammar sees it as written
    before, after = text[:start].rstrip(), text[end:].lstrip()
    if name.endswith(("_ms", "_s")):
        return "300"
    if square > 0 or before.endswith("offset") or name in ("__interval", "__rate_interval", "__range", "__auto"):
        return "5m"
    if lang == "traceql":
        return '"x"'
    if curly > 0 and before[-1:] in ("{", ",") and after[:1] in ("}", ","):
        return 'x="x"'
    if values is not None and name in values:
        return values[name]
    return "x"


def interpolate(text: str, lang: str, values: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """(query with stand-ins, whether a stand-in is a bare name): a bare variable may hold any type
    (a number, a whole selector), so PromQL's type rules are only applied without one. With `values`,
    bare variables that have a current value get it instead of a name."""
    out, last, bare = [], 0, False
    for name, start, end in variable_refs(text):
        replacement = stand_in(name, text, start, end, lang, values)
        if replacement is not None:
            out.append(text[last:start] + replacement)
            last = end
            bare = bare or replacement == "x" or (values is not None and name in values
                                                  and replacement == values[name])
    out.append(text[last:])
    return "".join(out), bare


def current_values(variables: list[dict]) -> dict[str, str]:
    """Name -> the single current value of each custom/constant/textbox/interval variable that has one."""
    out = {}
    for var in variables:
        name, current = var.get("name"), var.get("current")
        if not isinstance(name, str) or var.get("type") not in ("custom", "constant", "textbox", "interval"):
            continue
        value = current.get("value") if isinstance(current, dict) else None
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if var.get("type") == "constant" and not isinstance(value, str):
            value = var.get("query")
        if isinstance(value, str) and value and not value.startswith("$__"):
            out[name] = value
    return out
