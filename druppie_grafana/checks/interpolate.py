"""Grafana variables in a query replaced by stand-ins of the right kind, so the grammar sees what the
datasource will receive: a duration inside [...] and after `offset`, a number for *_ms/_s built-ins, a
whole label matcher for `{$__tags}`, text inside quotes left alone, and a name elsewhere."""

from __future__ import annotations

from .walk import variable_refs

_QUOTES = "\"'`"


def _context(text: str, start: int) -> tuple[str | None, int, int]:
    """(open quote or None, [ depth, { depth) at position start."""
    quote, square, curly = None, 0, 0
    i = 0
    while i < start:
        ch = text[i]
        if quote:
            if ch == "\\" and quote != "`":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in _QUOTES:
            quote = ch
        elif ch == "[":
            square += 1
        elif ch == "]":
            square -= 1
        elif ch == "{":
            curly += 1
        elif ch == "}":
            curly -= 1
        i += 1
    return quote, square, curly


def stand_in(name: str, text: str, start: int, end: int, lang: str) -> str | None:
    quote, square, curly = _context(text, start)
    if quote:
        return None
    before, after = text[:start].rstrip(), text[end:].lstrip()
    if name.endswith(("_ms", "_s")):
        return "300"
    if square > 0 or before.endswith("offset") or name in ("__interval", "__rate_interval", "__range", "__auto"):
        return "5m"
    if lang == "traceql":
        return '"x"'
    if curly > 0 and before[-1:] in ("{", ",") and after[:1] in ("}", ","):
        return 'x="x"'
    return "x"


def interpolate(text: str, lang: str) -> tuple[str, bool]:
    """(query with stand-ins, whether a stand-in is a bare name): a bare variable may hold any type
    (a number, a whole selector), so PromQL's type rules are only applied without one."""
    out, last, bare = [], 0, False
    for name, start, end in variable_refs(text):
        replacement = stand_in(name, text, start, end, lang)
        if replacement is not None:
            out.append(text[last:start] + replacement)
            last = end
            bare = bare or replacement == "x"
    out.append(text[last:])
    return "".join(out), bare
