"""The link chain page: datasources and dashboards as a diagram (server-drawn SVG) and every link in a table."""

from __future__ import annotations

from html import escape
from typing import Any, Mapping, Sequence

from .links_found import DASHBOARD_NODE, DATASOURCE_NODE, Link, dashboard_links, datasource_links
from .site import Board, page

NODE_W, NODE_H, GAP = 190, 46, 40
WIDTH = 1360


def _positions(nodes: Sequence[tuple[str, str]], y: int) -> dict[tuple[str, str], tuple[int, int]]:
    step = max(NODE_W + GAP, (WIDTH - 40) // max(len(nodes), 1))
    left = max(20, (WIDTH - step * len(nodes)) // 2 + (step - NODE_W) // 2)
    return {node: (left + i * step, y) for i, node in enumerate(nodes)}


def _short(text: str, n: int = 34) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _edge(link: Link, number: int, pos: Mapping, lane: int, both: bool = False, count: int = 1) -> str:
    (x1, y1), (x2, y2) = pos[link.source], pos[link.target]
    cx1, cx2 = x1 + NODE_W / 2, x2 + NODE_W / 2
    same_row = y1 == y2
    if same_row:  # an arc above the datasources, below the dashboards
        up = y1 < 300
        sy = y1 if up else y1 + NODE_H
        bend = (-1 if up else 1) * (50 + 28 * lane + abs(cx2 - cx1) / 8)
        d = f"M{cx1 - 10:.0f},{sy} C{cx1:.0f},{sy + bend:.0f} {cx2:.0f},{sy + bend:.0f} {cx2 + 10:.0f},{sy}"
        mx, my = (cx1 + cx2) / 2, sy + bend * 0.75
    else:
        sy, ty = (y1 + NODE_H, y2) if y1 < y2 else (y1, y2 + NODE_H)
        off = 14 * lane
        d = f"M{cx1 + off:.0f},{sy} C{cx1 + off:.0f},{(sy + ty) / 2:.0f} {cx2 + off:.0f},{(sy + ty) / 2:.0f} {cx2 + off:.0f},{ty}"
        mx, my = (cx1 + cx2) / 2 + off, (sy + ty) / 2 + 12 * (lane % 3) - 12
    broken = " broken" if link.broken else ""
    text = (f"{number}. {link.kind}" + (f" \u00d7{count}" if count > 1 else "") + (" (both ways)" if both else "")
            + (" (broken)" if link.broken else ""))
    marker = f'url(#arrow{"-broken" if link.broken else ""})'
    start = f' marker-start="{marker}"' if both else ""
    return (f'<g class="edge{broken}" data-kind="{escape(link.kind)}"><title>{escape(link.label)}</title>'
            f'<path d="{d}" marker-end="{marker}"{start}/>'
            f'<text x="{mx:.0f}" y="{my:.0f}" text-anchor="middle">{escape(text)}</text></g>')


def _node(node: tuple[str, str], xy: tuple[int, int], title: str, kind: str, unknown: bool, href: str) -> str:
    x, y = xy
    cls = f"node {node[0]}" + (" unknown" if unknown else "")
    label = f'<text x="{x + 10}" y="{y + 19}">{escape(_short(title, 26))}</text>'
    sub = f'<text class="kind" x="{x + 10}" y="{y + 35}">{escape(_short(kind, 30))}</text>'
    inner = f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="3"/>{label}{sub}'
    if href:
        inner = f'<a href="{escape(href)}">{inner}</a>'
    return f'<g class="{cls}" data-uid="{escape(node[1])}"><title>{escape(node[1])}</title>{inner}</g>'


def chain_svg(boards: Sequence[Board], datasources: Sequence[Mapping[str, Any]], links: Sequence[Link]) -> str:
    ds_nodes = [(DATASOURCE_NODE, str(d.get("uid"))) for d in datasources]
    db_nodes = [(DASHBOARD_NODE, b.uid) for b in boards]
    for link in links:  # unknown targets get a node of their own, drawn broken
        if link.target not in ds_nodes and link.target not in db_nodes:
            (ds_nodes if link.target[0] == DATASOURCE_NODE else db_nodes).append(link.target)
    top, bottom = 200, 470
    pos = {**_positions(ds_nodes, top), **_positions(db_nodes, bottom)}
    # Links of one kind between one pair of nodes are one line (dashboard links often go both ways).
    groups: dict[tuple, list[Link]] = {}
    for link in links:
        pair = frozenset((link.source, link.target)) if link.kind == "dashboard link" else (link.source, link.target)
        groups.setdefault((pair, link.kind, link.label if link.kind != "dashboard link" else "", link.broken), []).append(link)
    lanes: dict[frozenset, int] = {}
    edges = []
    for n, group in enumerate(groups.values(), 1):
        link = group[0]
        key = frozenset((link.source, link.target))
        lanes[key] = lanes.get(key, -1) + 1
        both = any(l.source == link.target for l in group)
        edges.append(_edge(link, n, pos, lanes[key], both, len(group)))
    ds_by_uid = {str(d.get("uid")): d for d in datasources}
    boards_by_uid = {b.uid: b for b in boards}
    nodes = []
    for node in ds_nodes:
        ds = ds_by_uid.get(node[1])
        nodes.append(_node(node, pos[node], str(ds.get("name") or node[1]) if ds else node[1],
                           f"{ds.get('type')} datasource" if ds else "unknown datasource", ds is None, ""))
    for node in db_nodes:
        b = boards_by_uid.get(node[1])
        nodes.append(_node(node, pos[node], b.title if b else node[1], "dashboard" if b else "unknown dashboard",
                           b is None, b.page if b else ""))
    markers = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
               'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8ab8ff"/></marker>'
               '<marker id="arrow-broken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
               'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#f2495c"/></marker></defs>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="720" viewBox="0 0 {WIDTH} 720">'
            f'{markers}<text x="20" y="{top - 130}" fill="#8e8e8e">datasources</text>'
            f'<text x="20" y="{bottom + NODE_H + 150}" fill="#8e8e8e">dashboards</text>'
            f'{"".join(edges)}{"".join(nodes)}</svg>')


def chain_page(boards: Sequence[Board], datasources: Sequence[Mapping[str, Any]],
               correlations: Mapping[str, list]) -> dict[str, str]:
    links = datasource_links(datasources, correlations) + dashboard_links(boards, datasources)
    # The diagram shows the click links; which datasources a dashboard queries is in the table only.
    drawn = [l for l in links if l.kind != "queries" or l.broken]
    rows = "".join(
        f'<tr class="{"broken" if l.broken else ""}"><td>{n}</td><td>{escape(l.source[1])}</td><td>{escape(l.kind)}</td>'
        f'<td>{escape(l.target[1])}{" (unknown: broken)" if l.broken else ""}</td><td><code>{escape(l.label)}</code></td></tr>'
        for n, l in enumerate(drawn + [l for l in links if l not in drawn], 1))
    # table numbers follow the links, the diagram's its lines: the table is the full list
    body = (f'<h1>Link chain</h1><p>log line &rarr; trace &rarr; logs and metrics: every link Grafana offers between '
            f'these datasources and dashboards (numbered lines; links of one kind between two nodes share one; a broken one, whose target is unknown, is red '
            f'and dashed). Hover a link for what it carries.</p><div class="chain">{chain_svg(boards, datasources, drawn)}</div>'
            f'<h2>Every link</h2><table><tr><th>#</th><th>from</th><th>link</th><th>to</th><th>carries</th></tr>{rows}</table>')
    return {"chain.html": page("Link chain", body)}
