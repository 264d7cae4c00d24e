"""The plan: what is defined against what Grafana holds, per resource, as a reviewable artefact.

Create / update (with a unified diff of the comparable JSON, secrets masked) / no change / delete
(only owned resources, only with --prune). Resources apply must refuse are marked `blocked`.
"""

from __future__ import annotations

import difflib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable

from .client import GrafanaClient
from .handlers import HANDLERS, Remote, mask_secrets
from .resources import DASHBOARD, FOLDER, KINDS, Resource

CREATE, UPDATE, NOOP, DELETE = "create", "update", "no change", "delete"
EXIT_PENDING = 3  # plan's exit code when changes are pending (0: nothing to do, 1: error, 2: usage)

DRIFT = "changed in Grafana since our last apply (someone edited it); apply refuses it without --force"
NOT_OWNED = "exists in Grafana but was not created by druppie-grafana; apply refuses it without --force"


@dataclass
class Change:
    kind: str
    uid: str
    title: str
    action: str
    resource: Resource | None = None
    remote: Remote | None = None
    desired: dict | None = None  # the comparable form, secrets masked
    blocked: str = ""  # why apply refuses it ("" if it does not)
    forceable: bool = True  # whether --force lifts the block
    diff: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind.lower()} {self.uid} ({self.title})"

    def to_json(self) -> dict:
        return {"kind": self.kind, "uid": self.uid, "title": self.title, "action": self.action,
                "blocked": self.blocked or None, "forceable": self.forceable if self.blocked else None,
                "diff": self.diff or None}


@dataclass
class Plan:
    env: str
    url: str
    changes: list[Change]
    orphans: list[Change] = field(default_factory=list)  # owned, no longer defined, kept (no --prune)
    prune: bool = False

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action != NOOP]

    @property
    def blocked(self) -> list[Change]:
        return [c for c in self.changes if c.blocked]

    def summary(self) -> str:
        text = (f"{self.count(CREATE)} to create, {self.count(UPDATE)} to update, {self.count(DELETE)} to delete, "
                f"{self.count(NOOP)} unchanged")
        if self.blocked:
            text += f"; apply would refuse {len(self.blocked)}"
        return text


def unified_diff(before: dict | None, after: dict | None, name: str) -> str:
    def lines(value):
        return [] if value is None else json.dumps(mask_secrets(value), indent=2, sort_keys=True,
                                                   ensure_ascii=False).splitlines(keepends=True)
    diff = difflib.unified_diff(lines(before), lines(after), fromfile=f"grafana/{name}",
                                tofile=f"defined/{name}", n=3)
    return "".join(line if line.endswith("\n") else line + "\n" for line in diff)


def compare(res: Resource, remote: Remote | None) -> Change:
    """One resource's change, from its definition and Grafana's copy (None when absent)."""
    handler = HANDLERS[res.kind]
    desired = mask_secrets(handler.desired(res))
    change = Change(res.kind, res.uid, res.title, CREATE, resource=res, remote=remote, desired=desired)
    name = f"{res.kind.lower()}s/{res.uid}"
    if remote is None:
        return change
    if handler.same(desired, remote):
        change.action = NOOP
        return change
    change.action = UPDATE
    change.diff = unified_diff(handler.comparable_for(desired, remote), desired, name)
    if remote.managed_elsewhere:
        change.blocked, change.forceable = (f"{remote.managed_elsewhere}: the API cannot change it; change its "
                                            "provisioning file instead"), False
    elif handler.drifted(remote):
        change.blocked = DRIFT
    elif not remote.owned and handler.prunable:
        change.blocked = NOT_OWNED
    return change


def _deletion(kind: str, remote: Remote) -> Change:
    handler = HANDLERS[kind]
    change = Change(kind, remote.uid, remote.title or remote.uid, DELETE, remote=remote,
                    diff=unified_diff(remote.comparable, None, f"{kind.lower()}s/{remote.uid}"))
    if remote.managed_elsewhere:
        change.blocked, change.forceable = f"{remote.managed_elsewhere}: the API cannot delete it", False
    elif handler.drifted(remote):
        change.blocked = DRIFT
    return change


def make_plan(client: GrafanaClient, env_name: str, resources: Iterable[Resource], *, prune: bool = False,
              workers: int = 8) -> Plan:
    """Read Grafana's copy of every resource (concurrently; reads only) and compare."""
    resources = sorted(resources, key=lambda r: (KINDS.index(r.kind), r.uid))
    folder_uids = {r.uid for r in resources if r.kind == FOLDER} | {r.folder for r in resources
                                                                    if r.kind == DASHBOARD and r.folder}
    defined = {r.key for r in resources}
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        remotes = list(pool.map(lambda r: HANDLERS[r.kind].read(client, r.uid), resources))
        changes = [compare(res, remote) for res, remote in zip(resources, remotes)]
        stale = [(kind, uid) for kind, handler in HANDLERS.items() if handler.prunable
                 for uid in handler.owned_uids(client, folder_uids) if (kind, uid) not in defined]
        stale_remotes = list(pool.map(lambda ku: HANDLERS[ku[0]].read(client, ku[1]), stale))
    # Dashboards before datasources: nothing should point at a datasource that is already gone.
    deletions = [_deletion(kind, remote) for (kind, _), remote in
                 sorted(zip(stale, stale_remotes), key=lambda p: -KINDS.index(p[0][0])) if remote is not None]
    plan = Plan(env_name, client.settings.url, changes, prune=prune)
    if prune:
        plan.changes.extend(deletions)
    else:
        plan.orphans = deletions
    return plan


# ---------------------------------------------------------------- rendering

SYMBOL = {CREATE: "+", UPDATE: "~", DELETE: "-", NOOP: "="}


def _indent(text: str, prefix: str = "      ") -> str:
    return "".join(prefix + line for line in text.splitlines(keepends=True))


def render_text(plan: Plan, verbose: bool = False) -> str:
    out = [f"Plan for environment {plan.env} ({plan.url}):"]
    for c in plan.changes:
        if c.action == NOOP and not verbose:
            continue
        out.append(f"  {SYMBOL[c.action]} {c.action:<9} {c.label}")
        if c.blocked:
            out.append(f"      REFUSED: {c.blocked}")
        if c.diff and c.action == UPDATE:
            out.append(_indent(c.diff).rstrip("\n"))
    if plan.count(NOOP) and not verbose:
        out.append(f"  = {plan.count(NOOP)} unchanged")
    if plan.orphans:
        out.append(f"  {len(plan.orphans)} resource(s) we own are no longer defined; run with --prune to delete: "
                   + ", ".join(c.label for c in plan.orphans))
    out.append(f"Plan: {plan.summary()}.")
    out.append("No changes." if not plan.pending else f"Changes pending (exit code {EXIT_PENDING}).")
    return "\n".join(out) + "\n"


def render_json(plan: Plan) -> str:
    data = {"environment": plan.env, "grafana": plan.url, "pending": bool(plan.pending),
            "summary": {a: plan.count(a) for a in (CREATE, UPDATE, DELETE, NOOP)} | {"refused": len(plan.blocked)},
            "changes": [c.to_json() for c in plan.changes],
            "not_defined_kept": [c.to_json() for c in plan.orphans]}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def render_markdown(plan: Plan) -> str:
    out = [f"### Grafana plan for `{plan.env}`", "", f"**{plan.summary()}**", ""]
    pending = plan.pending
    if pending:
        out += ["| | action | kind | uid | title | note |", "|---|---|---|---|---|---|"]
        for c in pending:
            note = ("**refused**: " + c.blocked) if c.blocked else ""
            out.append(f"| {SYMBOL[c.action]} | {c.action} | {c.kind} | `{c.uid}` | {c.title.replace('|', '/')} "
                       f"| {note.replace('|', '/')} |")
        out.append("")
        for c in pending:
            if c.diff and c.action == UPDATE:
                out += [f"<details><summary>diff: {c.label}</summary>", "", "```diff", c.diff.rstrip("\n"), "```",
                        "", "</details>", ""]
    else:
        out.append("No changes.")
    if plan.orphans:
        out += ["", f"{len(plan.orphans)} owned resource(s) no longer defined (kept; apply with `--prune` deletes): "
                + ", ".join(f"`{c.uid}`" for c in plan.orphans)]
    return "\n".join(out) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
