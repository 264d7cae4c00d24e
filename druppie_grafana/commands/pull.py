"""`pull UID...`: what Grafana now holds for a dashboard (edited in the UI) back into code.

An imported definition (its first line is import's marker) is rewritten in place; a hand-written one
is left alone: Grafana's version goes beside it as dashboards/_pulled_NAME.py (a helper name, so the
build does not load it) with the plan's diff in _pulled_NAME.diff, to merge by hand in a pull request.
--force rewrites a hand-written definition too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError
from ..resources import DASHBOARD

HELP = "write what Grafana holds for dashboards (edited in the UI) back into their definitions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("uids", nargs="+", metavar="UID", help="dashboard uids, as plan names them")
    parser.add_argument("--force", action="store_true",
                        help="rewrite a hand-written definition (default: write a side-by-side module and a diff)")


def _grafana_copy(raw: dict) -> dict:
    """Grafana's answer without what apply stamps on it (owner, hash, our tag)."""
    from ..grafana.handlers.base import OWNER
    from ..grafana.handlers.dashboards import SERVER_FIELDS
    raw = dict(raw)
    if isinstance(raw.get("dashboard"), dict):
        dashboard = {k: v for k, v in raw["dashboard"].items() if k not in SERVER_FIELDS}
        if isinstance(dashboard.get("tags"), list):
            dashboard["tags"] = [t for t in dashboard["tags"] if t != OWNER]
        raw["dashboard"] = dashboard
    return raw


def run(args: argparse.Namespace) -> int:
    from ..grafana.plan import NOOP, make_plan
    from ..importer.emit import is_imported, module_text
    from ..importer.read import from_data
    from .plan import prepare

    args.target, args.timeout, args.workers = [f"dashboard/{uid}" for uid in args.uids], None, 8
    _, env, resources, client = prepare(args)
    plan = make_plan(client, env.name, resources, owner=env.owner, expected_version=env.grafana_version,
                     dashboard_schema=env.dashboards_schema)
    changes = {c.uid: c for c in plan.changes if c.kind == DASHBOARD}
    status = 0
    for uid in args.uids:
        change = changes[uid]
        if change.remote is None:
            print(f"{uid}: not in Grafana; nothing to pull")
            continue
        if change.action == NOOP:
            print(f"{uid}: Grafana holds what the definition builds; nothing to pull")
            continue
        if not isinstance(change.remote.raw, dict):
            raise UsageError(f"{uid}: Grafana stores it as a schema v2 dashboard; pull reads classic dashboards only "
                             "(save it as classic JSON in Grafana, or bring the change into the definition by hand)")
        source = Path(change.resource.source)
        src = from_data(_grafana_copy(change.remote.raw), f"Grafana {env.name} dashboard {uid}")
        text = module_text(src, source.stem)
        if is_imported(source.read_text(encoding="utf-8")) or args.force:
            source.write_text(text, encoding="utf-8")
            print(f"{uid}: wrote Grafana's version into {source}; review it with git diff, then plan")
            continue
        beside = source.with_name(f"_pulled_{source.stem}.py")
        diff = source.with_name(f"_pulled_{source.stem}.diff")
        beside.write_text(text, encoding="utf-8")
        diff.write_text(change.diff, encoding="utf-8")
        print(f"{uid}: {source} is hand-written, so it was left as it is (--force rewrites it). Grafana's version "
              f"is in {beside}; what differs (Grafana -> definition) is in {diff}:")
        sys.stdout.write(change.diff)
        status = 3
    return status
