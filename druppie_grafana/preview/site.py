"""The preview site: {relative path: HTML}, every page self-contained (inline style and script, no network)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from typing import Any, Callable, Mapping, Sequence

from ..checks.finding import Finding
from .dashboard import dashboard_html

# Nothing is fetched: no network, no other file; inline style and script only.
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


@dataclass
class Board:
    """A dashboard to show: its classic (v1) JSON, where it came from and validate's findings on it."""

    uid: str
    spec: dict
    source: str
    findings: list[Finding] = field(default_factory=list)
    page: str = ""  # set by site(): the page's path inside the site

    @property
    def title(self) -> str:
        return str(self.spec.get("title") or self.uid or self.source)


def asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """JSON to embed in <script type="application/json">: no '<' (so no </script>) inside."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c").replace("&", "\\u0026")


def page(title: str, body: str, root: str = "", script: str = "") -> str:
    nav = (f'<nav class="top"><b>druppie-grafana preview</b><a href="{root}index.html">Dashboards</a>'
           f'<a href="{root}chain.html">Link chain</a><a href="{root}tryit.html">Try it</a></nav>')
    js = f"<script>{script}</script>" if script else ""
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)}</title><style>{asset("preview.css")}</style></head>'
            f'<body>{nav}<main>{body}</main>{js}</body></html>\n')


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60] or "dashboard"


def assign_pages(boards: Sequence[Board]) -> None:
    seen: set[str] = set()
    for board in boards:
        name, n = _slug(board.uid or board.title), 1
        while name.lower() in seen:
            n += 1
            name = f"{_slug(board.uid or board.title)}-{n}"
        seen.add(name.lower())
        board.page = f"d/{name}.html"


def _index(boards: Sequence[Board], heading: str, general: Sequence[Finding]) -> str:
    rows = "".join(
        f'<tr><td><a href="{escape(b.page)}">{escape(b.title)}</a></td><td><code>{escape(b.uid)}</code></td>'
        f'<td>{escape(b.source)}</td><td>{_finding_count(b.findings)}</td></tr>' for b in boards)
    extra = "".join(f"<li>{escape(str(f))}</li>" for f in general)
    return (f"<h1>{escape(heading)}</h1><p>{len(boards)} dashboards, laid out on Grafana's 24-column grid; "
            f'the <a href="chain.html">link chain</a> between datasources and dashboards; '
            f'<a href="tryit.html">try a log line or a trace id</a>.</p>'
            f"<table><tr><th>Dashboard</th><th>uid</th><th>defined in</th><th>validate</th></tr>{rows}</table>"
            + (f"<h2>Other findings</h2><ul>{extra}</ul>" if extra else ""))


def _finding_count(findings: Sequence[Finding]) -> str:
    if not findings:
        return "clean"
    errors = sum(f.severity == "error" for f in findings)
    return escape(f"{errors} errors, {len(findings) - errors} warnings")


Extra = Callable[[Sequence[Board]], dict[str, str]]


def site(boards: Sequence[Board], heading: str, names: Mapping[str, str],
         general: Sequence[Finding] = (), extra_pages: Sequence[Extra] = ()) -> dict[str, str]:
    """The site: index.html, d/<uid>.html per dashboard, and whatever extra_pages add (chain, try it)."""
    assign_pages(boards)
    pages = {b.uid: "../" + b.page for b in boards if b.uid}
    files = {"index.html": page(heading, _index(boards, heading, general))}
    for b in boards:
        files[b.page] = page(b.title, dashboard_html(b.spec, names, b.findings, pages), root="../")
    for make in extra_pages:
        files.update(make(boards))
    return files
