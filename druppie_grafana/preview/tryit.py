"""The Try it page: a log line -> the trace it links to; a trace id -> the Loki query of trace-to-logs.

The page computes both in the browser's own JavaScript (tryit.js) from the built datasource JSON, so a
regex is evaluated by a real JavaScript engine, as Grafana's frontend evaluates it."""

from __future__ import annotations

from html import escape
from typing import Any, Mapping, Sequence

from ..contract import Contract
from ..links import DEFAULT_LOGS_TAGS, traces_to_logs_options
from .site import asset, page, script_json


def tryit_config(datasources: Sequence[Mapping[str, Any]]) -> dict:
    def data(ds):
        return ds.get("jsonData") if isinstance(ds.get("jsonData"), Mapping) else {}
    lokis = [{"uid": ds.get("uid"), "name": ds.get("name"), "derivedFields": data(ds).get("derivedFields") or []}
             for ds in datasources if ds.get("type") == "loki"]
    tempos = []
    for ds in datasources:
        options = traces_to_logs_options(data(ds)) if ds.get("type") == "tempo" else None
        if options and options.get("datasourceUid"):
            tempos.append({"uid": ds.get("uid"), "name": ds.get("name"), "options": options})
    return {"lokis": lokis, "tempos": tempos,
            "datasources": [{"uid": d.get("uid"), "name": d.get("name"), "type": d.get("type")} for d in datasources],
            "defaultLogsTags": [list(t) for t in DEFAULT_LOGS_TAGS]}


def tryit_page(datasources: Sequence[Mapping[str, Any]], contract: Contract) -> dict[str, str]:
    samples = "\n".join(contract.sample_lines() + contract.lines_without_trace())
    resource_tags = "\n".join(f"{attr}=checkout" for attr, _ in contract.resource_labels[:1]) or "service.name=checkout"
    body = f"""<h1>Try it</h1>
<p>Computed by this browser's JavaScript engine exactly as Grafana's frontend does it, from the built datasources.</p>
<h2>Log line &rarr; trace</h2>
<p>One log line per line (Loki stores each physical line). Regex-mode derived fields run on the line, label-mode
ones on the row's label keys (stream labels, structured metadata, parsed labels: <code>key=value</code> per line).
The pre-filled lines are the contract's samples ({escape(contract.log_preset or contract.log_format)}).</p>
<textarea id="lines" rows="8" spellcheck="false">{escape(samples)}</textarea>
<p>Labels of every row:</p><textarea id="labels" rows="2" spellcheck="false"></textarea>
<p><button id="run-lines" type="button">Find the trace</button></p>
<table><thead><tr><th>line</th><th>Loki datasource</th><th>links to trace (Tempo query)</th><th>links</th></tr></thead>
<tbody id="results"></tbody></table>
<h2>Trace id &rarr; logs</h2>
<p>The Loki query Tempo's "Logs for this span" runs (trace to logs, current Grafana's query form).</p>
<label>trace id <input type="text" id="trace-id" value="4bf92f3577b34da6a3ce929d0e0e4736"></label>
<label>span id (optional) <input type="text" id="span-id" value=""></label>
<p>Span and resource attributes (<code>key=value</code> per line):</p>
<textarea id="span-tags" rows="3" spellcheck="false">{escape(resource_tags)}</textarea>
<p><button id="run-trace" type="button">Show the Loki query</button></p>
<table><thead><tr><th>Tempo datasource</th><th>logs datasource</th><th>Loki query</th></tr></thead>
<tbody id="trace-results"></tbody></table>
<script type="application/json" id="tryit-config">{script_json(tryit_config(datasources))}</script>"""
    return {"tryit.html": page("Try it", body, script=asset("tryit.js"))}
