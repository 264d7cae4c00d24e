"""`apply`: validate, plan, and push the changes to Grafana; backups first, drift refused unless --force."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..access import apply_access, plan_access
from ..apply import Applier, check_secrets
from ..backups import Backups
from ..plan import make_plan
from .plan import add_common, prepare

HELP = "push the definitions to Grafana (folders, datasources, dashboards); exit 0 only if everything applied"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("--force", action="store_true",
                        help="overwrite resources changed in Grafana since our last apply, and take over "
                             "same-uid resources we did not create (backed up first)")
    parser.add_argument("--backup-dir", type=Path, default=None,
                        help="where copies of overwritten or deleted JSON go (default: <root>/backups)")
    parser.add_argument("--no-health", action="store_true", help="skip the datasource health checks")


def run(args: argparse.Namespace) -> int:
    project, env, resources, client = prepare(args)
    check_secrets(resources, os.environ, client)
    plan = make_plan(client, env.name, resources, prune=args.prune, workers=args.workers)
    backups = Backups(args.backup_dir or project.root / "backups", env.name, redact=client.redact)
    applier = Applier(client, force=args.force, workers=args.workers, environ=os.environ, backups=backups)
    access = plan_access(client, env, resources)
    print(f"Applying environment {env.name} to {client.settings.url}:")
    result = applier.apply(plan)
    # permissions after the folders and datasources exist; none on a resource that was not applied
    not_applied = {(o.change.kind, o.change.uid) for o in result.outcomes if not o.ok}
    writes_before_access = client.counts["write"]
    access_outcomes = apply_access(client, access, skip=not_applied)
    access_writes = client.counts["write"] - writes_before_access
    for outcome in access_outcomes:
        print(client.redact(outcome.line()))
    for warning in access.warnings:
        print(warning)
    if plan.orphans:
        print(f"  kept      {len(plan.orphans)} owned resource(s) no longer defined (--prune deletes them): "
              + ", ".join(c.label for c in plan.orphans))
    if result.backups:
        print(f"  backups   {len(result.backups)} file(s) in {backups.folder}")
    if not args.no_health:
        for uid, status, message in applier.health(resources, result.outcomes):
            print(client.redact(f"  health    datasource {uid}: {status}" + (f" ({message})" if message else "")))
    access_ok = all(o.ok for o in access_outcomes)
    summary = result.summary() if access_ok else result.summary().replace("Apply complete", "Apply INCOMPLETE")
    if access_outcomes:
        summary += (f" Access: {access_writes} write requests"
                    + ("." if access_ok else f", {sum(not o.ok for o in access_outcomes)} step(s) not applied."))
    print(summary)
    return 0 if result.ok and access_ok else 1
