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

from ..environments import DEFAULT_PROJECT, same_release
from ..errors import DruppieError
from .client import GrafanaClient
from .discovery import Server, discover
from .handlers import EDITED, LEGACY, NOT_OURS, OTHER, OURS, Handler, Remote, handlers_for, mask_secrets
from ..redaction import markdown_code_span, markdown_fence, markdown_text, one_line, terminal_safe
from ..resources import DASHBOARD, FOLDER, KINDS, Resource

CREATE, UPDATE, NOOP, DELETE = "create", "update", "no change", "delete"
EXIT_PENDING = 3  # plan's exit code when changes are pending (0: nothing to do, 1: error, 2: usage)


DRIFT = "changed in Grafana since our last apply (someone edited it); apply refuses it without --force"
NOT_OWNED = "exists in Grafana but was not created by druppie-grafana; apply refuses it without --force"


def other_owner(mark: str) -> str:
    return (f"managed by {one_line(mark)!r} (another project or environment of druppie-grafana); apply refuses "
            "it without --force")


# Why a resource that looks like ours (our tag or mark) is kept by prune, by ownership state
NOT_VERIFIABLE = {
    EDITED: "changed in Grafana since it was applied, or a copy of one of ours (its stamp does not match)",
    LEGACY: "stamped by an older release that did not name its owner",
    OTHER: "claims another owner",
    NOT_OURS: "carries our tag but no stamp (a copy, \"Save as\", or made by hand)",
}


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
    takeover: bool = False  # managed by another tool: only --take-over (never --force) lifts the block
    diff: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind.lower()} {self.uid} ({self.title})"

    def to_json(self) -> dict:
        return {"kind": self.kind, "uid": self.uid, "title": self.title, "action": self.action,
                "blocked": self.blocked or None, "forceable": self.forceable if self.blocked else None,
                "take_over": self.takeover if self.blocked else None,
                "diff": self.diff or None}


@dataclass
class Plan:
    env: str
    url: str
    changes: list[Change]
    orphans: list[Change] = field(default_factory=list)  # owned, no longer defined, kept (no --prune)
    prune: bool = False
    owner: str = ""  # "project/environment": the mark apply writes and prune requires
    foreign: list[Change] = field(default_factory=list)  # look like ours but are not verifiably: never deleted
    server: Server | None = None  # what discovery found (None: not asked)
    handlers: dict[str, Handler] = field(default_factory=dict)  # the handler of each kind for that server
    warnings: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action != NOOP]

    @property
    def blocked(self) -> list[Change]:
        return [c for c in self.changes if c.blocked]

    def summary(self, access_changes: int = 0) -> str:
        text = (f"{self.count(CREATE)} to create, {self.count(UPDATE)} to update, {self.count(DELETE)} to delete, "
                f"{self.count(NOOP)} unchanged")
        if access_changes:
            text += f", {access_changes} permission change{'s' if access_changes != 1 else ''}"
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


V2_STORED = ("saved in the UI as a dynamic dashboard (schema v2): our classic JSON would flatten its layout, so "
             "apply refuses it (--force too). Bring the UI's version into the definition, or delete it in Grafana, "
             "then apply again")


def compare(res: Resource, remote: Remote | None, owner: str, handler: Handler) -> Change:
    """One resource's change, from its definition and Grafana's copy (None when absent)."""
    desired = mask_secrets(handler.desired(res))
    change = Change(res.kind, res.uid, res.title, CREATE, resource=res, remote=remote, desired=desired)
    name = f"{res.kind.lower()}s/{res.uid}"
    refusal = handler.refusal(res)
    if remote is not None and not refusal and handler.same(desired, remote) and not remote.stored_as:
        change.action = NOOP
        return change
    if refusal:
        change.blocked, change.forceable = refusal, False
    if remote is None:
        return change
    change.action = UPDATE
    change.diff = unified_diff(handler.comparable_for(desired, remote), desired, name)
    state = handler.ownership(remote, owner)
    if refusal:
        pass
    elif remote.managed_elsewhere:
        change.blocked, change.forceable = (f"{remote.managed_elsewhere}: the API cannot change it; change its "
                                            "provisioning file instead"), False
    elif remote.manager:
        change.blocked, change.forceable, change.takeover = (
            f"managed by {one_line(remote.manager)}: another tool owns it, so apply refuses it (--force too); "
            "apply --take-over writes it anyway, if that tool's owner agrees"), False, True
    elif remote.stored_as:
        change.blocked, change.forceable = V2_STORED, False
        if not remote.comparable.get("dashboard"):
            change.diff = "  (Grafana cannot show its classic form: it answered 406)\n"
    elif state == EDITED:
        change.blocked = DRIFT + (f"; `pull {res.uid}` brings the edit into code" if res.kind == DASHBOARD else "")
    elif state == OTHER:
        change.blocked = other_owner(remote.owner_mark or "")
    elif state == NOT_OURS and handler.prunable:
        change.blocked = NOT_OWNED
    return change


def _deletion(kind: str, remote: Remote, owner: str, handler: Handler) -> Change:
    """Deleting a resource no longer defined: only when it is verifiably ours; otherwise it is kept and
    listed, whatever --force says (prune never touches what is not provably ours)."""
    change = Change(kind, remote.uid, remote.title or remote.uid, DELETE, remote=remote,
                    diff=unified_diff(remote.comparable, None, f"{kind.lower()}s/{remote.uid}"))
    state = handler.ownership(remote, owner)
    if remote.manager:
        change.blocked, change.forceable = f"not deleted: managed by {one_line(remote.manager)}", False
    elif state != OURS:
        change.blocked, change.forceable = f"not deleted: {NOT_VERIFIABLE[state]}", False
    elif remote.managed_elsewhere:
        change.blocked, change.forceable = f"{remote.managed_elsewhere}: the API cannot delete it", False
    return change


def make_plan(client: GrafanaClient, env_name: str, resources: Iterable[Resource], *, prune: bool = False,
              workers: int = 8, owner: str | None = None, server: Server | None = None,
              expected_version: str = "", dashboard_schema: str = "v1") -> Plan:
    """Ask the server what it is, read Grafana's copy of every resource through the API it serves for
    that kind (concurrently; reads only) and compare. `owner` ("project/environment") is the mark apply
    writes; only what carries it verifiably is pruned. `expected_version`: environments.yaml's release."""
    owner = owner or f"{DEFAULT_PROJECT}/{env_name}"
    server = server or discover(client)
    handlers = handlers_for(server, dashboard_schema)
    if dashboard_schema == "v2" and getattr(handlers[DASHBOARD], "version", "")[:2] != "v2":
        raise DruppieError(f"dashboards.schema is v2, but Grafana {server.version or '(unknown version)'} serves no "
                           "dashboard.grafana.app/v2 or v2beta1 API; set dashboards.schema: v1 for this environment "
                           "(or upgrade Grafana to 13)")
    resources = sorted(resources, key=lambda r: (KINDS.index(r.kind), r.uid))
    folder_uids = {r.uid for r in resources if r.kind == FOLDER} | {r.folder for r in resources
                                                                    if r.kind == DASHBOARD and r.folder}
    defined = {r.key for r in resources}
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        remotes: dict[tuple[str, str], Remote | None] = {}
        for kind in KINDS:
            uids = [r.uid for r in resources if r.kind == kind]
            remotes.update(zip([(kind, u) for u in uids], handlers[kind].read_all(client, uids, pool)))
        changes = [compare(res, remotes[res.key], owner, handlers[res.kind]) for res in resources]
        stale = [(kind, uid) for kind, handler in handlers.items() if handler.prunable
                 for uid in handler.candidate_uids(client, owner, folder_uids) if (kind, uid) not in defined]
        stale_remotes = []
        for kind in KINDS:
            uids = [uid for k, uid in stale if k == kind]
            stale_remotes += list(zip([(kind, u) for u in uids], handlers[kind].read_all(client, uids, pool)))
    # Dashboards before datasources: nothing should point at a datasource that is already gone.
    deletions = [_deletion(kind, remote, owner, handlers[kind]) for (kind, _), remote in
                 sorted(stale_remotes, key=lambda p: -KINDS.index(p[0][0])) if remote is not None]
    plan = Plan(env_name, client.redact(client.settings.url), changes, prune=prune, owner=owner, server=server,
                handlers=handlers)
    if expected_version and not same_release(expected_version, server.version):
        plan.warnings.append(f"warning: environments.yaml says grafana.version {expected_version}, but the server is "
                             f"Grafana {server.version}; dashboards are built for the former. Set grafana.version to "
                             f"{'.'.join(server.version.split('.')[:2])} (or auto).")
    ours = []
    for change in deletions:
        foreign = change.blocked and not change.forceable and not change.remote.managed_elsewhere
        (plan.foreign if foreign else ours).append(change)
    if prune:
        plan.changes.extend(ours)
    else:
        plan.orphans = ours
    return plan


# ---------------------------------------------------------------- rendering
# Titles, messages and diffs hold text from Grafana: one_line/terminal_safe for terminals, the markdown_*
# helpers for a pull-request comment.

SYMBOL = {CREATE: "+", UPDATE: "~", DELETE: "-", NOOP: "="}


def _indent(text: str, prefix: str = "      ") -> str:
    return "".join(prefix + line for line in text.splitlines(keepends=True))


def _kept_lines(plan: Plan) -> list[str]:
    out = []
    if plan.orphans:
        out.append(f"  {len(plan.orphans)} resource(s) we own are no longer defined; run with --prune to delete: "
                   + ", ".join(one_line(c.label) for c in plan.orphans))
    if plan.foreign:
        out.append(f"  {len(plan.foreign)} resource(s) look like ours but are not verifiably {plan.owner}'s; "
                   "never deleted:")
        out += [f"      {one_line(c.label)}: {c.blocked}" for c in plan.foreign]
    return out


def render_text(plan: Plan, verbose: bool = False, extra: str = "", access_changes: int = 0) -> str:
    """The plan for a terminal; `extra` (permissions, server validation) goes before the summary, which is
    last and counts `access_changes` too, as terraform's does."""
    out = [f"Plan for environment {plan.env} ({one_line(plan.url)}), owner {plan.owner}:"]
    if plan.server is not None:
        out.append(f"  {one_line(plan.server.describe(plan.handlers))}")
    out += [f"  {one_line(w)}" for w in plan.warnings]
    for c in plan.changes:
        if c.action == NOOP and not verbose:
            continue
        out.append(f"  {SYMBOL[c.action]} {c.action:<9} {one_line(c.label)}")
        if c.blocked:
            out.append(f"      REFUSED: {one_line(c.blocked)}")
        if c.diff and c.action == UPDATE:
            out.append(_indent(terminal_safe(c.diff)).rstrip("\n"))
    if plan.count(NOOP) and not verbose:
        out.append(f"  = {plan.count(NOOP)} unchanged")
    out += _kept_lines(plan)
    if extra:
        out.append(extra.rstrip("\n"))
    out.append(f"Plan: {plan.summary(access_changes)}.")
    pending = plan.pending or access_changes
    out.append("No changes." if not pending else f"Changes pending (exit code {EXIT_PENDING}).")
    return "\n".join(out) + "\n"


def render_json(plan: Plan, verbose: bool = False, extra: str = "", access_changes: int = 0) -> str:
    data = {"environment": plan.env, "grafana": plan.url, "owner": plan.owner,
            "pending": bool(plan.pending or access_changes),
            "server": None if plan.server is None else {
                "version": plan.server.version,
                "apis": {k.lower(): plan.server.api_of(k, plan.handlers) for k in KINDS}},
            "warnings": plan.warnings,
            "summary": {a: plan.count(a) for a in (CREATE, UPDATE, DELETE, NOOP)} | {
                "refused": len(plan.blocked), "permission changes": access_changes},
            "changes": [c.to_json() for c in plan.changes],
            "not_defined_kept": [c.to_json() for c in plan.orphans],
            "not_ours_kept": [c.to_json() for c in plan.foreign]}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def render_markdown(plan: Plan, verbose: bool = False, extra: str = "", access_changes: int = 0) -> str:
    out = [f"### Grafana plan for {markdown_code_span(plan.env)}", ""]
    if plan.server is not None:
        out += [markdown_text(plan.server.describe(plan.handlers)), ""]
    out += [f"> {markdown_text(w)}" for w in plan.warnings] + ([""] if plan.warnings else [])
    pending = plan.pending
    if pending:
        out += ["| | action | kind | uid | title | note |", "|---|---|---|---|---|---|"]
        for c in pending:
            note = ("**refused**: " + markdown_text(c.blocked)) if c.blocked else ""
            out.append(f"| {SYMBOL[c.action]} | {c.action} | {c.kind} | {markdown_code_span(c.uid)} "
                       f"| {markdown_text(c.title)} | {note} |")
        out.append("")
        for c in pending:
            if c.diff and c.action == UPDATE:
                out += [f"<details><summary>diff: {markdown_text(c.label)}</summary>", "",
                        markdown_fence(c.diff, "diff"), "", "</details>", ""]
    else:
        out.append("No changes to folders, datasources or dashboards.")
    if plan.orphans:
        out += ["", f"{len(plan.orphans)} owned resource(s) no longer defined (kept; apply with `--prune` deletes): "
                + ", ".join(markdown_code_span(c.uid) for c in plan.orphans)]
    if plan.foreign:
        out += ["", f"{len(plan.foreign)} resource(s) look like ours but are not verifiably ours (never deleted):", ""]
        out += [f"- {c.kind} {markdown_code_span(c.uid)} ({markdown_text(c.title)}): {markdown_text(c.blocked)}"
                for c in plan.foreign]
    if extra:
        out += ["", extra.rstrip("\n")]
    out += ["", f"**{markdown_text(plan.summary(access_changes))}**"]
    return "\n".join(out) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
