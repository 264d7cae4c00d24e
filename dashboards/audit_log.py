"""Audit log: every agent's log lines, filtered by user, question category and level; each line links
to its trace through the Loki datasource's derived field."""

from _common import SERVICE_ATTRIBUTE, datasources, finish

from druppie_grafana.grafana_ext.layout import Row
from druppie_grafana.grafana_ext.panels import Logs, TimeSeries
from druppie_grafana.grafana_ext.queries import label_name, logql_parser, matchers, quote
from druppie_grafana.grafana_ext.targets import LokiQuery
from druppie_grafana.grafana_ext.variables import CustomVariable, TextboxVariable, loki_values, tempo_values

UID = "druppie-audit-log"
STEM = "audit_log"
LEVELS = ("debug", "info", "warning", "error", "critical")


class AuditQueries:
    """LogQL over the agents' log lines: stream selector, parser, then the dashboard's filters."""

    def __init__(self, contract):
        self.contract = contract
        self.user = contract.audit_label_for(contract.audit_user_attribute)
        self.category = contract.audit_label_for(contract.audit_category_attribute)
        self.level = label_name(contract.level_field)

    def pipeline(self, drop_parse_errors: bool = False) -> str:
        selector = matchers((self.contract.service_label, "=~", "$service"))
        stages = [logql_parser(self.contract.log_format)]
        if drop_parse_errors:  # metric queries fail on lines the parser could not read
            stages.append('| __error__=""')
        stages += [f"| {self.user}=~{quote('.*$user.*')}",
                   f"| {self.category}=~{quote('$category')}",
                   f"| {self.level}=~{quote('(?i)$level')}"]
        return f"{selector} " + " ".join(stages)

    def lines(self) -> str:
        return self.pipeline()

    def count_by(self, label: str) -> str:
        return (f'sum by ({label}) (count_over_time({self.pipeline(True)} | {label}!="" [$__interval]))')


def build(ctx):
    contract = ctx.contract
    ds = datasources(ctx)
    q = AuditQueries(contract)
    per_user = TimeSeries(
        title="Actions per user", dataSource=ds.loki, drawStyle="bars", fillOpacity=60, stacking={"mode": "normal"},
        targets=[LokiQuery(ds.loki, q.count_by(q.user), legendFormat=f"{{{{{q.user}}}}}")])
    per_category = TimeSeries(
        title="Actions per question category", dataSource=ds.loki, drawStyle="bars", fillOpacity=60,
        stacking={"mode": "normal"},
        targets=[LokiQuery(ds.loki, q.count_by(q.category), legendFormat=f"{{{{{q.category}}}}}")])
    lines = Logs(
        title="Audit log", dataSource=ds.loki, sortOrder="Descending", enableInfiniteScrolling=True,
        targets=[LokiQuery(ds.loki, q.lines(), maxLines=1000)],
        description="Open a line: its trace id is a link to the whole trace in Tempo.")
    variables = [
        loki_values("service", "Agent service", ds.loki, contract.service_label, multi=True, allValue=".+"),
        TextboxVariable("user", "User", description=f"Part of {contract.audit_user_attribute} (a regex)"),
        tempo_values("category", "Question category", ds.tempo, contract.audit_category_attribute, multi=True,
                     allValue=".*"),
        CustomVariable("level", "Level", LEVELS, multi=True, includeAll=True, allValue=".*"),
    ]
    rows = [
        Row("Activity", [per_user, per_category], height=8),
        Row("Log lines", [lines], height=18),
    ]
    return finish(ctx, STEM, UID,
                  "Who did what: all agents' log lines by user, question category and level, each linked "
                  "to its trace.", rows, variables, time=("now-24h", "now"), tags=["audit"])
