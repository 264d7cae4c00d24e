"""Keeping secrets and hostile text out of what we print.

Secrets are masked as whole values in every spelling they may take in a message (JSON-escaped,
\\u-escaped, HTML-escaped, URL-encoded, Python repr), before anything is truncated, so neither an
escape nor a cut-off can let part of one through. Only credentials are registered: ordinary values
that travel in Grafana's secret store (a Loki tenant) are not secrets and are never masked.

Text that came from Grafana (titles, error messages) is also stripped of control characters before it
reaches a terminal, and escaped before it goes into Markdown (a pull-request comment).
"""

from __future__ import annotations

import html
import json
import re
import threading
from urllib.parse import quote, quote_plus

MASK = "********"

# scheme://user:password@host -> scheme://***@host (a URL printed from anywhere, ours or Grafana's)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@]+@")
# C0 controls but tab and newline, DEL, and C1 controls (ESC starts ANSI/OSC sequences; 0x9b is CSI)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def spellings(secret: str) -> set[str]:
    """Every form `secret` can take inside a message, an answer body or a repr."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        html.escape(secret),
        html.escape(secret, quote=False),
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        secret.encode("unicode_escape").decode("ascii"),
    }
    forms |= {"".join(f"&#{ord(c)};" for c in secret), "".join(f"&#x{ord(c):x};" for c in secret)}
    return {f for f in forms if f}


def redact_urls(text: str) -> str:
    return _USERINFO.sub(r"\1***@", text)


class Redactor:
    """The set of secrets of one run; call it on any text before it is shown."""

    def __init__(self, secrets=()):
        self._forms: list[str] = []
        self._lock = threading.Lock()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret:
            return
        with self._lock:
            forms = set(self._forms) | spellings(secret)
            self._forms = sorted(forms, key=len, reverse=True)  # longest first: no partial leftovers

    def __call__(self, text: str) -> str:
        text = redact_urls(text)
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text


def terminal_safe(text: str) -> str:
    """No control characters (ANSI/OSC escapes, carriage returns, bells) but tab and newline."""
    return _CONTROL.sub("\ufffd", text)


def one_line(text: str) -> str:
    """A server-supplied string for a single line of output."""
    return terminal_safe(text.replace("\r", " ").replace("\n", " "))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def markdown_text(text: str) -> str:
    """Literal text inside Markdown: no links, images, headings, emphasis, HTML or table breaks."""
    text = one_line(text)
    text = html.escape(text, quote=False)  # <img>, <details>, &entities; as text
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_code_span(text: str) -> str:
    """`text` as an inline code span that no backtick inside it can close early."""
    text = one_line(text).replace("|", "\u2502")  # a | would still split a table cell
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def markdown_fence(text: str, info: str = "") -> str:
    """A fenced code block that no line of `text` can close early."""
    text = terminal_safe(text)
    longest = max((len(run) for run in re.findall(r"`{3,}|~{3,}", text)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip(chr(10))}\n{fence}"
