"""`plan --server-validate`: send each pending dashboard and folder write with dryRun=All, so Grafana runs
every check it would run on apply (schema, managers, folders, permissions) and stores nothing
(openapi_snapshots/dashboard.grafana.app-v2.json:170). Only the /apis handlers can do this; the legacy
API has no dry run."""

from __future__ import annotations

from dataclasses import dataclass

from ..resources import DASHBOARD, FOLDER
from .client import GrafanaClient, GrafanaError
from .plan import CREATE, DELETE, Change, Plan


@dataclass
class Verdict:
    change: Change
    status: str  # accepted, refused, not checked
    message: str = ""

    def line(self) -> str:
        text = f"  {self.status:<11} {self.change.label}"
        return f"{text}: {self.message}" if self.message else text


def server_validate(client: GrafanaClient, plan: Plan) -> list[Verdict]:
    created_folders = {c.uid for c in plan.changes if c.kind == FOLDER and c.action == CREATE}
    out = []
    for change in plan.pending:
        if change.action == DELETE or change.kind not in (FOLDER, DASHBOARD) or change.blocked:
            continue
        res, handler = change.resource, plan.handlers[change.kind]
        if res.folder in created_folders:
            out.append(Verdict(change, "not checked", f"its folder {res.folder} does not exist until apply creates it"))
            continue
        try:
            handler.dry_run(client, res, handler.stamp(plan.owner, res.uid, change.desired), change.remote)
        except NotImplementedError:
            out.append(Verdict(change, "not checked", "the legacy API has no dry run (Grafana 12.2+ /apis has)"))
        except GrafanaError as exc:
            out.append(Verdict(change, "refused", exc.server_message or str(exc)))
        else:
            out.append(Verdict(change, "accepted"))
    return out
