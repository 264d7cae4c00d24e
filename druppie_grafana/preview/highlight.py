"""Queries as escaped HTML: variables, strings, numbers and operators marked; the variables a query uses."""

from __future__ import annotations

import re
from html import escape

from ..checks.walk import VARIABLE_REF, is_builtin

_TOKEN = re.compile(
    r"(?P<var>" + VARIABLE_REF.pattern + r")"
    r'|(?P<str>"(?:[^"\\\n]|\\.)*"|`[^`]*`|\'(?:[^\'\\\n]|\\.)*\')'
    r"|(?P<num>\b\d+(?:\.\d+)?(?:ms|s|m|h|d|w|y)?\b)"
    r"|(?P<op>\|=|\|~|!=|!~|=~|\||[{}()\[\]])")


def variables_used(text: str) -> list[str]:
    """Dashboard variables a query refers to, in order of first use (Grafana's built-ins left out)."""
    names = []
    for m in VARIABLE_REF.finditer(text):
        name = m.group(1) or m.group(2) or m.group(4)
        if name and not name.isdigit() and not is_builtin(name) and name not in names:
            names.append(name)
    return names


def highlight(text: str) -> str:
    out, pos = [], 0
    for m in _TOKEN.finditer(text):
        out.append(escape(text[pos:m.start()]))
        kind = m.lastgroup if m.lastgroup in ("var", "str", "num", "op") else "var"
        token = m.group(0)
        if kind == "var":
            name = next((g for g in (m.group(2), m.group(3), m.group(5)) if g), "")
            if name.isdigit():
                kind = "num"
            elif name.startswith("__"):
                kind = "builtin"
        inner = _vars_only(token) if kind == "str" else escape(token)
        out.append(f'<span class="q-{kind}">{inner}</span>')
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def _vars_only(text: str) -> str:
    """Escaped text with only its variables marked (inside a string literal)."""
    out, pos = [], 0
    for m in VARIABLE_REF.finditer(text):
        name = m.group(1) or m.group(2) or m.group(4) or ""
        if name.isdigit():
            continue
        kind = "builtin" if name.startswith("__") else "var"
        out += [escape(text[pos:m.start()]), f'<span class="q-{kind}">{escape(m.group(0))}</span>']
        pos = m.end()
    return "".join(out) + escape(text[pos:])
