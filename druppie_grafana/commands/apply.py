"""`apply`: validate, plan, and push the changes to Grafana; backups first, drift refused unless --force."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..grafana.access import AccessApplier, plan_access
from ..grafana.apply import Applier, check_secrets
from ..grafana.backups import Backups
from ..errors import UsageError
from ..grafana.plan import make_plan
from ..grafana.saved_plan import SavedPlan, restrict
from ..redaction import one_line
from ..style import emit
from .plan import add_common, prepare

HELP = "push the definitions to Grafana (folders, datasources, dashboards); exit 0 only if everything applied"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan_file", nargs="?", type=Path, metavar="PLAN",
                        help="a plan saved by `plan --out`: apply exactly it, or refuse if anything changed since")
    add_common(parser)
    parser.add_argument("--force", action="store_true",
                        help="overwrite resources changed in Grafana since our last apply, take over "
                             "same-uid resources we did not create, and remove permission grants the "
                             "configuration does not name (all backed up first)")
    parser.add_argument("--take-over", action="store_true",
                        help="also write dashboards and folders that another tool manages (Git Sync, Terraform, "
                             "kubectl); never implied by --force")
    parser.add_argument("--backup-dir", type=Path, default=None,
                        help="where copies of overwritten or deleted JSON go (default: <root>/backups)")
    parser.add_argument("--no-health", action="store_true", help="skip the datasource health checks")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default, streamed) or json (one document at the end, for machines)")
    parser.add_argument("--verbose", "-v", action="store_true", help="also list unchanged resources")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="print only what was refused or failed, and the summary")


class Output:
    """Where apply's lines go: streamed as they happen (text), collected (json), or errors only (-q);
    coloured on a terminal; a progress line on a terminal's stderr for applies that take a while."""

    PROBLEMS = ("refused", "failed", "skipped", "REFUSED", "WARNING", "warning")

    def __init__(self, fmt: str, quiet: bool, verbose: bool = False):
        self.fmt, self.quiet, self.verbose = fmt, quiet, verbose
        self.lines: list[str] = []
        self.live = sys.stderr.isatty() and fmt == "text" and not quiet
        self._shown = False

    def __call__(self, line: str) -> None:
        self.lines.append(line)
        if self.fmt == "json" or (self.quiet and not any(w in line for w in self.PROBLEMS)):
            return
        if line.startswith("  unchanged ") and not self.verbose:
            return  # the summary counts them; -v lists them
        self.clear()
        emit(line + "\n", sys.stdout)
        sys.stdout.flush()

    def progress(self, done: int, total: int, outcome) -> None:
        if self.live and total >= PROGRESS_FROM:
            sys.stderr.write(f"\r  [{done}/{total}] {outcome.status} {outcome.change.uid}\x1b[K")
            sys.stderr.flush()
            self._shown = True

    def clear(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            self._shown = False


PROGRESS_FROM = 20  # resources; a shorter apply needs no progress line


def _saved(args: argparse.Namespace) -> SavedPlan | None:
    """The saved plan, with the environment, targets and prune it was made for taken from it."""
    if args.plan_file is None:
        return None
    saved = SavedPlan.read(args.plan_file)
    if args.target or args.prune:
        raise UsageError("apply PLAN takes its targets and --prune from the saved plan; give them to `plan --out`")
    if args.env and args.env != saved.data["environment"]:
        raise UsageError(f"{args.plan_file} was saved for environment {saved.data['environment']}, not {args.env}")
    args.env, args.prune = saved.data["environment"], bool(saved.data.get("prune"))
    args.target = [f"{k.lower()}/{u}" for k, u in saved.targets]
    return saved


def run(args: argparse.Namespace) -> int:
    saved = _saved(args)
    project, env, resources, client = prepare(args)
    check_secrets(resources, os.environ, client)
    backups = Backups(args.backup_dir or project.root / "backups", env.name)
    backups.check_writable()  # before anything is sent: a change we could not back up is not made
    plan = restrict(make_plan(client, env.name, resources, prune=args.prune, workers=args.workers, owner=env.owner,
                              expected_version=env.grafana_version,
                              dashboard_schema=env.dashboards_schema), args.targets)
    out = Output(args.format, args.quiet, args.verbose)
    access_plan = plan_access(client, env, resources, warn=False)  # the OSS warning was the gate's one line
    if saved is not None:
        saved.check(plan, access_plan, args.definitions)  # what was reviewed is what is applied, or nothing
    access = AccessApplier(client, access_plan, force=args.force, backups=backups, report=out)
    applier = Applier(client, force=args.force, take_over=args.take_over, workers=args.workers, environ=os.environ,
                      backups=backups, report=out, verbose=args.verbose, progress=out.progress)
    writes_before = client.counts["write"]
    out(f"Applying environment {env.name} to {client.redact(client.settings.url)} as {env.owner}:")
    if plan.server is not None:
        out(f"  {plan.server.describe(plan.handlers)}")
    for warning in plan.warnings:
        out(f"  {warning}")
    result = applier.apply(plan, access)
    # targets not in this plan's phases (none today) and teams: whatever the phases did not reach
    reached = {o.label for o in access.outcomes}
    for change in access.plan.changes:
        if change.label not in reached:
            access.apply(change)
    out.clear()
    if plan.orphans:
        out(f"  kept      {len(plan.orphans)} owned resource(s) no longer defined (--prune deletes them): "
            + ", ".join(one_line(c.label) for c in plan.orphans))
    for change in plan.foreign:
        out(f"  kept      {one_line(change.label)}: {change.blocked}")
    if backups.written:
        out(f"  backups   {len(backups.written)} file(s) in {backups.folder}")
    health = [] if args.no_health else applier.health(resources, result.outcomes)
    for uid, status, message in health:
        out(client.redact(one_line(f"  health    datasource {uid}: {status}" + (f" ({message})" if message else ""))))
    access_ok = all(o.ok for o in access.outcomes)
    ok = result.ok and access_ok
    writes = client.counts["write"] - writes_before
    summary = result.summary(ok=ok, writes=writes, access=access.outcomes)
    if args.format == "json":
        sys.stdout.write(client.redact(json.dumps({
            "environment": env.name, "grafana": client.redact(client.settings.url), "owner": env.owner, "ok": ok,
            "server": None if plan.server is None else plan.server.describe(plan.handlers),
            "outcomes": [o.to_json() for o in result.outcomes],
            "access": [{"target": o.label, "status": o.status, "message": o.message or None} for o in access.outcomes],
            "health": [{"uid": u, "status": st, "message": m or None} for u, st, m in health],
            "backups": [str(p) for p in backups.written], "writes": writes, "reads": result.reads,
            "summary": summary}, indent=2, sort_keys=True) + "\n"))
    else:
        emit(summary + "\n", sys.stdout)
    return 0 if ok else 1
