"""The Druppie dashboards as build writes them: determinism, datasource uids, grid, variables,
contract-driven queries, and the fields Grafana needs per panel type (checked against real dashboards
and the foundation SDK's schemas when ../shared/corpus is present)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest

from druppie_grafana.build import Project, build_resources, render
from druppie_grafana.resources import DASHBOARD, DATASOURCE
from druppie_grafana.serialize import dump_json

ROOT = Path(__file__).resolve().parents[1]
STEMS = {"trace_audit": "druppie-trace-audit", "latency": "druppie-latency",
         "service_map": "druppie-service-map", "audit_log": "druppie-audit-log",
         "pipeline_health": "druppie-pipeline-health"}
ENVS = {"dev": 42, "test": 41}  # environments.yaml: dev targets Grafana 13.0 (42), test 12.1 (41: 42 came with 12.2)


def _resources(env_name: str = "dev", **contract_changes):
    project = Project(ROOT)
    env = project.environment(env_name)
    if contract_changes:
        env = dataclasses.replace(env, contract=env.contract.replace(**contract_changes))
    return build_resources(project, env)


def _dashboards(env_name: str = "dev", **contract_changes) -> dict[str, dict]:
    return {r.uid: r.spec for r in _resources(env_name, **contract_changes) if r.kind == DASHBOARD}


@pytest.fixture(scope="module")
def built() -> dict[str, dict[str, dict]]:
    return {env: _dashboards(env) for env in ENVS}


def _panels(dashboard: dict) -> Iterator[dict]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels") or []


def _queries(dashboard: dict) -> list[str]:
    return [t.get("expr") or t.get("query") or "" for p in _panels(dashboard) for t in p.get("targets", [])]


def _datasource_refs(value: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "datasource":
                yield f"{path}.{key}", item
            else:
                yield from _datasource_refs(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _datasource_refs(item, f"{path}[{i}]")


# ---- build --------------------------------------------------------------------------------------


@pytest.mark.parametrize("env_name", sorted(ENVS))
def test_every_dashboard_builds_with_the_environments_schema_version(built, env_name):
    dashboards = built[env_name]
    assert set(dashboards) == set(STEMS.values())
    for uid, spec in dashboards.items():
        assert spec["uid"] == uid and spec["title"] and spec["tags"]
        assert spec["schemaVersion"] == ENVS[env_name]
        legacy = {"rows", "style", "sharedCrosshair", "hideControls", "__inputs", "id"} & set(spec)
        assert not legacy, f"{uid} keeps legacy keys {legacy}"
        for panel in _panels(spec):
            assert not {"span", "height", "error", "editable", "minSpan"} & set(panel), (uid, panel["title"])


def test_building_twice_gives_the_same_bytes():
    first = {uid: dump_json(spec) for uid, spec in _dashboards().items()}
    second = {uid: dump_json(spec) for uid, spec in _dashboards().items()}
    assert first == second


def test_provision_writes_each_dashboard_and_its_provider():
    project = Project(ROOT)
    env = project.environment("dev")
    files = render(build_resources(project, env), env)
    assert env.dashboards_schema == "v2"  # dev targets 13.0: the provisioning file is the v2 object
    for uid in STEMS.values():
        path = f"provisioning/dashboards/druppie/{env.folder_uid}/{uid}.json"
        document = json.loads(files[path])
        assert document["apiVersion"] == "dashboard.grafana.app/v2" and document["metadata"]["name"] == uid
    assert env.folder_uid in files["provisioning/dashboards/druppie.yaml"]


def test_each_dashboard_links_to_all_the_others(built):
    dashboards = built["dev"]
    for uid, spec in dashboards.items():
        targets = {link["url"] for link in spec["links"]}
        assert targets == {f"/d/{other}" for other in dashboards if other != uid}


def test_the_trace_audit_asks_whether_its_trace_is_complete(built):
    timeline = next(p for p in built["dev"]["druppie-trace-audit"]["panels"] if p["title"] == "Trace timeline")
    assert [link["url"] for link in timeline["links"]] == ["/d/druppie-pipeline-health?${__url_time_range}"]
    assert "complete" in timeline["links"][0]["title"]


# ---- datasources ----------------------------------------------------------------------------------


@pytest.mark.parametrize("env_name", sorted(ENVS))
def test_every_datasource_uid_is_provisioned_or_a_variable_resolving_to_one(env_name):
    resources = _resources(env_name)
    provisioned = {r.uid: r.spec["type"] for r in resources if r.kind == DATASOURCE}
    seen = 0
    for res in resources:
        if res.kind != DASHBOARD:
            continue
        variables = {v["name"]: v for v in res.spec["templating"]["list"]}
        for where, ref in _datasource_refs(res.spec):
            seen += 1
            assert isinstance(ref, dict), f"{res.uid} {where}: datasource {ref!r} is not a {{type, uid}} reference"
            uid = ref["uid"]
            if uid.startswith("$"):
                var = variables.get(uid.strip("${}"))
                assert var and var["type"] == "datasource" and var["query"] in provisioned.values(), (res.uid, where)
            else:
                assert provisioned.get(uid) == ref["type"], f"{res.uid} {where}: {ref} is not a provisioned datasource"
    assert seen > 50


# ---- grid and ids ---------------------------------------------------------------------------------


def test_panel_ids_are_unique_and_panels_tile_the_24_columns_without_overlap(built):
    for spec in built["dev"].values():
        ids = [p["id"] for p in _panels(spec)]
        assert len(ids) == len(set(ids)), spec["uid"]
        occupied: dict[tuple[int, int], str] = {}
        for panel in spec["panels"]:
            pos = panel["gridPos"]
            assert pos["x"] >= 0 and pos["w"] >= 1 and pos["x"] + pos["w"] <= 24, (spec["uid"], panel["title"])
            for x in range(pos["x"], pos["x"] + pos["w"]):
                for y in range(pos["y"], pos["y"] + pos["h"]):
                    assert (x, y) not in occupied, f"{panel['title']!r} overlaps {occupied[(x, y)]!r}"
                    occupied[(x, y)] = panel["title"]


# ---- variables ----------------------------------------------------------------------------------

# Grafana's variable syntax: $name, ${name}, ${name:format}, ${name.field}, [[name]].
_VARIABLE = re.compile(r"\$\{(\w+)[^}]*\}|\$(\w+)|\[\[(\w+)")


def test_every_variable_used_is_defined(built):
    seen: set[str] = set()
    for spec in built["dev"].values():
        defined = {v["name"] for v in spec["templating"]["list"]}
        text = json.dumps(spec["panels"]) + json.dumps(spec["templating"]) + json.dumps(spec["links"])
        used = {next(g for g in m.groups() if g) for m in _VARIABLE.finditer(text)}
        used = {name for name in used if not name.startswith("__") and not name.isdigit()}
        assert used <= defined, f"{spec['uid']}: {sorted(used - defined)} used but not defined"
        seen |= used
    assert {"traceID", "service", "agent", "min_duration", "user", "category", "level"} <= seen


def test_trace_audit_has_a_trace_id_textbox_and_a_service_variable(built):
    variables = {v["name"]: v for v in built["dev"]["druppie-trace-audit"]["templating"]["list"]}
    assert variables["traceID"]["type"] == "textbox"
    assert variables["service"]["type"] == "query" and variables["service"]["datasource"]["type"] == "tempo"


# ---- contract ----------------------------------------------------------------------------------

CONTRACT_CHANGES = [
    ({"trace_id_field": "otelTraceID"}, "druppie-trace-audit", 'otelTraceID=~"0*$traceID"'),
    ({"trace_id_prefix": "0x"}, "druppie-trace-audit", 'traceID=~"0x0*$traceID"'),
    ({"log_format": "logfmt"}, "druppie-trace-audit", "| logfmt"),
    ({"log_format": "logfmt"}, "druppie-audit-log", "| logfmt"),
    ({"resource_labels": (("service.name", "svc"),)}, "druppie-audit-log", '{svc=~"$service"}'),
    ({"resource_labels": (("service.name", "svc"),)}, "druppie-trace-audit", '{svc=~".+"}'),
    ({"audit_attributes": (("user.id", "who"), ("question.category", "topic"))}, "druppie-audit-log", 'who=~".*$user.*"'),
    ({"audit_attributes": (("user.id", "who"), ("question.category", "topic"), ("tenant.id", "tenant"))},
     "druppie-trace-audit", "span.tenant.id != nil"),
    ({"level_field": "severity"}, "druppie-audit-log", 'severity=~"(?i)$level"'),
    ({"plan_event_name": "Plan Ready"}, "druppie-trace-audit", 'event:name = "Plan Ready"'),
    ({"plan_steps_attribute": "plan.step_count"}, "druppie-trace-audit", "select(event.plan.step_count)"),
    ({"metrics_naming": "otel-collector"}, "druppie-latency", 'traces_span_metrics_calls_total{service_name=~"$service"'),
    ({"metrics_naming": "otel-collector"}, "druppie-latency", ") * 0.001"),
    ({"agent_attribute": "agent.id"}, "druppie-latency", 'agent_id=~"$agent"'),
    ({"llm_span_name_regex": "openai\\..*"}, "druppie-latency", 'span_name=~"openai\\\\..*"'),
    ({"llm_system_attribute": "llm.vendor"}, "druppie-latency", "span.llm.vendor != nil"),
    ({"db_system_attribute": "database.kind"}, "druppie-latency", "by (span.database.kind)"),
    ({"iam_service_regex": "keycloak"}, "druppie-latency", 'service=~"keycloak", span_kind="SPAN_KIND_SERVER"'),
]


@pytest.mark.parametrize("changes, uid, expected", CONTRACT_CHANGES,
                         ids=[f"{next(iter(c))}-{u}" for c, u, _ in CONTRACT_CHANGES])
def test_changing_a_contract_field_changes_the_queries_that_use_it(changes, uid, expected):
    before = _queries(_dashboards()[uid])
    after = _queries(_dashboards(**changes)[uid])
    assert after != before
    assert any(expected in q for q in after), f"{expected!r} in none of {after}"
    assert not any(expected in q for q in before)


def test_the_trace_id_line_filter_comes_before_the_parser(built):
    logs = next(p for p in _panels(built["dev"]["druppie-trace-audit"]) if p["type"] == "logs")
    expr = logs["targets"][0]["expr"]
    assert expr.index('|= "$traceID"') < expr.index("| json")


def test_contract_names_outside_the_contract_do_not_leak_into_the_queries():
    # With every name the dashboards read from the contract changed, the defaults must be gone.
    changed = _dashboards(trace_id_field="tid", metrics_naming="otel-collector",
                          resource_labels=(("service.name", "svc"),),
                          audit_attributes=(("user.id", "who"), ("question.category", "topic")),
                          agent_attribute="agent.id", db_system_attribute="database.kind", level_field="sev")
    text = "\n".join(q for spec in changed.values() for q in _queries(spec))
    # (service_name stays: it is also the collector's span-metric service label.)
    assert "{service_name=" not in "\n".join(q for q in text.splitlines() if "count_over_time" in q or "|=" in q)
    for default in ("traceID=", "traces_spanmetrics", "user_id", "question_category",
                    "gen_ai_agent_name", "db.system", "level=~"):
        assert default not in text, default


# ---- panels carry what Grafana needs ----------------------------------------------------------------

PANEL_SCHEMAS = {"logs": "logs", "table": "table", "nodeGraph": "nodegraph", "timeseries": "timeseries"}
QUERY_SCHEMAS = {"tempo": "tempo", "loki": "loki", "prometheus": "prometheus"}


def _schema(corpus: Path, name: str) -> dict:
    path = corpus / "schemas/grafana-foundation-sdk/v11.6.x/jsonschema" / f"{name}.jsonschema.json"
    return json.loads(path.read_text())


def _definition(schema: dict, name: str) -> dict:
    return {**schema, "$ref": f"#/definitions/{name}"}


def test_panel_options_match_grafanas_panel_models(built, corpus):
    checked = set()
    for spec in built["dev"].values():
        for panel in _panels(spec):
            name = PANEL_SCHEMAS.get(panel["type"])
            if name:
                jsonschema.validate(panel["options"], _definition(_schema(corpus, name), "Options"))
                checked.add(panel["type"])
    assert checked == set(PANEL_SCHEMAS)


def test_targets_match_grafanas_query_models(built, corpus):
    checked = set()
    for spec in built["dev"].values():
        for panel in _panels(spec):
            for target in panel.get("targets", []):
                schema = _schema(corpus, QUERY_SCHEMAS[target["datasource"]["type"]])
                jsonschema.validate(target, schema)
                checked.add(target["datasource"]["type"])
    assert checked == set(QUERY_SCHEMAS)


def _corpus_panels(corpus: Path, panel_type: str) -> list[dict]:
    found = []
    for path in sorted((corpus / "dashboards").glob("*/*.json")):
        data = json.loads(path.read_text())
        if (data.get("schemaVersion") or 0) < 36:
            continue  # older dashboards are migrated by Grafana on load
        stack = list(data.get("panels") or [])
        while stack:
            panel = stack.pop()
            stack.extend(panel.get("panels") or [])
            if panel.get("type") == panel_type:
                found.append(panel)
    return found


# Options some real dashboards write that Grafana 11.6's panel model lacks (the panel defaults them).
OPTIONAL_OPTIONS = {"nodeGraph": {"layoutAlgorithm"}}


@pytest.mark.parametrize("panel_type", ["traces", "logs", "nodeGraph", "table", "timeseries"])
def test_panels_have_every_key_the_real_dashboards_always_give_that_panel_type(built, corpus, panel_type):
    real = _corpus_panels(corpus, panel_type)
    if not real:
        pytest.skip(f"no {panel_type} panel in the corpus")
    always = set.intersection(*(set(p) for p in real))
    always_options = set.intersection(*(set(p.get("options") or {}) for p in real))
    always_target = {}  # datasource type -> keys every real target of that type has
    for real_panel in real:
        for target in real_panel.get("targets") or []:
            kind = (target.get("datasource") or real_panel.get("datasource") or {}).get("type")
            always_target[kind] = always_target.get(kind, set(target)) & set(target)
    ours = [p for spec in built["dev"].values() for p in _panels(spec) if p["type"] == panel_type]
    assert ours, f"no {panel_type} panel in our dashboards"
    editor_state = {"groupBy", "limit", "tableType"}  # query-editor leftovers, not needed to render
    for panel in ours:
        assert always - {"pluginVersion"} <= set(panel), (panel["title"], always - set(panel))
        missing_options = always_options - OPTIONAL_OPTIONS.get(panel_type, set()) - set(panel["options"])
        assert not missing_options, (panel["title"], missing_options)
        for target in panel["targets"]:
            expected = always_target.get(target["datasource"]["type"], set())
            missing = expected - editor_state - {"editorMode", "legendFormat", "range"} - set(target)
            assert not missing, (panel["title"], missing)


def test_traces_panels_ask_tempo_for_one_trace_by_id(built):
    traces = [p for spec in built["dev"].values() for p in _panels(spec) if p["type"] == "traces"]
    assert traces
    for panel in traces:
        assert panel["datasource"]["type"] == "tempo"
        assert [(t["queryType"], t["query"]) for t in panel["targets"]] == [("traceql", "$traceID")]


def test_node_graph_reads_tempos_service_map(built):
    graph = next(p for p in _panels(built["dev"]["druppie-service-map"]) if p["type"] == "nodeGraph")
    assert [t["queryType"] for t in graph["targets"]] == ["serviceMap"]
    assert {"nodes", "edges"} <= set(graph["options"])


def test_trace_tables_link_rows_to_the_trace_audit_dashboard(built):
    for uid in ("druppie-trace-audit", "druppie-latency"):
        links = [prop["value"][0]["url"] for p in _panels(built["dev"][uid])
                 for o in p.get("fieldConfig", {}).get("overrides", [])
                 if o["matcher"]["options"] == "traceID" for prop in o["properties"] if prop["id"] == "links"]
        assert links and all(u.startswith("/d/druppie-trace-audit?var-traceID=${__value.raw}") for u in links), uid


def test_latency_timeseries_ask_for_exemplars(built):
    spec = built["dev"]["druppie-latency"]
    prom = [t for p in _panels(spec) for t in p.get("targets", []) if t["datasource"]["type"] == "prometheus"]
    with_exemplars = [t for t in prom if t["exemplar"]]
    assert with_exemplars and all("histogram_quantile" in t["expr"] for t in with_exemplars)
    assert any("quantile_over_time" in q for q in _queries(spec))


# ---- query syntax -------------------------------------------------------------------------------

LANGUAGES = {"prometheus": "promql", "loki": "logql", "tempo": "traceql"}


@pytest.mark.parametrize("env_name", sorted(ENVS))
def test_every_query_parses_with_the_projects_grammars(built, env_name):
    from druppie_grafana.checks.grammar import check_syntax
    from druppie_grafana.checks.interpolate import interpolate

    sites = []
    for spec in built[env_name].values():
        for panel in _panels(spec):
            for target in panel.get("targets", []):
                text = target.get("expr") or target.get("query")
                if text and text != "$traceID":  # a lone trace id is a lookup, not TraceQL
                    lang = LANGUAGES[target["datasource"]["type"]]
                    sites.append((spec["uid"], panel["title"], lang, interpolate(text, lang)[0]))
    results = check_syntax([(lang, text, True) for _, _, lang, text in sites])
    if any(r.unchecked for r in results):
        pytest.skip(f"grammars unavailable: {results[0].unchecked}")
    bad = [(uid, title, text, r.errors) for (uid, title, _, text), r in zip(sites, results) if r.errors]
    assert not bad
    assert {lang for _, _, lang, _ in sites} == set(LANGUAGES.values())
