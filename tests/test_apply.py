"""plan and apply against a real HTTP server on 127.0.0.1 that behaves like Grafana (tests/fake_grafana.py).

Every request the client sends is checked against Grafana's OpenAPI spec when ../shared/corpus has it.
"""

from __future__ import annotations

import json

import pytest

import grafana_kit as kit
import openapi_check
from druppie_grafana.grafana.client import Unauthorized
from druppie_grafana.grafana.plan import CREATE, DELETE, NOOP, UPDATE, render_json, render_markdown, render_text


@pytest.fixture
def grafana():
    with kit.running_grafana(tokens={kit.TOKEN: "Admin", "viewer-token": "Viewer"}) as fake:
        yield fake


def everything():
    return [kit.folder(), kit.loki(), kit.dashboard("t-one"), kit.dashboard("t-two", panels=3)]


def test_create_then_second_apply_sends_zero_writes(grafana, tmp_path):
    result, lines = kit.apply(grafana, everything(), tmp_path)
    assert result.ok and result.count("created") == 4
    assert [r.path for r in grafana.writes()] == ["/api/folders", "/api/datasources", "/api/dashboards/db",
                                                  "/api/dashboards/db"]
    assert grafana.dashboards["t-one"]["folderUid"] == kit.FOLDER_UID
    assert "druppie-grafana" in grafana.dashboards["t-one"]["dashboard"]["tags"]
    assert grafana.datasources["t-loki"]["jsonData"]["druppieManagedBy"] == "druppie-grafana/test"
    assert len(lines) == 4 and all(line.split()[0] == "created" for line in lines)

    grafana.clear_log()
    again, lines = kit.apply(grafana, everything(), tmp_path)
    assert again.ok and again.count("unchanged") == 4
    assert grafana.writes() == [] and again.writes == 0
    assert "Nothing changed: 0 write requests sent" in again.summary()
    assert not (tmp_path / "backups").exists()  # nothing overwritten, nothing backed up


def test_update_shows_a_diff_and_backs_up_first(grafana, tmp_path):
    kit.apply(grafana, everything(), tmp_path)
    changed = [kit.folder(), kit.loki(max_lines=5000), kit.dashboard("t-one", title="Renamed"),
               kit.dashboard("t-two", panels=3)]
    plan = kit.plan(grafana, changed)
    actions = {c.uid: c.action for c in plan.changes}
    assert actions == {kit.FOLDER_UID: NOOP, "t-loki": UPDATE, "t-one": UPDATE, "t-two": NOOP}
    loki_change = next(c for c in plan.changes if c.uid == "t-loki")
    assert '-    "maxLines": 1000\n' in loki_change.diff and '+    "maxLines": 5000\n' in loki_change.diff
    assert not loki_change.blocked

    grafana.clear_log()
    result, _ = kit.apply(grafana, changed, tmp_path)
    assert result.ok and result.count("updated") == 2 and len(grafana.writes()) == 2
    assert grafana.datasources["t-loki"]["jsonData"]["maxLines"] == 5000
    assert grafana.dashboards["t-one"]["dashboard"]["title"] == "Renamed"
    assert grafana.dashboards["t-one"]["dashboard"]["version"] == 2
    backup = json.loads(next((tmp_path / "backups" / "test").glob("*/dashboards/t-one.json")).read_text())
    assert backup["dashboard"]["title"] == "Dashboard t-one"  # the copy from before the overwrite
    # the datasource PUT sent the password again and Grafana kept it
    assert grafana.secure["t-loki"] == {"basicAuthPassword": kit.SECRET}


def test_edit_in_the_ui_is_refused_with_a_diff_unless_forced(grafana, tmp_path):
    kit.apply(grafana, everything(), tmp_path)
    grafana.edit_dashboard("t-one", title="Edited by hand")
    grafana.edit_datasource("t-loki", url="http://elsewhere:3100")
    grafana.clear_log()

    result, lines = kit.apply(grafana, everything(), tmp_path)
    assert not result.ok and result.count("refused") == 2 and result.count("unchanged") == 2
    assert grafana.writes() == []
    text = "\n".join(lines)
    assert "changed in Grafana since our last apply" in text
    assert '-    "title": "Edited by hand",' in text and '+  "url": "http://loki:3100",' in text
    assert grafana.dashboards["t-one"]["dashboard"]["title"] == "Edited by hand"

    forced, _ = kit.apply(grafana, everything(), tmp_path, force=True)
    assert forced.ok and forced.count("updated") == 2
    assert grafana.dashboards["t-one"]["dashboard"]["title"] == "Dashboard t-one"
    assert grafana.datasources["t-loki"]["url"] == "http://loki:3100"
    backups = sorted(p.name for p in (tmp_path / "backups" / "test").glob("*/*/*.json"))
    assert backups == ["t-loki.json", "t-one.json"]
    assert kit.plan(grafana, everything()).pending == []


def test_same_uid_made_by_someone_else_is_not_taken_over_without_force(grafana, tmp_path):
    grafana.add_dashboard("t-one", "Someone's own dashboard")
    result, lines = kit.apply(grafana, everything(), tmp_path)
    assert result.count("refused") == 1 and "was not created by druppie-grafana" in "\n".join(lines)
    assert grafana.dashboards["t-one"]["dashboard"]["title"] == "Someone's own dashboard"
    assert result.count("created") == 3


def test_prune_deletes_only_what_we_own_and_no_longer_define(grafana, tmp_path):
    kit.apply(grafana, everything() + [kit.dashboard("t-old")], tmp_path)
    grafana.add_dashboard("hand-made", "Made in the UI", folder_uid=kit.FOLDER_UID)
    grafana.add_datasource("their-ds", "Their Loki")

    without = kit.plan(grafana, everything())
    assert [c.uid for c in without.orphans] == ["t-old"] and not without.pending
    assert "--prune" in render_text(without)

    result, lines = kit.apply(grafana, everything(), tmp_path, prune=True)
    assert result.ok and result.count("deleted") == 1
    assert "t-old" not in grafana.dashboards
    assert {"t-one", "t-two", "hand-made"} <= set(grafana.dashboards) and "their-ds" in grafana.datasources
    assert (next((tmp_path / "backups" / "test").glob("*/dashboards/t-old.json"))).is_file()
    # datasources too, and dashboards go before datasources
    grafana.clear_log()
    result, _ = kit.apply(grafana, [kit.folder()], tmp_path, prune=True)
    writes = [r.method + " " + r.path for r in grafana.writes()]
    # The two dashboard deletes run in parallel (any order between them); the datasource goes last.
    assert result.ok and sorted(writes[:2]) == ["DELETE /api/dashboards/uid/t-one", "DELETE /api/dashboards/uid/t-two"]
    assert writes[2:] == ["DELETE /api/datasources/uid/t-loki"]
    assert set(grafana.dashboards) == {"hand-made"} and set(grafana.datasources) == {"their-ds"}


def test_provisioned_resources_are_reported_and_not_retried(grafana, tmp_path):
    grafana.add_datasource("t-loki", "T Loki", read_only=True)
    grafana.add_dashboard("t-one", "From a file", provisioned=True)
    result, lines = kit.apply(grafana, everything(), tmp_path)
    text = "\n".join(lines)
    assert "read-only datasource (provisioned from a file)" in text
    assert "provisioned dashboard (file provider)" in text
    assert result.count("refused") == 2 and not result.ok
    # even --force does not try: the API cannot change them
    grafana.clear_log()
    forced, _ = kit.apply(grafana, everything(), tmp_path, force=True)
    assert forced.count("refused") == 2 and grafana.writes() == []


def test_grafana_refusals_are_reported_once_not_retried(grafana, tmp_path):
    """If Grafana itself answers 403 (read-only) or 400 (provisioned), that is the resource's result."""
    kit.apply(grafana, everything(), tmp_path)
    cli = kit.client(grafana)
    changed = [kit.folder(), kit.loki(max_lines=5), kit.dashboard("t-one", title="New"),
               kit.dashboard("t-two", panels=3)]
    plan = kit.plan(grafana, changed, cli=cli)
    assert not plan.blocked
    # file provisioning takes them over between our plan and our apply
    grafana.datasources["t-loki"]["readOnly"] = True
    grafana.dashboards["t-one"]["provisioned"] = True
    grafana.clear_log()
    lines = []
    applier = kit.Applier(cli, environ=kit.ENVIRON, backups=kit.Backups(tmp_path / "b", "test"), report=lines.append)
    result = applier.apply(plan)
    assert result.count("failed") == 2 and not result.ok
    text = "\n".join(lines)
    assert "403 read-only" in text and "400 provisioned" in text
    assert len(grafana.writes()) == 2  # one attempt each, no retries

    again = kit.plan(grafana, changed, cli=cli)  # and the next plan says why
    assert {c.uid for c in again.blocked} == {"t-loki", "t-one"} and all(not c.forceable for c in again.blocked)


def test_datasource_health_is_checked_and_reported(grafana, tmp_path):
    grafana.health_errors["t-loki"] = "Unable to connect with Loki (Failed to call resource)"
    result, _ = kit.apply(grafana, everything(), tmp_path)
    assert result.health == [("t-loki", "ERROR", "Unable to connect with Loki (Failed to call resource)")]
    assert any(r.path == "/api/datasources/uid/t-loki/health" for r in grafana.log)


def test_plan_formats(grafana, tmp_path):
    kit.apply(grafana, everything(), tmp_path)
    grafana.edit_dashboard("t-one", title="Edited")
    plan = kit.plan(grafana, everything() + [kit.dashboard("t-new")])
    data = json.loads(render_json(plan))
    assert data["pending"] is True and data["summary"]["create"] == 1 and data["summary"]["refused"] == 1
    by_uid = {c["uid"]: c for c in data["changes"]}
    assert by_uid["t-new"]["action"] == CREATE and by_uid["t-one"]["blocked"]
    assert by_uid["t-two"]["action"] == NOOP
    markdown = render_markdown(plan)
    assert "| + | create | Dashboard | `t-new` |" in markdown and "```diff" in markdown
    nothing = kit.plan(grafana, [kit.folder()])
    assert "No changes." in render_text(nothing) and nothing.pending == []


def test_401_and_403_messages_say_what_to_do(grafana, tmp_path):
    with pytest.raises(Unauthorized) as bad:
        kit.plan(grafana, everything(), cli=kit.client(grafana, token="wrong-token"))
    assert "401" in str(bad.value) and "GRAFANA_TOKEN" in str(bad.value) and "wrong-token" not in str(bad.value)
    result, lines = kit.apply(grafana, everything(), tmp_path, cli=kit.client(grafana, token="viewer-token"))
    assert result.count("failed") == 4 - result.count("skipped") and not result.ok
    assert "403 Forbidden" in lines[0] and "Editor role" in lines[0]
    assert any("skipped" in line and "folder" in line for line in lines)  # dashboards wait for their folder


def test_prune_keeps_an_owned_resource_edited_since_our_apply(grafana, tmp_path):
    kit.apply(grafana, everything(), tmp_path)
    grafana.edit_dashboard("t-two", title="Someone still uses this")
    plan = kit.plan(grafana, everything()[:3], prune=True)
    assert not [c for c in plan.changes if c.action == DELETE]
    assert [c.uid for c in plan.foreign] == ["t-two"] and "stamp does not match" in plan.foreign[0].blocked
    result, _ = kit.apply(grafana, everything()[:3], tmp_path, prune=True, force=True)
    assert result.ok and "t-two" in grafana.dashboards  # not even --force deletes what is not provably ours


def test_openapi_check_can_fail():
    if openapi_check.load_spec() is None:
        pytest.skip("../shared/corpus/http-api spec is absent")
    assert openapi_check.problems("POST", "/api/no/such/thing", {}, {})
    assert openapi_check.problems("PATCH", "/api/datasources/uid/x", {}, {})
    assert openapi_check.problems("POST", "/api/dashboards/db", {}, {"dashboard": "not an object"})
    assert openapi_check.problems("GET", "/api/search", {"bogus": ["1"]}, None)
    assert openapi_check.problems("POST", "/api/datasources", {}, {"secureJsonData": {"password": 5}})
    assert not openapi_check.problems("GET", "/api/datasources/uid/abc", {}, None)
