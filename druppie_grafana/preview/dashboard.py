"""One dashboard as Grafana lays it out: variable bar, time range, links, the grid of panels and rows."""

from __future__ import annotations

import json
from html import escape
from typing import Any, Mapping, Sequence

from ..checks.finding import Finding
from .grid import CELL_HEIGHT, CELL_MARGIN, COLUMNS, Item, height_px, layout
from .highlight import highlight, variables_used

MAIN_GRID = ' data-top="0" id="main-grid"'
QUERY_KEYS = ("expr", "query", "rawSql", "expression", "target", "queryText", "rawQuery")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def datasource_label(ref: Any, names: Mapping[str, str]) -> str:
    """How a panel or query names its datasource: a {type, uid} reference, a name, or the default."""
    if isinstance(ref, dict):
        uid = _text(ref.get("uid"))
        kind = _text(ref.get("type"))
        name = names.get(uid, uid)
        return f"{name} ({kind})" if kind and name else name or kind or "default"
    if isinstance(ref, str) and ref:
        return names.get(ref, ref)
    return "default"


def _query_text(target: dict) -> str:
    for key in QUERY_KEYS:
        if target.get(key) not in (None, ""):
            return _text(target[key])
    return ""


def _findings_html(findings: Sequence[Finding]) -> str:
    if not findings:
        return ""
    items = "".join(f'<li class="finding {escape(f.severity)}"><b>{escape(f.severity)} [{escape(f.rule)}]</b> '
                    f'{escape(f.message)} <code>{escape(f.path)}</code></li>' for f in findings)
    return f'<ul class="findings">{items}</ul>'


def _links_html(links: Any, what: str) -> str:
    links = [l for l in links if isinstance(l, dict)] if isinstance(links, list) else []
    if not links:
        return ""
    items = "".join(f'<li><span class="link-title">{escape(_text(l.get("title")))}</span> '
                    f'<code>{highlight(_text(l.get("url")))}</code></li>' for l in links)
    return f'<div class="links"><h4>{escape(what)}</h4><ul>{items}</ul></div>'


def _data_links(panel: dict) -> list:
    config = panel.get("fieldConfig") if isinstance(panel.get("fieldConfig"), dict) else {}
    defaults = config.get("defaults") if isinstance(config.get("defaults"), dict) else {}
    links = list(defaults.get("links") or []) if isinstance(defaults.get("links"), list) else []
    for override in config.get("overrides") or []:
        for prop in (override.get("properties") or []) if isinstance(override, dict) else []:
            if isinstance(prop, dict) and prop.get("id") == "links" and isinstance(prop.get("value"), list):
                links += prop["value"]
    return links


def _unit(panel: dict) -> str:
    config = panel.get("fieldConfig") if isinstance(panel.get("fieldConfig"), dict) else {}
    defaults = config.get("defaults") if isinstance(config.get("defaults"), dict) else {}
    return _text(defaults.get("unit") or panel.get("format") or "")


def _queries_html(panel: dict, names: Mapping[str, str]) -> str:
    targets = [t for t in panel.get("targets") or [] if isinstance(t, dict)] if isinstance(panel.get("targets"), list) else []
    rows = []
    for t in targets:
        text = _query_text(t)
        ds = datasource_label(t.get("datasource"), names) if t.get("datasource") else ""
        used = variables_used(text)
        uses = (' <span class="uses">uses ' + ", ".join(f'<span class="q-var">${escape(v)}</span>' for v in used)
                + "</span>") if used else ""
        rows.append(f'<div class="query"><div class="query-head"><b>{escape(_text(t.get("refId")))}</b> '
                    f'{escape(ds)}{uses}</div><pre><code>{highlight(text)}</code></pre></div>')
    return "".join(rows)


def panel_html(item: Item, names: Mapping[str, str], findings: Sequence[Finding], top: int = 0) -> str:
    p = item.panel
    style = (f"left:calc(100% * {item.x} / {COLUMNS});width:calc(100% * {item.w} / {COLUMNS} - {CELL_MARGIN}px);"
             f"top:{(item.y - top) * (CELL_HEIGHT + CELL_MARGIN)}px;height:{height_px(item.h)}px")
    marks = f'<span class="badge {escape(findings[0].severity)}" title="findings from validate">&#9888; {len(findings)}</span>' if findings else ""
    classes = "panel" + (" row" if item.is_row else "") + (" collapsed" if item.collapsed else "") + (" has-finding" if findings else "")
    attrs = f'class="{classes}" data-path="{escape(item.path)}" style="{style}"'
    if item.is_row:
        state = f"&#9656; {len(item.children)} panels, collapsed" if item.collapsed else "&#9662; open"
        repeat = f' <span class="uses">repeats for ${escape(_text(p.get("repeat")))}</span>' if p.get("repeat") else ""
        return (f'<div {attrs}><span class="row-title">{escape(_text(p.get("title")))}</span> '
                f'<span class="row-state">{state}</span>{repeat}{marks}{_findings_html(findings)}</div>')
    unit = _unit(p)
    head = (f'<div class="panel-head"><span class="panel-title">{escape(_text(p.get("title")) or "(no title)")}</span>'
            f'{marks}<span class="panel-type">{escape(_text(p.get("type")))}</span></div>')
    meta = (f'<div class="meta">datasource: <b>{escape(datasource_label(p.get("datasource"), names))}</b>'
            + (f' &middot; unit: <b>{escape(unit)}</b>' if unit else "")
            + (f' &middot; repeats for <span class="q-var">${escape(_text(p.get("repeat")))}</span>' if p.get("repeat") else "")
            + "</div>")
    desc = f'<p class="description">{escape(_text(p.get("description")))}</p>' if p.get("description") else ""
    body = (meta + desc + _findings_html(findings) + _queries_html(p, names) + _links_html(p.get("links"), "Panel links")
            + _links_html(_data_links(p), "Data links"))
    return f'<div {attrs}>{head}<div class="panel-body">{body}</div></div>'


def _grid_html(items: Sequence[Item], names, findings_at, top: int = 0, extra: str = "") -> str:
    bottom = max((i.y + i.h - top for i in items), default=0)
    boxes = "".join(panel_html(i, names, findings_at(i.path), top) for i in items)
    return (f'<div class="grid"{extra} style="height:{bottom * (CELL_HEIGHT + CELL_MARGIN)}px">{boxes}</div>')


def _variables_html(dashboard: dict) -> str:
    templating = dashboard.get("templating") if isinstance(dashboard.get("templating"), dict) else {}
    variables = [v for v in templating.get("list") or [] if isinstance(v, dict)] if isinstance(templating.get("list"), list) else []
    out = []
    for v in variables:
        current = v.get("current") if isinstance(v.get("current"), dict) else {}
        value = _text(current.get("text") if current.get("text") not in (None, "", []) else v.get("query"))
        hidden = " hidden-var" if v.get("hide") in (1, 2) else ""
        out.append(f'<div class="variable{hidden}" title="{escape(_text(v.get("description")))}">'
                   f'<span class="var-label">{escape(_text(v.get("label") or v.get("name")))}</span>'
                   f'<span class="var-name">${escape(_text(v.get("name")))} &middot; {escape(_text(v.get("type")))}</span>'
                   f'<code>{highlight(value)}</code></div>')
    return f'<div class="variables">{"".join(out) or "<i>no variables</i>"}</div>'


def _time_html(dashboard: dict) -> str:
    time = dashboard.get("time") if isinstance(dashboard.get("time"), dict) else {}
    refresh = f' &middot; refresh {escape(_text(dashboard.get("refresh")))}' if dashboard.get("refresh") else ""
    return (f'<div class="time">{escape(_text(time.get("from") or "now-6h"))} to '
            f'{escape(_text(time.get("to") or "now"))}{refresh}</div>')


def _dashboard_links(dashboard: dict, pages: Mapping[str, str]) -> str:
    links = [l for l in dashboard.get("links") or [] if isinstance(l, dict)] if isinstance(dashboard.get("links"), list) else []
    out = []
    for link in links:
        title = _text(link.get("title")) or ("tags: " + ", ".join(map(_text, link.get("tags") or [])))
        url = _text(link.get("url"))
        target = next((page for uid, page in pages.items() if url.startswith(f"/d/{uid}")), None)
        label = escape(title)
        out.append(f'<a class="dash-link" href="{escape(target)}">{label}</a>' if target
                   else f'<span class="dash-link" title="{escape(url)}">{label}</span>')
    return f'<nav class="dash-links">{"".join(out)}</nav>' if out else ""


def dashboard_html(dashboard: dict, names: Mapping[str, str], findings: Sequence[Finding],
                   pages: Mapping[str, str]) -> str:
    """The page body for one classic (v1) dashboard. findings: those of its file; pages: uid -> page href."""
    items = layout(dashboard)

    def findings_at(path: str) -> list[Finding]:
        return [f for f in findings if f.path == path or f.path.startswith(path + ".") or f.path.startswith(path + "[")]

    placed = {i.path for i in items} | {c.path for i in items for c in i.children}
    loose = [f for f in findings if not any(f.path == p or f.path.startswith(p + ".") for p in placed)]
    collapsed = "".join(
        f'<details class="collapsed-row" data-path="{escape(i.path)}"><summary>Inside collapsed row '
        f'<b>{escape(_text(i.panel.get("title")))}</b> ({len(i.children)} panels, laid out as when opened)</summary>'
        + _grid_html(i.children, names, findings_at, top=_top(i), extra=f' data-top="{_top(i)}"') + "</details>"
        for i in items if i.collapsed and i.children)
    description = f'<p class="description">{escape(_text(dashboard.get("description")))}</p>' if dashboard.get("description") else ""
    return (f'<header class="dash-head"><h1>{escape(_text(dashboard.get("title")) or "(untitled)")}</h1>'
            f'{_time_html(dashboard)}</header>{description}{_variables_html(dashboard)}'
            f'{_dashboard_links(dashboard, pages)}{_findings_html(loose)}'
            f'{_grid_html(items, names, findings_at, extra=MAIN_GRID)}{collapsed}')


def _top(row: Item) -> int:
    """Where a collapsed row's own grid starts: its first panel (Grafana moves them under the row on opening)."""
    return min(c.y for c in row.children)
