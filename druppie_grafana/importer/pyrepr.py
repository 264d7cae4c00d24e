"""Python source for plain data and calls: one line when it fits, else one item a line, always the
same text for the same input (dict order is kept; the importer sorts what needs sorting)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

WIDTH = 110
INDENT = "    "


@dataclass(frozen=True)
class Code:
    """Source text written as it is (a name, `ds.loki`, `ctx.datasource_uid("loki")`)."""

    text: str


@dataclass(frozen=True)
class Call:
    """`name(arg, ..., key=value, ...)`; keyword values left at None are left out."""

    name: str
    args: tuple = ()
    kwargs: tuple = field(default=())  # ((key, value), ...)

    @staticmethod
    def of(name: str, *args: Any, **kwargs: Any) -> "Call":
        return Call(name, args, tuple(kwargs.items()))


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string literal is a Python string literal


def _atom(value: Any) -> str | None:
    if isinstance(value, Code):
        return value.text
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    return None


def _items(value: Any) -> tuple[str, str, list[tuple[str, Any]]]:
    """(open, close, [(prefix, item)]) of a container or call."""
    if isinstance(value, dict):
        return "{", "}", [(_string(str(k)) + ": ", v) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return "[", "]", [("", v) for v in value]
    if isinstance(value, Call):
        kwargs = [(f"{k}=", v) for k, v in value.kwargs if v is not None]
        return value.name + "(", ")", [("", a) for a in value.args] + kwargs
    raise TypeError(f"cannot write {type(value).__name__} as Python: {value!r}")


def one_line(value: Any) -> str:
    atom = _atom(value)
    if atom is not None:
        return atom
    open_, close, items = _items(value)
    return open_ + ", ".join(prefix + one_line(item) for prefix, item in items) + close


def source(value: Any, indent: int = 0, used: int = 0) -> str:
    """value as Python source starting `used` columns into a line indented `indent` levels."""
    flat = one_line(value)
    if _atom(value) is not None or len(INDENT * indent) + used + len(flat) <= WIDTH:
        return flat
    open_, close, items = _items(value)
    if not items:
        return flat
    if isinstance(value, Call) and len(items) == 1 and not items[0][0] and isinstance(items[0][1], (list, dict)):
        return value.name + "(" + source(items[0][1], indent, used + len(value.name) + 1) + ")"  # layout([
    inner = INDENT * (indent + 1)
    lines = [open_]
    for prefix, item in items:
        lines.append(inner + prefix + source(item, indent + 1, len(prefix) + 1) + ",")
    lines.append(INDENT * indent + close)
    return "\n".join(lines)
