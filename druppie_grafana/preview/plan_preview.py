"""`plan --preview DIR`: per changed dashboard, Grafana's layout and the defined one side by side, with
added, removed, moved and changed panels marked (panels are matched by id, as Grafana keys them)."""

from __future__ import annotations

import json
from html import escape
from typing import Any, Mapping

from ..checks.v2_view import V2View
from ..grafana.plan import CREATE, DELETE, NOOP, Plan
from ..resources import DASHBOARD
from .dashboard import dashboard_html
from .site import page

MARKS = {"added": "#3fb950", "removed": "#f85149", "moved": "#d29922", "changed": "#58a6ff"}


def classic_of(raw: Any) -> dict | None:
    """The classic JSON of what Grafana answered: legacy {dashboard, meta}, an /apis object (classic or v2 spec)."""
    if not isinstance(raw, dict):
        return None
    if isinstance(raw.get("dashboard"), dict):
        return raw["dashboard"]
    spec = raw.get("spec")
    if isinstance(spec, dict):
        return V2View(spec).data if "elements" in spec or "layout" in spec else spec
    return None


def _panels(dashboard: dict | None) -> dict[Any, tuple[str, dict]]:
    """panel id -> (its path in the preview, the panel), nested rows' panels included."""
    out: dict[Any, tuple[str, dict]] = {}
    for i, panel in enumerate((dashboard or {}).get("panels") or []):
        if not isinstance(panel, dict):
            continue
        out[panel.get("id", f"#{i}")] = (f"$.panels[{i}]", panel)
        for j, inner in enumerate(panel.get("panels") or []):
            if isinstance(inner, dict):
                out[inner.get("id", f"#{i}.{j}")] = (f"$.panels[{i}].panels[{j}]", inner)
    return out


def marks(remote: dict | None, defined: dict | None) -> dict[str, list[tuple[Any, str, str]]]:
    """kind -> [(panel id, path on the side it shows, title)] for added, removed, moved and changed panels."""
    before, after = _panels(remote), _panels(defined)
    out: dict[str, list] = {k: [] for k in MARKS}
    for pid, (path, panel) in after.items():
        if pid not in before:
            out["added"].append((pid, path, str(panel.get("title", ""))))
            continue
        old = before[pid][1]
        if (old.get("gridPos") or {}) != (panel.get("gridPos") or {}):
            out["moved"].append((pid, path, str(panel.get("title", ""))))
        strip = lambda p: {k: v for k, v in p.items() if k not in ("gridPos", "panels")}  # noqa: E731
        if json.dumps(strip(old), sort_keys=True) != json.dumps(strip(panel), sort_keys=True):
            out["changed"].append((pid, path, str(panel.get("title", ""))))
    out["removed"] = [(pid, path, str(panel.get("title", ""))) for pid, (path, panel) in before.items() if pid not in after]
    return out


def _style(side: str, found: Mapping[str, list], kinds: tuple[str, ...]) -> str:
    rules = []
    for kind in kinds:
        for _, path, _ in found[kind]:
            rules.append(f'#{side} [data-path="{escape(path)}"]{{outline:3px solid {MARKS[kind]};outline-offset:-3px}}')
    return "".join(rules)


def _legend(found: Mapping[str, list]) -> str:
    items = []
    for kind, colour in MARKS.items():
        names = ", ".join(escape(title or str(pid)) for pid, _, title in found[kind]) or "none"
        items.append(f'<li><span style="color:{colour}">&#9632;</span> <b>{kind}</b>: {names}</li>')
    return f'<ul class="legend">{"".join(items)}</ul>'


def plan_site(plan: Plan, names: Mapping[str, str]) -> dict[str, str]:
    """index.html listing the dashboard changes, and one side-by-side page per changed dashboard."""
    files, rows = {}, []
    for change in plan.changes:
        if change.kind != DASHBOARD or change.action == NOOP:
            continue
        remote = None if change.remote is None else classic_of(change.remote.raw)
        defined = None if change.action == DELETE or change.resource is None else change.resource.spec
        found = marks(remote, defined)
        name = f"d/{change.uid}.html"
        left = dashboard_html(remote, names, [], {}) if remote else "<p><i>not in Grafana</i></p>"
        if change.remote is not None and remote is None:
            left = "<p><i>Grafana cannot show it in classic form (a dashboard stored as schema v2)</i></p>"
        right = dashboard_html(defined, names, [], {}) if defined else "<p><i>deleted by this plan</i></p>"
        style = _style("remote", found, ("removed", "moved", "changed")) + _style("defined", found, ("added", "moved", "changed"))
        blocked = f'<p class="finding error">REFUSED: {escape(change.blocked)}</p>' if change.blocked else ""
        body = (f"<style>.sides{{display:grid;grid-template-columns:1fr 1fr;gap:16px}}{style}</style>"
                f"<h1>{escape(change.action)}: {escape(change.title)} <code>{escape(change.uid)}</code></h1>"
                f"{blocked}{_legend(found)}<div class=\"sides\"><section id=\"remote\"><h2>In Grafana</h2>{left}</section>"
                f"<section id=\"defined\"><h2>Defined</h2>{right}</section></div>")
        files[name] = page(f"{change.action} {change.title}", body, root="../")
        counts = ", ".join(f"{len(v)} {k}" for k, v in found.items() if v) or "no panel changes"
        rows.append(f'<tr><td>{escape(change.action)}</td><td><a href="{name}">{escape(change.title)}</a></td>'
                    f"<td>{escape(counts)}</td><td>{escape(change.blocked or '')}</td></tr>")
    table = ("<table><tr><th>action</th><th>dashboard</th><th>panels</th><th>refused</th></tr>" + "".join(rows) + "</table>"
             if rows else "<p>No dashboard changes.</p>")
    files["index.html"] = page(f"Plan for {plan.env}", f"<h1>Plan for {escape(plan.env)}: dashboards</h1>"
                                                        f"<p>{escape(plan.summary())}</p>{table}")
    return files
