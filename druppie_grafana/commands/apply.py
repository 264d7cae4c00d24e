"""`apply`: validate, plan, and push the changes to Grafana; backups first, drift refused unless --force."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..grafana.access import AccessApplier, plan_access
from ..grafana.apply import Applier, check_secrets
from ..grafana.backups import Backups
from ..grafana.plan import make_plan
from ..redaction import one_line
from .plan import add_common, prepare

HELP = "push the definitions to Grafana (folders, datasources, dashboards); exit 0 only if everything applied"


def add_arguments(parser: argparse.ArgumentParser) -> None:
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


def run(args: argparse.Namespace) -> int:
    project, env, resources, client = prepare(args)
    check_secrets(resources, os.environ, client)
    backups = Backups(args.backup_dir or project.root / "backups", env.name)
    backups.check_writable()  # before anything is sent: a change we could not back up is not made
    plan = make_plan(client, env.name, resources, prune=args.prune, workers=args.workers, owner=env.owner,
                     expected_version=env.grafana_version)
    access = AccessApplier(client, plan_access(client, env, resources, warn=False), force=args.force,
                           backups=backups, report=print)  # the OSS warning was the gate's one line
    applier = Applier(client, force=args.force, take_over=args.take_over, workers=args.workers, environ=os.environ,
                      backups=backups)
    writes_before = client.counts["write"]
    print(f"Applying environment {env.name} to {client.redact(client.settings.url)} as {env.owner}:")
    if plan.server is not None:
        print(f"  {plan.server.describe()}")
    for warning in plan.warnings:
        print(f"  {warning}")
    result = applier.apply(plan, access)
    # targets not in this plan's phases (none today) and teams: whatever the phases did not reach
    reached = {o.label for o in access.outcomes}
    for change in access.plan.changes:
        if change.label not in reached:
            access.apply(change)
    if plan.orphans:
        print(f"  kept      {len(plan.orphans)} owned resource(s) no longer defined (--prune deletes them): "
              + ", ".join(one_line(c.label) for c in plan.orphans))
    for change in plan.foreign:
        print(f"  kept      {one_line(change.label)}: {change.blocked}")
    if backups.written:
        print(f"  backups   {len(backups.written)} file(s) in {backups.folder}")
    if not args.no_health:
        for uid, status, message in applier.health(resources, result.outcomes):
            print(client.redact(one_line(f"  health    datasource {uid}: {status}" + (f" ({message})" if message else ""))))
    access_ok = all(o.ok for o in access.outcomes)
    print(result.summary(ok=result.ok and access_ok, writes=client.counts["write"] - writes_before,
                         access=access.outcomes))
    return 0 if result.ok and access_ok else 1
