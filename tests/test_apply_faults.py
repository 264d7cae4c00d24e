"""Applying 200 dashboards while Grafana fails at random: 500/502/503, resets before the work and after it
(the answer is lost), slow answers. Everything converges, nothing is written twice, and the result
(hence the exit code) says exactly what happened."""

from __future__ import annotations

import grafana_kit as kit
import openapi_check
from fake_grafana import FakeGrafana, Faults

COUNT = 200


def resources():
    return [kit.folder(), kit.loki()] + [kit.dashboard(f"t-{i:03d}") for i in range(COUNT)]


def assert_truthful(grafana, result):
    """Every resource reported as done is in Grafana as defined; `ok` only if all are."""
    for outcome in result.outcomes:
        if outcome.status in ("created", "updated", "unchanged"):
            uid = outcome.change.uid
            store = {"Folder": grafana.folders, "Datasource": grafana.datasources,
                     "Dashboard": grafana.dashboards}[outcome.change.kind]
            assert uid in store, f"{outcome.line()} but Grafana does not have it"
    present = len(grafana.dashboards) == COUNT and kit.FOLDER_UID in grafana.folders and "t-loki" in grafana.datasources
    assert result.ok == present


def test_faults_while_applying_converge_without_duplicates(tmp_path):
    with FakeGrafana(faults=Faults(rate=0.2, seed=11, slow_seconds=0.05)) as grafana:
        cli = kit.client(grafana, retries=20, backoff=0.001)
        result, lines = kit.apply(grafana, resources(), tmp_path, cli=cli)
        assert {entry.fault for entry in grafana.log} >= {"500", "502", "503", "reset", "lost", "slow"}
        assert_truthful(grafana, result)
        assert len(lines) == COUNT + 2  # one line per resource

        # A create whose answer was lost is confirmed by reading back, never sent again:
        # a second POST would have made version 2 (or a 409/412 against our own write).
        assert all(entry["dashboard"]["version"] == 1 for entry in grafana.dashboards.values())
        assert grafana.datasources["t-loki"]["version"] == 1
        posts = [r for r in grafana.log if r.method == "POST" and r.path == "/api/dashboards/db"
                 and r.fault in ("", "slow")]
        assert len(posts) == len({r.body["dashboard"]["uid"] for r in posts})  # each landed exactly once

        rerun, _ = kit.apply(grafana, resources(), tmp_path, cli=cli)  # faults still on
        assert_truthful(grafana, rerun)
        assert rerun.ok and len(grafana.dashboards) == COUNT
        assert not grafana.internal_errors and openapi_check.check_log(grafana.log) == []

        grafana.faults.rate = 0
        grafana.clear_log()
        quiet, _ = kit.apply(grafana, resources(), tmp_path, cli=cli)
        assert quiet.ok and quiet.count("unchanged") == COUNT + 2 and grafana.writes() == []


def test_failures_are_reported_truthfully_and_a_rerun_converges(tmp_path):
    doomed = {f"t-{i:03d}" for i in range(5)}  # every write of these fails before Grafana does anything

    def rule(method, path, body):
        return "503" if method == "POST" and (body or {}).get("dashboard", {}).get("uid") in doomed else ""

    faults = Faults(rate=0.5, seed=5, kinds=("502", "lost", "reset"), writes_only=True, rule=rule)
    with FakeGrafana(faults=faults) as grafana:
        cli = kit.client(grafana)
        result, lines = kit.apply(grafana, resources()[:40], tmp_path, cli=cli)
        failed = {o.change.uid for o in result.outcomes if o.status == "failed"}
        assert failed >= doomed and not result.ok
        assert all(f"failed    dashboard {uid}" in "\n".join(lines) for uid in doomed)
        assert "503 from Grafana" in "\n".join(lines)
        assert_truthful_subset(grafana, result)

        grafana.faults.rule = None
        grafana.faults.rate = 0
        rerun, _ = kit.apply(grafana, resources()[:40], tmp_path, cli=cli)
        assert rerun.ok and len(grafana.dashboards) == 38
        assert all(entry["dashboard"]["version"] == 1 for entry in grafana.dashboards.values())


def assert_truthful_subset(grafana, result):
    for outcome in result.outcomes:
        if outcome.status == "created" and outcome.change.kind == "Dashboard":
            assert outcome.change.uid in grafana.dashboards
