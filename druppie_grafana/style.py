"""Colour for people at a terminal, none for logs: on only when the stream is a TTY, NO_COLOR is unset
(no-color.org) and TERM is not `dumb`."""

from __future__ import annotations

import os
import re
from typing import TextIO

CODES = {"green": "32", "yellow": "33", "red": "31", "bold": "1", "dim": "2"}
# what a line of plan or apply output starts with -> its colour
LINE_COLOURS = [
    (re.compile(r"^\s+(\+ create|created)\b"), "green"),
    (re.compile(r"^\s+(~ update|updated)\b"), "yellow"),
    (re.compile(r"^\s+(- delete|deleted)\b"), "red"),
    (re.compile(r"^\s+(REFUSED|refused|failed|skipped)\b"), "red"),
    (re.compile(r"^\s+[-+](?![-+])"), None),  # diff lines: coloured by their sign below
]


def enabled(stream: TextIO) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ \
        and os.environ.get("TERM") != "dumb"


def paint(text: str, colour: str) -> str:
    return f"\x1b[{CODES[colour]}m{text}\x1b[0m"


def colour_lines(text: str) -> str:
    """Plan/apply output with each line coloured by what it says (call only when enabled())."""
    out = []
    for line in text.splitlines(keepends=True):
        body, newline = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        colour = next((c for pattern, c in LINE_COLOURS if pattern.search(body)), None)
        if colour is None and re.match(r"^\s{6}[+-]", body):
            colour = "green" if body.lstrip().startswith("+") else "red"
        out.append((paint(body, colour) if colour else body) + newline)
    return "".join(out)


def emit(text: str, stream: TextIO) -> None:
    stream.write(colour_lines(text) if enabled(stream) else text)
