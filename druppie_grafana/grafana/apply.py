"""Apply a plan: folders, then datasources, then dashboards, then deletions; a bounded pool of workers.

A write whose answer is lost (5xx, reset, timeout) may or may not have happened. Instead of repeating
it blindly (a duplicate, or a 409/412 against our own write), we read the resource back: if Grafana
holds what we meant to write, it is done; if Grafana still holds what we read before, we write again;
anything else means someone else changed it meanwhile, and we stop there.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Mapping

from .access import AccessApplier
from .backups import BackupFailed, Backups
from .client import Conflict, GrafanaClient, GrafanaError, NotFound, VersionMismatch
from ..errors import InputError, Problem
from .plan import CREATE, DELETE, NOOP, UPDATE, Change, Plan
from ..redaction import terminal_safe
from ..resources import DASHBOARD, DATASOURCE, FOLDER, KINDS, Resource
from ..secrets import SecretRef, SecretUnavailable
from ..serialize import plain

WRITE_ATTEMPTS = 5
BACKOFF = 0.1  # seconds before the read-back; doubles each attempt

DONE = {CREATE: "created", UPDATE: "updated", DELETE: "deleted"}


@dataclass
class Outcome:
    change: Change
    status: str  # created, updated, deleted, unchanged, refused, failed, skipped
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("created", "updated", "deleted", "unchanged")

    def line(self) -> str:
        text = f"  {self.status:<9} {self.change.label}"
        return f"{text}: {self.message}" if self.message else text

    def to_json(self) -> dict:
        return {"kind": self.change.kind, "uid": self.change.uid, "title": self.change.title,
                "action": self.change.action, "status": self.status, "message": self.message or None}


MAX_DIFF_LINES = 30  # a refused resource shows what differs, not a whole dashboard (plan shows all)


def short_diff(diff: str) -> str:
    lines = diff.splitlines()
    if len(lines) <= MAX_DIFF_LINES:
        return "\n".join(lines)
    return "\n".join(lines[:MAX_DIFF_LINES] + [f"... {len(lines) - MAX_DIFF_LINES} more lines (plan shows the whole diff)"])


@dataclass
class ApplyResult:
    outcomes: list[Outcome]
    writes: int
    reads: int  # over the whole run, the plan's reads included
    backups: list = field(default_factory=list)
    health: list[tuple[str, str, str]] = field(default_factory=list)  # uid, status, message

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def summary(self, ok: bool | None = None, writes: int | None = None, access=()) -> str:
        """One line; `writes` counts every write request of the run (permissions and teams included)."""
        ok = self.ok if ok is None else ok
        writes = self.writes if writes is None else writes
        parts = ", ".join(f"{self.count(s)} {s}" for s in
                          ("created", "updated", "deleted", "unchanged", "refused", "failed", "skipped"))
        head = f"Apply {'complete' if ok else 'INCOMPLETE'}: {parts}."
        if access:
            steps = {s: sum(1 for o in access if o.status == s) for s in ("created", "updated", "refused", "failed",
                                                                          "skipped")}
            head += " Access: " + ", ".join(f"{n} {s}" for s, n in steps.items() if n) + "." if any(steps.values()) \
                else " Access: unchanged."
        if writes == 0:
            return head + f" Nothing changed: 0 write requests sent ({self.reads} reads)."
        return head + f" {writes} write requests, {self.reads} reads."


def check_secrets(resources: list[Resource], environ: Mapping[str, str], client: GrafanaClient) -> None:
    """Resolve every credential before the first write (and in plan, so a reviewed plan does not hide an apply
    that would fail): a missing one stops with nothing done, pointing at where the reference is written."""
    problems = []
    for res in resources:
        if res.kind != DATASOURCE:
            continue
        for key, value in (plain(res.spec, keep_secrets=True).get("secureJsonData") or {}).items():
            if not isinstance(value, SecretRef):
                continue  # a plain value (a Loki tenant) travels in the secret store but is no secret
            try:
                client.add_secret(value.resolve(environ))
            except SecretUnavailable as exc:
                file, _, path = value.where.partition(": ")
                problems.append(Problem(file or res.source or str(res), path or f"$.secureJsonData.{key}",
                                        f"{exc} (datasource {res.uid}, secureJsonData.{key})",
                                        "set the variable (in CI: from the secret store) or create the file"))
    if problems:
        raise InputError(problems)


class Applier:
    def __init__(self, client: GrafanaClient, *, force: bool = False, take_over: bool = False, workers: int = 8,
                 environ: Mapping[str, str], backups: Backups, report: Callable[[str], None] = print,
                 verbose: bool = True, progress: Callable[[int, int, "Outcome"], None] | None = None):
        self.client, self.force, self.take_over, self.workers = client, force, take_over, max(workers, 1)
        self.environ, self.backups, self.verbose = environ, backups, verbose
        self.report = lambda line: report(terminal_safe(line))  # titles and messages may come from Grafana
        self.progress = progress or (lambda done, total, outcome: None)

    def apply(self, plan: Plan, access: AccessApplier | None = None) -> ApplyResult:
        """Folders, their permissions, datasources, their permissions, dashboards; then deletions.
        With `access`, a target whose permissions are refused is not created (it would be open to the
        whole org), and one whose permissions cannot be written is removed again."""
        self.owner, self.handlers = plan.owner, plan.handlers
        before = dict(self.client.counts)
        outcomes: list[Outcome] = []
        failed_folders: set[str] = set()
        writes = [c for c in plan.changes if c.action != DELETE]
        deletes = [c for c in plan.changes if c.action == DELETE]
        # Creates and updates in dependency order; deletions in reverse (dashboards before datasources).
        phases = ([(kind, [c for c in writes if c.kind == kind]) for kind in KINDS]
                  + [(kind, [c for c in deletes if c.kind == kind]) for kind in reversed(KINDS)])
        total = sum(len(phase) for _, phase in phases)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for kind, phase in phases:
                results = []
                for wave in _parents_first(phase) if kind == FOLDER else [phase]:
                    results += list(pool.map(lambda c: self._one(c, failed_folders, access), wave))
                for index, outcome in enumerate(results):
                    if outcome.status != "unchanged" or self.verbose:
                        self.report(self.client.redact(outcome.line()))
                    if outcome.status == "refused" and outcome.change.diff and outcome.change.action == UPDATE:
                        self.report(self.client.redact("\n".join("      " + l for l in
                                                                 short_diff(outcome.change.diff).splitlines())))
                    if access is not None and outcome.change.action != DELETE:
                        restricted = self._restrict(outcome, access)  # its permissions, before anything goes in
                        if restricted is not outcome:
                            self.report(self.client.redact(restricted.line()))
                            results[index] = outcome = restricted
                    if outcome.change.kind == FOLDER and not outcome.ok:
                        failed_folders.add(outcome.change.uid)
                    self.progress(len(outcomes) + index + 1, total, outcome)
                outcomes += results
        unchanged = sum(1 for o in outcomes if o.status == "unchanged")
        if unchanged and not self.verbose:
            self.report(f"  = {unchanged} unchanged")
        return ApplyResult(outcomes, writes=self.client.counts["write"] - before["write"],
                           reads=self.client.counts["read"], backups=list(self.backups.written))

    def _restrict(self, outcome: Outcome, access: AccessApplier) -> Outcome:
        """Write the permissions of a target right after it was applied; undo a creation they cannot follow."""
        change = access.change_for(outcome.change.kind, outcome.change.uid)
        if change is None:
            return outcome
        result = access.apply(change, "" if outcome.ok else f"the {change.kind.lower()} was not applied")
        if result.ok or result.status == "skipped" or outcome.status != "created":
            return outcome  # an existing target keeps the permissions it had
        handler = self.handlers[outcome.change.kind]
        try:
            handler.undo_create(self.client, outcome.change.uid)
            undone = "deleted again so it is not left open to the whole org"
        except GrafanaError as exc:
            undone = f"and deleting it again failed ({exc}): REMOVE IT BY HAND, it is open to the whole org"
        return Outcome(outcome.change, "failed", f"created, but its permissions could not be set; {undone}")

    def _one(self, change: Change, failed_folders: set[str], access: AccessApplier | None = None) -> Outcome:
        if change.action == NOOP:
            return Outcome(change, "unchanged")
        if change.blocked and not ((self.force and change.forceable) or (self.take_over and change.takeover)):
            return Outcome(change, "refused", change.blocked)
        res = change.resource
        if res is not None and res.kind == DASHBOARD and res.folder in failed_folders:
            return Outcome(change, "skipped", f"its folder {res.folder} was not applied or not restricted")
        guard = access.change_for(change.kind, change.uid) if access is not None else None
        if change.action == CREATE and guard is not None and access.refuses(guard):
            return Outcome(change, "refused", "not created: Grafana would give it open default permissions, and "
                                              f"the ones configured are refused ({guard.blocked})")
        try:
            return self._write(change)
        except BackupFailed as exc:
            return Outcome(change, "failed", str(exc))
        except GrafanaError as exc:
            return Outcome(change, "failed", str(exc))

    def _write(self, change: Change) -> Outcome:
        handler = self.handlers[change.kind]
        stamp = handler.stamp(self.owner, change.uid, change.desired) if change.desired is not None else None
        remote = change.remote
        if remote is not None:
            self.backups.save(change.kind, change.uid, remote.raw)  # raises before anything is written
        last: GrafanaError | None = None
        for attempt in range(WRITE_ATTEMPTS):
            try:
                if change.action == DELETE:
                    handler.delete(self.client, remote)
                elif remote is None:
                    handler.create(self.client, change.resource, stamp, self.environ)
                else:
                    handler.update(self.client, change.resource, remote, stamp, self.force, self.environ)
                return Outcome(change, DONE[change.action], f"after {attempt + 1} attempts" if attempt else "")
            except NotFound:
                if change.action == DELETE:
                    return Outcome(change, "deleted", "already gone")
                raise
            except (Conflict, VersionMismatch) as exc:
                if attempt == 0 and not (change.action == CREATE or remote is None):
                    raise  # someone saved it after we read it; the message says what to do
                last = exc  # may be our own earlier write that lost its answer: read back below
            except GrafanaError as exc:
                if not exc.transient:
                    raise
                last = exc
            time.sleep(BACKOFF * (2 ** attempt) * (0.5 + random.random()))
            fresh = handler.read(self.client, change.uid)
            if change.action == DELETE:
                if fresh is None:
                    return Outcome(change, "deleted", "confirmed by reading back")
            elif handler.applied(change.desired, stamp, fresh):
                if isinstance(last, (Conflict, VersionMismatch)):  # no answer was lost: someone was faster
                    return Outcome(change, "unchanged", "Grafana already holds exactly this (written by a "
                                                        "concurrent apply); nothing sent again")
                return Outcome(change, DONE[change.action], "confirmed by reading back after a lost answer")
            elif not self.force and not _unchanged(remote, fresh):
                if isinstance(last, (Conflict, VersionMismatch)):
                    raise last  # it exists and is not what we wrote: someone else's
                raise GrafanaError(f"{change.label} changed in Grafana while we were applying it; "
                                   "nothing was overwritten. Run plan again.")
            remote = fresh
        assert last is not None
        raise last

    def health(self, resources: list[Resource], outcomes: list[Outcome]) -> list[tuple[str, str, str]]:
        """GET /api/datasources/uid/<uid>/health for each defined datasource that is in Grafana."""
        failed = {o.change.uid for o in outcomes if o.change.kind == DATASOURCE and not o.ok}
        uids = [r.uid for r in resources if r.kind == DATASOURCE and r.uid not in failed]

        def check(uid: str) -> tuple[str, str, str]:
            try:
                body = self.client.get(f"/datasources/uid/{uid}/health") or {}
                return uid, str(body.get("status", "OK")), str(body.get("message", ""))
            except GrafanaError as exc:
                return uid, "ERROR", exc.server_message or str(exc)

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(check, uids))


def _parents_first(changes: list[Change]) -> list[list[Change]]:
    """Nested folders in waves: a folder waits for its parent when the same apply writes that parent."""
    waves, left = [], list(changes)
    while left:
        pending = {c.uid for c in left}
        wave = [c for c in left if (c.desired or {}).get("parentUid") not in pending]
        wave = wave or left  # a cycle: let Grafana say what is wrong
        waves.append(wave)
        left = [c for c in left if c not in wave]
    return waves


def _unchanged(before, after) -> bool:
    """Grafana still holds what we read before writing (so nobody else has written meanwhile)."""
    if before is None or after is None:
        return before is None and after is None
    return before.comparable == after.comparable
