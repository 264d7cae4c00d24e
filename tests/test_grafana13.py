"""Issue 12: Grafana 12/13 through /apis, the server discovered, other managers respected.

Against the Grafana-like server's 11.x, 12.x and 13.x personalities (tests/fake_grafana_apis.py), each
/apis request checked against Grafana's own OpenAPI snapshots when ../shared/corpus is present.
"""

from __future__ import annotations

import json

import pytest

import grafana_kit as kit
from druppie_grafana.cli import main
from druppie_grafana.environments import schema_version_for, same_release
from druppie_grafana.grafana.discovery import discover, legacy_only
from druppie_grafana.grafana.handlers.apis import HASH_ANNOTATION, MANAGER_ID, OWNER_ANNOTATION
from druppie_grafana.grafana.plan import make_plan, render_text
from druppie_grafana.resources import DASHBOARD, FOLDER, Resource

PERSONALITIES = {"11.6.0": {}, "12.2.0": {FOLDER: "v1beta1", DASHBOARD: "v1beta1"},
                 "13.0.2": {FOLDER: "v1", DASHBOARD: "v1"}}


def dashboard(uid: str, schema: int = 42, **extra) -> Resource:
    res = kit.dashboard(uid)
    res.spec.update(schemaVersion=schema, **extra)
    return res


def everything(schema: int = 42):
    return [kit.folder(), kit.loki(), dashboard("t-one", schema), dashboard("t-two", schema)]


@pytest.fixture
def g13():
    with kit.running_grafana(version="13.0.2") as fake:
        yield fake


def apis_writes(fake):
    return [r for r in fake.writes() if r.path.startswith("/apis/")]


# ---------------------------------------------------------------- 1. discovery

@pytest.mark.parametrize("version", sorted(PERSONALITIES))
def test_discovery_chooses_the_api_per_kind(version):
    with kit.running_grafana(version=version) as fake:
        server = discover(kit.client(fake))
        assert server.version == version and dict(server.apis) == PERSONALITIES[version]
        text = render_text(make_plan(kit.client(fake), "test", everything(), server=server))
        expected = "/apis/dashboard.grafana.app/v1" if version.startswith("13") else (
            "/apis/dashboard.grafana.app/v1beta1" if version.startswith("12") else "dashboards /api (legacy)")
        assert f"Grafana {version}: " in text and expected in text and "datasources /api (legacy)" in text


def test_release_check_and_schema_versions():
    assert [schema_version_for(v) for v in ("11.6", "12.0", "12.1", "12.2", "13.0", "13.2", "auto")] == [
        41, 41, 41, 42, 42, 42, 42]
    assert same_release("13.0", "13.0.2") and same_release("auto", "11.6.0") and not same_release("12.1", "13.0.2")


# ---------------------------------------------------------------- 2. dashboards and folders as objects

@pytest.mark.parametrize("version", ["12.2.0", "13.0.2"])
def test_apply_on_apis_writes_objects_with_our_annotations_then_nothing(version, tmp_path):
    with kit.running_grafana(version=version) as fake:
        result, lines = kit.apply(fake, everything(), tmp_path, owner="druppie/dev")
        assert result.ok, lines
        paths = {(r.method, r.path.split("/namespaces/")[0]) for r in fake.writes()}
        group_version = PERSONALITIES[version][DASHBOARD]
        assert ("POST", f"/apis/dashboard.grafana.app/{group_version}") in paths
        assert not any(r.path in ("/api/dashboards/db", "/api/folders") for r in fake.writes())
        created = next(r for r in fake.writes() if r.path.endswith("/dashboards") and r.body["metadata"]["name"] == "t-one")
        meta = created.body["metadata"]
        assert meta["annotations"]["grafana.app/folder"] == kit.FOLDER_UID
        assert meta["annotations"][OWNER_ANNOTATION] == "druppie/dev" and meta["annotations"][HASH_ANNOTATION]
        assert meta["annotations"][MANAGER_ID] == "druppie-grafana"
        assert meta["annotations"]["grafana.app/grant-permissions"] == "default"
        assert not {"druppieOwner", "druppieAppliedHash", "uid", "id"} & set(created.body["spec"])

        fake.clear_log()
        again, _ = kit.apply(fake, everything(), tmp_path, owner="druppie/dev")
        assert again.ok and again.writes == 0 and fake.writes() == []


def test_a_ui_edit_on_13_is_drift_and_force_overwrites_it(g13, tmp_path):
    kit.apply(g13, everything(), tmp_path)
    g13.edit_dashboard("t-one", title="Edited in the 13 UI")
    result, lines = kit.apply(g13, everything(), tmp_path)
    refused = next(o for o in result.outcomes if o.change.uid == "t-one")
    assert refused.status == "refused" and "changed in Grafana since our last apply" in refused.message
    g13.clear_log()
    result, _ = kit.apply(g13, everything(), tmp_path, force=True)
    assert result.ok and g13.dashboards["t-one"]["dashboard"]["title"] == "Dashboard t-one"
    put = next(r for r in g13.writes() if r.method == "PUT")
    assert "resourceVersion" not in put.body["metadata"]  # --force: unconditional



def test_an_update_that_raced_a_ui_save_gets_409_and_is_not_overwritten(g13, tmp_path):
    kit.apply(g13, everything(), tmp_path)
    changed = everything()
    changed[2].spec["title"] = "New title from code"
    plan = kit.plan(g13, changed)
    g13.edit_dashboard("t-one", description="saved in the UI after our plan")  # resourceVersion moves on
    cli = kit.client(g13)
    kit.check_secrets(changed, kit.ENVIRON, cli)
    result = kit.Applier(cli, environ=kit.ENVIRON, backups=kit.Backups(tmp_path / "b", "t"),
                         report=lambda _: None).apply(plan)
    outcome = next(o for o in result.outcomes if o.change.uid == "t-one")
    assert outcome.status == "failed" and "409" in outcome.message
    assert g13.dashboards["t-one"]["dashboard"]["description"] == "saved in the UI after our plan"


def test_a_folder_parent_converges_on_both_api_generations(tmp_path):
    for version in ("11.6.0", "13.0.2"):
        with kit.running_grafana(version=version) as fake:
            parent_a, parent_b = kit.folder("p-a", "A"), kit.folder("p-b", "B")
            child = kit.folder()
            child.spec["parentUid"] = "p-a"
            assert kit.apply(fake, [parent_a, parent_b, child], tmp_path)[0].ok
            assert fake.folders[kit.FOLDER_UID]["parentUid"] == "p-a"
            child.spec["parentUid"] = "p-b"
            assert kit.apply(fake, [parent_a, parent_b, child], tmp_path)[0].ok, version
            assert fake.folders[kit.FOLDER_UID]["parentUid"] == "p-b"
            assert not kit.plan(fake, [parent_a, parent_b, child]).pending, version


# ---------------------------------------------------------------- 3. other managers

def test_a_dashboard_another_tool_manages_is_refused_never_pruned_and_taken_over_only_explicitly(g13, tmp_path):
    kit.apply(g13, everything(), tmp_path, owner="druppie/dev")
    g13.set_manager("dashboard", "t-one", "repo", "audit-dashboards")
    g13.set_manager("dashboard", "t-two", "terraform", "stack-7")
    changed = everything()
    changed[2].spec["title"] = changed[3].spec["title"] = "changed in code"
    plan = kit.plan(g13, changed, owner="druppie/dev")
    text = render_text(plan)
    assert "managed by repo:audit-dashboards" in text and "managed by terraform:stack-7" in text
    result, _ = kit.apply(g13, changed, tmp_path, force=True, owner="druppie/dev")
    assert [o.status for o in result.outcomes if o.change.kind == DASHBOARD] == ["refused", "refused"]
    assert g13.dashboards["t-one"]["dashboard"]["title"] == "Dashboard t-one"

    result, _ = kit.apply(g13, everything()[:2], tmp_path, prune=True, force=True, owner="druppie/dev")
    assert {"t-one", "t-two"} <= set(g13.dashboards)

    cli = kit.client(g13)
    kit.check_secrets(changed, kit.ENVIRON, cli)
    applier = kit.Applier(cli, take_over=True, environ=kit.ENVIRON, backups=kit.Backups(tmp_path / "b", "t"),
                          report=lambda _: None)
    result = applier.apply(kit.plan(g13, changed, owner="druppie/dev"))
    tried = [o for o in result.outcomes if o.change.kind == DASHBOARD]
    # Grafana refuses to change a resource's manager (managed.go): reported, nothing half-done
    assert all(o.status == "failed" and "Cannot change resource manager" in o.message for o in tried)


def test_a_git_sync_folder_refuses_our_dashboards_with_a_clear_message(g13, tmp_path):
    kit.apply(g13, [kit.folder()], tmp_path)
    g13.set_manager("folder", kit.FOLDER_UID, "repo", "team-repo")
    result, lines = kit.apply(g13, everything(), tmp_path)
    failed = [o for o in result.outcomes if o.change.kind == DASHBOARD]
    assert failed and all(o.status == "failed" and "folder is managed by repo:team-repo" in o.message for o in failed)
    folder = next(o for o in result.outcomes if o.change.kind == FOLDER)
    assert folder.status in ("unchanged", "refused")


# ---------------------------------------------------------------- 4. dashboards saved as v2 in the UI

@pytest.mark.parametrize("version,server", [("13.0.2", None), ("12.2.0", None), ("12.2.0", "legacy"),
                                            ("13.0.2", "legacy")])
def test_a_dashboard_saved_as_v2_is_drift_in_words_and_never_flattened(version, server, tmp_path):
    with kit.running_grafana(version=version) as fake:
        kit.apply(fake, everything(), tmp_path)
        fake.save_as_v2("t-one")
        forced = legacy_only(version) if server == "legacy" else None
        plan = make_plan(kit.client(fake), "test", everything(), server=forced)
        change = next(c for c in plan.changes if c.uid == "t-one")
        assert "saved in the UI as a dynamic dashboard (schema v2)" in change.blocked and not change.forceable
        cli = kit.client(fake)
        kit.check_secrets(everything(), kit.ENVIRON, cli)
        fake.clear_log()
        result = kit.Applier(cli, force=True, environ=kit.ENVIRON, backups=kit.Backups(tmp_path / "b", "t"),
                             report=lambda _: None).apply(plan)
        assert next(o for o in result.outcomes if o.change.uid == "t-one").status == "refused"
        assert fake.dashboards["t-one"]["stored"] == "v2" and fake.writes() == []


# ---------------------------------------------------------------- 6. schemaVersion against the server

def test_dashboards_built_for_an_older_release_are_refused_by_v1_with_advice(g13, tmp_path, capsys, monkeypatch):
    plan = make_plan(kit.client(g13), "test", everything(schema=41), expected_version="12.1")
    assert any("grafana.version 12.1" in w and "13.0" in w for w in plan.warnings)
    blocked = [c for c in plan.changes if c.kind == DASHBOARD]
    assert all("accepts only schemaVersion 42" in c.blocked and not c.forceable for c in blocked)


# ---------------------------------------------------------------- 8. speed: list reads

def test_an_unchanged_reapply_on_13_reads_with_list_calls(g13, tmp_path):
    resources = [kit.folder(), kit.loki()] + [dashboard(f"t-{i:03d}") for i in range(120)]
    assert kit.apply(g13, resources, tmp_path, workers=4)[0].ok
    g13.clear_log()
    result, _ = kit.apply(g13, resources, tmp_path, workers=4)
    assert result.ok and result.writes == 0
    dashboard_reads = [r for r in g13.log if "/dashboards" in r.path]
    assert len(dashboard_reads) == 1 and len(g13.log) <= 8, [r.path for r in g13.log]


# ---------------------------------------------------------------- the command line on 13

def test_cli_cycle_on_13(tmp_path, capsys, monkeypatch):
    project = kit.write_project(tmp_path / "project", {"t-overview": "Overview"})
    env_file = project / "environments.yaml"
    env_file.write_text(env_file.read_text().replace("      auth:", '      version: "13.0"\n      auth:', 1))
    (project / "dashboards" / "t_overview.py").write_text(
        "UID = 't-overview'\ndef build(ctx):\n    return {'title': 'Overview', 'panels': [], "
        "'schemaVersion': ctx.env.schema_version}\n", encoding="utf-8")
    with kit.running_grafana(monkeypatch, version="13.0.2") as fake:
        code = main(["plan", "--root", str(project), "--format", "json"])
        data = json.loads(capsys.readouterr().out)
        # a 13 target writes dynamic dashboards (dashboards.schema defaults to v2 there)
        assert code == 3 and data["server"]["apis"]["dashboard"] == "/apis/dashboard.grafana.app/v2"
        assert data["warnings"] == []
        assert main(["apply", "--root", str(project)]) == 0
        out = capsys.readouterr().out
        assert "Grafana 13.0.2: folders /apis/folder.grafana.app/v1, dashboards /apis/dashboard.grafana.app/v2" in out
        assert fake.dashboards["t-overview"]["annotations"][OWNER_ANNOTATION] == "druppie-grafana/dev"
        assert main(["plan", "--root", str(project)]) == 0


# ---------------------------------------------------------------- 5. server-side dry run

def test_server_validate_reports_what_grafana_would_refuse_and_stores_nothing(tmp_path, capsys, monkeypatch):
    project = kit.write_project(tmp_path / "project", {})
    env_file = project / "environments.yaml"
    env_file.write_text(env_file.read_text().replace("      auth:", '      version: "13.0"\n      auth:', 1))
    (project / "dashboards" / "t_overview.py").write_text(
        "UID = 't-overview'\ndef build(ctx):\n    return {'title': 'Overview', 'panels': [], "
        "'schemaVersion': ctx.env.schema_version}\n", encoding="utf-8")
    with kit.running_grafana(monkeypatch, version="13.0.2") as fake:
        fake.folders[kit.FOLDER_UID] = {"id": 5, "uid": kit.FOLDER_UID, "title": "Team folder", "version": 1,
                                        "parentUid": "", "annotations": {}, "rv": 1}
        code = main(["plan", "--server-validate", "--root", str(project)])
        out = capsys.readouterr().out
        assert code == 3 and "Server-side validation (dryRun=All):" in out, out
        assert "accepted    dashboard t-overview" in out

        fake.set_manager("folder", kit.FOLDER_UID, "repo", "team-repo")  # Git Sync took the folder over
        code = main(["plan", "--server-validate", "--root", str(project)])
        out = capsys.readouterr().out
        assert code == 1 and "refused     dashboard t-overview" in out and "managed by repo:team-repo" in out
        assert not fake.dashboards and fake.writes() and all(r.query.get("dryRun") == ["All"] for r in fake.writes())
    with kit.running_grafana(monkeypatch, version="11.6.0"):
        assert main(["plan", "--root", str(project)]) == 1  # a 13 target (schema v2) against an 11.6 server
        assert "dashboards.schema is v2" in capsys.readouterr().err
        env_file.write_text(env_file.read_text().replace('version: "13.0"', 'version: "11.6"'))
        main(["plan", "--server-validate", "--root", str(project)])
        out = capsys.readouterr().out
        assert "not checked" in out and "no dry run" in out


# ---------------------------------------------------------------- schema v2 through plan and apply (issue 13)

def _panel_dashboard(uid: str, expr: str) -> Resource:
    res = dashboard(uid)
    res.spec["panels"] = [{"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                           "datasource": {"type": "prometheus", "uid": "prom"},
                           "targets": [{"refId": "A", "expr": expr, "datasource": {"type": "prometheus", "uid": "prom"}}]}]
    return res


@pytest.mark.parametrize("version,api", [("13.0.2", "v2"), ("12.2.0", "v2beta1")])
def test_v2_dashboards_create_noop_drift_and_prune(version, api, tmp_path):
    with kit.running_grafana(version=version) as fake:
        resources = [kit.folder(), _panel_dashboard("t-one", "rate(a[5m])"), _panel_dashboard("t-two", "rate(b[5m])")]
        cli = kit.client(fake)
        plan = make_plan(cli, "test", resources, dashboard_schema="v2")
        assert f"dashboards /apis/dashboard.grafana.app/{api}" in render_text(plan)
        result = kit.Applier(cli, environ={}, backups=kit.Backups(tmp_path / "a", "t"), report=lambda _: None).apply(plan)
        assert result.ok
        created = next(r for r in fake.writes() if r.path.endswith("/dashboards") and r.body["metadata"]["name"] == "t-one")
        assert created.path.startswith(f"/apis/dashboard.grafana.app/{api}/") and "elements" in created.body["spec"]
        assert "panels" not in created.body["spec"]

        fake.clear_log()
        again = make_plan(cli, "test", resources, dashboard_schema="v2")
        assert not again.pending and fake.writes() == []

        changed = [kit.folder(), _panel_dashboard("t-one", "rate(a[1m])"), resources[2]]
        diff = next(c for c in make_plan(cli, "test", changed, dashboard_schema="v2").changes if c.uid == "t-one").diff
        changed_lines = [l for l in diff.splitlines() if l[:1] in "+-" and not l.startswith(("+++", "---"))]
        # one panel's query changing reads as that query changing, not a reshuffle of elements and layout
        assert [l[0] + l[1:].strip() for l in changed_lines] == ['-"expr": "rate(a[5m])"', '+"expr": "rate(a[1m])"']

        fake.edit_dashboard("t-two", title="edited in the 13 UI")
        drift = next(c for c in make_plan(cli, "test", resources, dashboard_schema="v2").changes if c.uid == "t-two")
        assert "changed in Grafana since our last apply" in drift.blocked

        pruned = make_plan(cli, "test", resources[:2], dashboard_schema="v2", prune=True)
        assert [c.uid for c in pruned.changes if c.action == "delete"] == []  # t-two was edited: not ours to delete
        assert [c.uid for c in pruned.foreign] == ["t-two"]


def test_v2_on_a_server_without_a_v2_api_is_a_clear_error():
    with kit.running_grafana(version="11.6.0") as fake:
        with pytest.raises(Exception, match="dashboards.schema is v2"):
            make_plan(kit.client(fake), "test", [kit.folder()], dashboard_schema="v2")
