"""Helpers for the plan/apply tests: small resources, a tiny project on disk, and a client for the fake."""

from __future__ import annotations

import textwrap
from contextlib import contextmanager
from pathlib import Path

from druppie_grafana.grafana.apply import Applier, ApplyResult, check_secrets
from druppie_grafana.grafana.backups import Backups
from druppie_grafana.grafana.client import ClientSettings, GrafanaClient
from druppie_grafana.grafana.plan import Plan, make_plan
from druppie_grafana.resources import DASHBOARD, DATASOURCE, FOLDER, Resource
from druppie_grafana.secrets import SecretRef

import openapi_check
from fake_grafana import FakeGrafana

TOKEN = "test-token"
SECRET = "loki-pw-7f3a9c"  # a credential value that must never show up anywhere but Grafana's store
ENVIRON = {"LOKI_PASSWORD": SECRET}
FOLDER_UID = "t-folder"


def folder(uid: str = FOLDER_UID, title: str = "Team folder") -> Resource:
    return Resource(FOLDER, uid, {"uid": uid, "title": title})


def loki(uid: str = "t-loki", max_lines: int = 1000, name: str = "T Loki") -> Resource:
    return Resource(DATASOURCE, uid, {
        "uid": uid, "name": name, "type": "loki", "access": "proxy", "url": "http://loki:3100",
        "basicAuth": True, "basicAuthUser": "grafana", "isDefault": False,
        "jsonData": {"maxLines": max_lines, "derivedFields": [{"name": "TraceID", "matcherRegex": "x=(\\w+)"}]},
        "secureJsonData": {"basicAuthPassword": SecretRef(env="LOKI_PASSWORD")},
    })


def dashboard(uid: str, title: str | None = None, folder_uid: str = FOLDER_UID, panels: int = 1) -> Resource:
    spec = {"uid": uid, "title": title or f"Dashboard {uid}", "schemaVersion": 39, "tags": ["druppie"],
            "panels": [{"id": i + 1, "type": "timeseries", "title": f"panel {i}",
                        "gridPos": {"x": 0, "y": i * 8, "w": 24, "h": 8}} for i in range(panels)]}
    return Resource(DASHBOARD, uid, spec, folder=folder_uid)


def client(grafana, token: str = TOKEN, **settings) -> GrafanaClient:
    values = dict(url=grafana.url, token=token, backoff=0.01, timeout=(2.0, 5.0))
    values.update(settings)
    return GrafanaClient(ClientSettings(**values), pool_size=8)


def plan(grafana, resources, prune: bool = False, cli: GrafanaClient | None = None, owner: str | None = None) -> Plan:
    return make_plan(cli or client(grafana), "test", resources, prune=prune, owner=owner)


def apply(grafana, resources, tmp_path: Path, *, force=False, prune=False, workers=8,
          cli: GrafanaClient | None = None, owner: str | None = None) -> tuple[ApplyResult, list[str]]:
    """Plan and apply as the apply command does; returns the result and the printed lines."""
    cli = cli or client(grafana)
    check_secrets(resources, ENVIRON, cli)
    lines: list[str] = []
    applier = Applier(cli, force=force, workers=workers, environ=ENVIRON,
                      backups=Backups(tmp_path / "backups", "test"), report=lines.append)
    result = applier.apply(make_plan(cli, "test", resources, prune=prune, workers=workers, owner=owner))
    result.health = applier.health(resources, result.outcomes)
    return result, lines


def write_project(root: Path, dashboards: dict[str, str]) -> Path:
    """A project with one Loki datasource (password by reference) and the given dashboards (uid -> title)."""
    (root / "datasources").mkdir(parents=True)
    (root / "dashboards").mkdir()
    (root / "environments.yaml").write_text(textwrap.dedent(f"""\
        default: dev
        environments:
          dev:
            grafana:
              url: http://127.0.0.1:9
              auth: {{token: {{env: GRAFANA_TOKEN}}}}
            folder: {{uid: {FOLDER_UID}, title: Team folder}}
            datasources:
              tempo: {{url: "http://tempo:3200"}}
              loki: {{url: "http://loki:3100", basic_auth: {{user: grafana, password: {{env: LOKI_PASSWORD}}}}}}
              prometheus: {{url: "http://prometheus:9090"}}
        """), encoding="utf-8")
    (root / "datasources" / "loki.py").write_text(textwrap.dedent("""\
        from druppie_grafana.datasource_base import datasource
        ROLE = "loki"
        UID = "t-loki"
        def build(ctx):
            return datasource(ctx, ROLE, uid=UID, name="T Loki", type="loki", json_data={"maxLines": 1000})
        """), encoding="utf-8")
    for uid, title in dashboards.items():
        set_dashboard(root, uid, title)
    return root


def set_dashboard(root: Path, uid: str, title: str) -> None:
    (root / "dashboards" / f"{uid.replace('-', '_')}.py").write_text(textwrap.dedent(f"""\
        UID = {uid!r}
        def build(ctx):
            return {{"title": {title!r}, "schemaVersion": 39, "panels": [], "tags": ["team"]}}
        """), encoding="utf-8")


@contextmanager
def running_grafana(monkeypatch=None, **options):
    """A fake Grafana on 127.0.0.1 that must end with no internal error and only requests the OpenAPI
    spec allows. With monkeypatch, the command line's environment (GRAFANA_URL, ...) points at it."""
    with FakeGrafana(**options) as fake:
        if monkeypatch is not None:
            monkeypatch.setenv("GRAFANA_URL", fake.url)
            monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
            monkeypatch.setenv("LOKI_PASSWORD", SECRET)
        yield fake
        assert not fake.internal_errors
        assert openapi_check.check_log(fake.log) == []
