"""What the Druppie dashboards share: titles, tags, datasource references, links between them, and
the last step from rows of panels to current Grafana JSON."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Iterable

from grafanalib.core import Dashboard, DashboardLink, Templating, Time

from druppie_grafana.grafana_ext.dashboard import to_grafana_json
from druppie_grafana.grafana_ext.layout import Row, layout
from druppie_grafana.grafana_ext.targets import LOKI, PROMETHEUS, TEMPO, DatasourceRef

# Definition module stem -> title; the order is the order of the links on every dashboard.
TITLES = {
    "trace_audit": "Druppie / Trace audit",
    "latency": "Druppie / Latency",
    "service_map": "Druppie / Service map",
    "audit_log": "Druppie / Audit log",
    "pipeline_health": "Druppie / Pipeline health",
}
TAGS = ["druppie", "traceability"]
# OpenTelemetry's resource attribute for the service; the contract maps it to labels.
SERVICE_ATTRIBUTE = "service.name"


def datasources(ctx) -> SimpleNamespace:
    """Typed references to the provisioned Tempo, Loki and Prometheus datasources."""
    return SimpleNamespace(**{role: DatasourceRef(role, ctx.datasource_uid(role))
                              for role in (TEMPO, LOKI, PROMETHEUS)})


def dashboard_url(ctx, stem: str, *params: str) -> str:
    """A link to another dashboard keeping the time range, e.g. params 'var-traceID=${__value.raw}'."""
    query = "&".join(list(params) + ["${__url_time_range}"])
    return f"/d/{ctx.dashboard_uid(stem)}?{query}"


def _links(ctx, here: str) -> list[DashboardLink]:
    links = []
    for stem, title in TITLES.items():
        if stem == here or stem not in ctx.dashboard_uids:
            continue
        links.append(DashboardLink(type="link", title=title, uri=f"/d/{ctx.dashboard_uid(stem)}",
                                   icon="dashboard", keepTime=True, tooltip=f"Open {title}"))
    return links


def finish(ctx, stem: str, uid: str, description: str, rows: Iterable[Row], variables: Iterable = (),
           time: tuple[str, str] = ("now-1h", "now"), refresh: str = "", tags: Iterable[str] = (),
           title: str | None = None) -> dict:
    """The dashboard's JSON for the target Grafana version. `title` defaults to the TITLES entry of
    `stem`; a dashboard listed there is also linked from every other one, in that order."""
    title = title or TITLES.get(stem)
    if not title:
        raise ValueError(f"dashboard {stem!r} has no title: pass title='...' to finish(), or add {stem!r} to "
                         "TITLES in dashboards/_common.py (which also links it from the other dashboards)")
    dashboard = Dashboard(
        title=title, uid=uid, description=description, tags=TAGS + list(tags),
        panels=layout(rows), templating=Templating(list=list(variables)), links=_links(ctx, stem),
        time=Time(*time), refresh=refresh, timezone="browser", graphTooltip=1,
    )
    return to_grafana_json(dashboard, ctx.env.schema_version)
