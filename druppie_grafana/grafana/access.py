"""Access as code: who may see the folder (and, on Enterprise/Cloud, query Loki and Tempo).

One mechanism for every target: read the current grants, compare them with the desired ones from
environments.yaml (`folder.access`), and write the full desired list. Grants are compared by name
(team name, user login, basic role), so the plan reads like the configuration.

Safety: only targets we define are touched (our folder; our Loki/Tempo datasources); teams are created
but never deleted, members never changed; a desired list that would leave the applying identity
without Admin on a target is refused for that target (nothing is written there).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from .client import Conflict, GrafanaClient, GrafanaError, NotFound
from ..environments import Environment
from ..redaction import terminal_safe
from ..resources import DATASOURCE, FOLDER, Resource

LEVELS = {"View": 1, "Edit": 2, "Admin": 4}  # Grafana's folder permission numbers
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}
DATASOURCE_LEVELS = {"View": "Query", "Edit": "Edit", "Admin": "Admin"}  # Enterprise datasource permissions
DATASOURCE_NAMES = {v: k for k, v in DATASOURCE_LEVELS.items()}
ROLE_RANK = {"None": 0, "Viewer": 1, "Editor": 2, "Admin": 3}  # basic roles include the ones below them
PROTECTED_TYPES = ("loki", "tempo")  # the datasources holding prompts and traces
EDITIONS_WITH_DATASOURCE_PERMISSIONS = ("enterprise", "cloud")

TEAM, USER, ROLE = "team", "user", "role"


@dataclass(frozen=True, order=True)
class Grant:
    kind: str  # team, user or role
    name: str  # team name, user login, basic role
    level: str  # View, Edit or Admin

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.level}"


def released_principals(access: Mapping) -> frozenset[tuple[str, str]]:
    """Principals the configuration removes on purpose (a basic role set to None)."""
    return frozenset((ROLE, n) for n, lvl in (access.get("roles") or {}).items() if lvl == "None")


def desired_grants(access: Mapping) -> frozenset[Grant]:
    """The configuration's grants; a basic role set to None simply gets no entry (the list is replaced)."""
    grants = [Grant(TEAM, n, lvl) for n, lvl in (access.get("teams") or {}).items()]
    grants += [Grant(USER, n, lvl) for n, lvl in (access.get("users") or {}).items()]
    grants += [Grant(ROLE, n, lvl) for n, lvl in (access.get("roles") or {}).items() if lvl != "None"]
    return frozenset(grants)


def oss_warning(env: Environment) -> str:
    """The plain statement of what open-source Grafana does not protect ("" where it does)."""
    if env.edition in EDITIONS_WITH_DATASOURCE_PERMISSIONS:
        return ""
    return (f"SECURITY WARNING (environment {env.name}, edition {env.edition}): open-source Grafana has no "
            "datasource permissions. Any user of the org, Viewers included, can query every datasource in "
            "Explore, so the folder permissions hide the dashboards but NOT the logs and traces (prompts, user "
            "questions). To protect them: put the traceability datasources in a separate Grafana org that only "
            "the developers belong to, or use Grafana Enterprise/Cloud (grafana.edition: enterprise|cloud) so "
            "apply sets Loki and Tempo datasource permissions from the same configuration.")


# ---------------------------------------------------------------- who is applying

@dataclass(frozen=True)
class Identity:
    login: str
    org_role: str  # Viewer, Editor, Admin or None
    teams: frozenset[str]
    problem: str = ""  # why we could not tell who is applying ("" when we could)

    def level(self, grants: Iterable[Grant]) -> int:
        """The permission this identity would have on a target holding exactly `grants`."""
        if self.org_role == "Admin":
            return LEVELS["Admin"]  # the org Admin basic role may do everything on every folder and datasource
        best = 0
        for g in grants:
            if ((g.kind == USER and g.name == self.login) or (g.kind == TEAM and g.name in self.teams)
                    or (g.kind == ROLE and ROLE_RANK.get(g.name, 9) <= ROLE_RANK.get(self.org_role, 0))):
                best = max(best, LEVELS[g.level])
        return best


def read_identity(client: GrafanaClient) -> Identity:
    """GET /api/user, /api/user/orgs and /api/user/teams: a user's or a service account's own view."""
    try:
        user = client.get("/user") or {}
        orgs = client.get("/user/orgs") or []
        teams = client.get("/user/teams") or []
    except GrafanaError as exc:
        return Identity("?", "None", frozenset(), problem=f"cannot tell who is applying ({exc})")
    role = next((o.get("role", "None") for o in orgs if o.get("orgId") == client.settings.org_id), "None")
    return Identity(user.get("login", "?"), role, frozenset(t.get("name", "") for t in teams))


# ---------------------------------------------------------------- targets

class FolderTarget:
    """/api/folders/<uid>/permissions: GET lists, POST replaces the whole list."""

    kind = FOLDER

    def read(self, client: GrafanaClient, uid: str) -> frozenset[Grant] | None:
        try:
            items = client.get(f"/folders/{uid}/permissions") or []
        except NotFound:
            return None
        out = set()
        for item in items:
            if item.get("inherited"):
                continue  # set on a parent folder, not ours to replace
            level = LEVEL_NAMES.get(item.get("permission"), str(item.get("permission")))
            if item.get("teamId"):
                out.add(Grant(TEAM, item.get("team") or f"#{item['teamId']}", level))
            elif item.get("userId"):
                out.add(Grant(USER, item.get("userLogin") or f"#{item['userId']}", level))
            elif item.get("role"):
                out.add(Grant(ROLE, item["role"], level))
        return frozenset(out)

    def write(self, client: GrafanaClient, uid: str, desired: frozenset[Grant], current: frozenset[Grant],
              ids: "Ids") -> None:
        items = []
        for g in sorted(desired):
            key = {TEAM: "teamId", USER: "userId"}.get(g.kind)
            items.append({key: ids.of(g), "permission": LEVELS[g.level]} if key
                         else {"role": g.name, "permission": LEVELS[g.level]})
        client.post(f"/folders/{uid}/permissions", {"items": items})


class DatasourceTarget:
    """/api/access-control/datasources/<uid> (Enterprise/Cloud): GET lists, POST sets the assignments given;
    an empty permission removes one, so grants no longer desired are removed explicitly."""

    kind = DATASOURCE

    def read(self, client: GrafanaClient, uid: str) -> frozenset[Grant] | None:
        try:
            items = client.get(f"/access-control/datasources/{uid}") or []
        except NotFound:
            return None
        out = set()
        for item in items:
            if not item.get("isManaged", True) or item.get("isInherited"):
                continue  # fixed/role-granted access: not a managed permission of this datasource
            level = DATASOURCE_NAMES.get(item.get("permission", ""), item.get("permission", ""))
            if item.get("teamId"):
                out.add(Grant(TEAM, item.get("team") or f"#{item['teamId']}", level))
            elif item.get("userId"):
                out.add(Grant(USER, item.get("userLogin") or f"#{item['userId']}", level))
            elif item.get("builtInRole"):
                out.add(Grant(ROLE, item["builtInRole"], level))
        return frozenset(out)

    def write(self, client, uid, desired, current, ids) -> None:
        def assignment(g: Grant, permission: str) -> dict:
            key = {TEAM: "teamId", USER: "userId"}.get(g.kind)
            return {key: ids.of(g), "permission": permission} if key else {"builtInRole": g.name,
                                                                           "permission": permission}
        wanted = {(g.kind, g.name) for g in desired}
        body = [assignment(g, DATASOURCE_LEVELS[g.level]) for g in sorted(desired - current)]
        body += [assignment(g, "") for g in sorted(current) if (g.kind, g.name) not in wanted]
        client.post(f"/access-control/datasources/{uid}", {"permissions": body})


TARGETS = {FOLDER: FolderTarget(), DATASOURCE: DatasourceTarget()}


# ---------------------------------------------------------------- names to ids

@dataclass
class Ids:
    """Team and user ids by name; teams missing from Grafana are created by apply."""

    teams: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    missing_teams: list[str] = field(default_factory=list)
    unknown_users: list[str] = field(default_factory=list)

    def of(self, grant: Grant) -> int:
        return (self.teams if grant.kind == TEAM else self.users)[grant.name]


def resolve_names(client: GrafanaClient, grants: Iterable[Grant]) -> Ids:
    ids = Ids()
    for name in sorted({g.name for g in grants if g.kind == TEAM}):
        found = client.get("/teams/search", params={"name": name}) or {}
        team = next((t for t in found.get("teams") or [] if t.get("name") == name), None)
        if team is None:
            ids.missing_teams.append(name)
        else:
            ids.teams[name] = team["id"]
    for login in sorted({g.name for g in grants if g.kind == USER}):
        # the org's own lookup: org Admins may use it, and it only finds members of this org
        found = client.get("/org/users/lookup", params={"query": login, "limit": 100}) or []
        user = next((u for u in found if u.get("login") == login), None)
        if user is None:
            ids.unknown_users.append(login)
        else:
            ids.users[login] = user["userId"]
    return ids


# ---------------------------------------------------------------- plan

@dataclass
class AccessChange:
    kind: str  # FOLDER or DATASOURCE
    uid: str
    desired: frozenset[Grant]
    current: frozenset[Grant] | None  # None: the target does not exist yet (created by this apply)
    blocked: str = ""
    forceable: bool = False  # whether --force lifts the block (removing grants made elsewhere)
    released: frozenset[tuple[str, str]] = frozenset()  # (kind, name) the configuration removes on purpose

    @property
    def foreign_removals(self) -> list[Grant]:
        """Grants in Grafana that the configuration neither names nor removes on purpose (added in the UI?)."""
        if self.current is None:
            return []  # a new target: Grafana's defaults are replaced, nothing anyone made
        named = {(g.kind, g.name) for g in self.desired} | self.released
        return sorted(g for g in self.current if (g.kind, g.name) not in named)

    @property
    def pending(self) -> bool:
        return self.current != self.desired

    @property
    def label(self) -> str:
        return f"permissions of {self.kind.lower()} {self.uid}"

    def lines(self) -> list[str]:
        """What changes, one grant a line: + added, - removed, = kept."""
        current = self.current if self.current is not None else frozenset()
        out = [f"+ {g}" for g in sorted(self.desired - current)]
        out += [f"- {g}" for g in sorted(current - self.desired)]
        out += [f"= {g}" for g in sorted(self.desired & current)]
        return out

    def to_json(self) -> dict:
        return {"kind": self.kind, "uid": self.uid, "pending": self.pending, "blocked": self.blocked or None,
                "forceable": self.forceable if self.blocked else None,
                "current": None if self.current is None else [str(g) for g in sorted(self.current)],
                "desired": [str(g) for g in sorted(self.desired)]}


@dataclass
class AccessPlan:
    changes: list[AccessChange]
    ids: Ids
    identity: Identity | None
    warnings: list[str]

    @property
    def pending(self) -> list[AccessChange]:
        return [c for c in self.changes if c.pending]

    @property
    def teams_to_create(self) -> list[str]:
        return self.ids.missing_teams

    def render_text(self) -> str:
        out = []
        if self.changes:
            out.append("Access:")
            for name in self.teams_to_create:
                out.append(f"  + create    team {name}")
            for c in self.changes:
                if not c.pending:
                    out.append(f"  = no change {c.label}")
                    continue
                new = " (new: replaces Grafana's defaults)" if c.current is None else ""
                out.append(f"  ~ update    {c.label}{new}")
                if c.blocked:
                    out.append(f"      REFUSED{' (--force removes them)' if c.forceable else ''}: {c.blocked}")
                out += [f"      {line}" for line in c.lines()]
        return "\n".join(out) + "\n" if out else ""  # the warnings went to the terminal once, as the rule's line

    def render_markdown(self) -> str:
        text = self.render_text() + "".join(f"{w}\n" for w in self.warnings)  # a PR comment keeps them
        return f"\n### Access\n\n```\n{text}```\n" if text else ""

    def to_json(self) -> dict:
        return {"teams_to_create": self.teams_to_create, "changes": [c.to_json() for c in self.changes],
                "warnings": self.warnings}


def access_targets(env: Environment, resources: Iterable[Resource]) -> list[tuple[str, str]]:
    """(kind, uid) of what we manage access to: our folder, and on Enterprise/Cloud our Loki and Tempo."""
    if not env.folder_access:
        return []
    resources = list(resources)
    out = [(FOLDER, r.uid) for r in resources if r.kind == FOLDER and r.uid == env.folder_uid]
    if env.edition in EDITIONS_WITH_DATASOURCE_PERMISSIONS:
        out += [(DATASOURCE, r.uid) for r in resources
                if r.kind == DATASOURCE and r.spec.get("type") in PROTECTED_TYPES]
    return out


def plan_access(client: GrafanaClient, env: Environment, resources: Iterable[Resource],
                warn: bool = True) -> AccessPlan:
    """Reads only. Blocks a target whose desired list is unusable or would lock the applying identity out.
    `warn`: carry the open-source warning (for the plan's Markdown and JSON; off when `checks:` turns
    the rule datasources-unprotected off)."""
    desired = desired_grants(env.folder_access)
    targets = access_targets(env, resources)
    warning = oss_warning(env) if warn else ""
    if not targets:
        return AccessPlan([], Ids(), None, [warning] if warning and env.folder_access else [])
    ids = resolve_names(client, desired)
    identity = read_identity(client)
    changes = []
    for kind, uid in targets:
        change = AccessChange(kind, uid, desired, TARGETS[kind].read(client, uid),
                              released=released_principals(env.folder_access))
        if change.pending:
            change.blocked = _refusal(env, ids, identity, desired)
            if not change.blocked and change.foreign_removals:
                change.blocked, change.forceable = (
                    "would remove grants that environments.yaml does not name (added in Grafana?): "
                    + "; ".join(map(str, change.foreign_removals)) + ". Add them to folder.access to keep "
                    "them, or apply with --force to remove them (the list is backed up first)"), True
        changes.append(change)
    return AccessPlan(changes, ids, identity, [warning] if warning else [])


def _refusal(env: Environment, ids: Ids, identity: Identity, desired: frozenset[Grant]) -> str:
    where = f"{env.source}: $.environments.{env.name}.folder.access"
    if ids.unknown_users:
        return (f"{where}.users: no user {', '.join(map(repr, ids.unknown_users))} in org {env.org_id}; users are "
                "not created by apply (they come from your login provider). Fix the login, or add the user to "
                "the org first.")
    if identity.problem:
        return (f"{identity.problem}; without knowing that, apply cannot make sure it keeps its own access. "
                "Use a user or service-account token (not a legacy API key).")
    # team ids of teams created by this apply are not known yet, but the identity is not in a new team
    level = identity.level(desired)
    if level < LEVELS["Admin"]:
        have = LEVEL_NAMES.get(level, "no access")
        return (f"{where} would leave the applying identity {identity.login!r} (org role {identity.org_role}) "
                f"with {have} instead of Admin, locking it out of managing this folder. Add "
                f"users: {{{identity.login}: Admin}} (or a team it belongs to with Admin), or apply with a "
                "service account that has the org Admin role.")
    return ""


# ---------------------------------------------------------------- apply

@dataclass
class AccessOutcome:
    label: str
    status: str  # created, updated, unchanged, refused, failed, skipped
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("created", "updated", "unchanged")

    def line(self) -> str:
        text = f"  {self.status:<9} {self.label}"
        return f"{text}: {self.message}" if self.message else text


class AccessApplier:
    """Writes the access plan: missing teams first (once), then each target's full list. A target's
    list is written right after the target is created, before anything goes into it, so nothing is
    ever left with Grafana's open defaults (see apply.Applier)."""

    def __init__(self, client: GrafanaClient, plan: AccessPlan, *, force: bool = False, backups=None,
                 report=lambda line: None):
        self.client, self.plan, self.force, self.backups = client, plan, force, backups
        self.report = lambda outcome: report(terminal_safe(client.redact(outcome.line())))
        self.outcomes: list[AccessOutcome] = []
        self._teams_done = False
        self._failed_teams: set[str] = set()

    def change_for(self, kind: str, uid: str) -> AccessChange | None:
        return next((c for c in self.plan.changes if (c.kind, c.uid) == (kind, uid)), None)

    def refuses(self, change: AccessChange) -> bool:
        return bool(change.blocked) and not (self.force and change.forceable)

    def _teams(self) -> None:
        if self._teams_done:
            return
        self._teams_done = True
        for name in self.plan.teams_to_create:
            try:
                answer = self.client.post("/teams", {"name": name})
                team_id = answer.get("teamId") if isinstance(answer, dict) else None
                if not isinstance(team_id, int):
                    raise GrafanaError(f"POST /teams: Grafana's answer has no teamId for team {name}")
                self.plan.ids.teams[name] = team_id
                self._record(AccessOutcome(f"team {name}", "created"))
            except Conflict:  # created meanwhile (a concurrent apply): use it
                found = self._existing_team(name)
                if found is None:
                    self._fail_team(name, "Grafana says the team exists but it cannot be found by name")
                else:
                    self.plan.ids.teams[name] = found
                    self._record(AccessOutcome(f"team {name}", "unchanged", "created meanwhile by someone else"))
            except GrafanaError as exc:
                self._fail_team(name, str(exc))

    def _existing_team(self, name: str) -> int | None:
        found = self.client.get("/teams/search", params={"name": name}, expect=dict)
        team = next((t for t in found.get("teams") or [] if isinstance(t, dict) and t.get("name") == name), None)
        return team.get("id") if team and isinstance(team.get("id"), int) else None

    def _fail_team(self, name: str, message: str) -> None:
        self._failed_teams.add(name)
        self._record(AccessOutcome(f"team {name}", "failed", message))

    def _record(self, outcome: AccessOutcome) -> AccessOutcome:
        self.outcomes.append(outcome)
        self.report(outcome)
        return outcome

    def apply(self, change: AccessChange, skip_reason: str = "") -> AccessOutcome:
        """Write one target's list (or say why not); the outcome is also kept in self.outcomes."""
        return self._record(self._apply(change, skip_reason))

    def _apply(self, change: AccessChange, skip_reason: str) -> AccessOutcome:
        if not change.pending:
            return AccessOutcome(change.label, "unchanged")
        if self.refuses(change):
            return AccessOutcome(change.label, "refused", change.blocked)
        if skip_reason:
            return AccessOutcome(change.label, "skipped", skip_reason)
        self._teams()
        if any(g.kind == TEAM and g.name in self._failed_teams for g in change.desired):
            return AccessOutcome(change.label, "skipped", "a team it names could not be created")
        target = TARGETS[change.kind]
        try:
            current = target.read(self.client, change.uid)
            current = current if current is not None else frozenset()
            if change.current is not None and current != change.current:
                return AccessOutcome(change.label, "refused", "the permissions changed in Grafana after plan "
                                                              "read them; run plan again")
            if current and self.backups is not None:
                self.backups.save(f"{change.kind} permissions", change.uid,
                                  [{"kind": g.kind, "name": g.name, "level": g.level} for g in sorted(current)])
            target.write(self.client, change.uid, change.desired, current, self.plan.ids)
            return AccessOutcome(change.label, "updated")
        except (GrafanaError, KeyError) as exc:
            return AccessOutcome(change.label, "failed", str(exc))


def apply_access(client: GrafanaClient, plan: AccessPlan, skip: set[tuple[str, str]] = frozenset(), *,
                 force: bool = False, backups=None) -> list[AccessOutcome]:
    """Every target of the plan at once (targets that already exist). `skip`: (kind, uid) whose resource
    was not applied (no permissions on a folder that is not there)."""
    applier = AccessApplier(client, plan, force=force, backups=backups)
    for change in plan.changes:
        applier.apply(change, f"the {change.kind.lower()} was not applied" if (change.kind, change.uid) in skip else "")
    return applier.outcomes


def merge_json(plan_json: str, access: AccessPlan) -> str:
    """The plan's JSON with an "access" key."""
    data = json.loads(plan_json)
    data["access"] = access.to_json()
    data["pending"] = bool(data.get("pending")) or bool(access.pending)
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
