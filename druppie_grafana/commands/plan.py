"""`plan`: what apply would change in Grafana, as a diff; text, JSON or Markdown (for a PR comment)."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from ..checks.gate import environments_data, rule_enabled
from ..grafana.access import merge_json, plan_access
from ..build import Project, checked_resources
from ..grafana.apply import check_secrets
from ..grafana.client import client_for
from ..grafana.plan import EXIT_PENDING, RENDERERS, make_plan
from ..grafana.saved_plan import SavedPlan, definitions_hash, environment_record, parse_target, restrict, select
from ..grafana.server_validate import server_validate
from ..redaction import markdown_fence, terminal_safe
from ..style import emit
from ..trail_report import with_trail

HELP = (f"compare the definitions with Grafana and show what apply would change; exit {EXIT_PENDING} "
        "when changes are pending, 0 when none")


def add_common(parser: argparse.ArgumentParser) -> None:
    """Options plan and apply share."""
    parser.add_argument("--prune", action="store_true",
                        help="also delete resources we own (marked by druppie-grafana) that are no longer defined")
    parser.add_argument("--workers", type=worker_count, default=8, metavar="N",
                        help=f"requests in flight at once, 1 to {MAX_WORKERS} (default 8)")
    parser.add_argument("--timeout", type=timeout_seconds, default=None, metavar="SECONDS",
                        help=f"read timeout per request, more than 0 and at most {MAX_TIMEOUT:g} (default 30)")
    parser.add_argument("--target", action="append", default=[], metavar="KIND/UID",
                        help="only this resource (repeatable), e.g. dashboard/druppie-latency; --force and "
                             "--prune then apply to the targets only")


MAX_WORKERS = 64
MAX_TIMEOUT = 3600.0


def worker_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_WORKERS}, got {text!r}")
    return value


def timeout_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, "
                                         f"got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("--format", choices=sorted(RENDERERS), default="text",
                        help="text (default), json (machine-readable) or markdown (pull-request comment)")
    parser.add_argument("--verbose", "-v", action="store_true", help="also list unchanged resources")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE",
                        help="save the plan for `apply FILE`, which applies exactly it (and refuses if the "
                             "definitions or Grafana changed since); holds no secrets")
    parser.add_argument("--preview", type=Path, default=None, metavar="DIR",
                        help="also write a static site: per changed dashboard, Grafana's layout and the defined "
                             "one side by side, added/removed/moved/changed panels marked (a CI artefact)")
    parser.add_argument("--server-validate", action="store_true",
                        help="also send each dashboard and folder write with dryRun=All (Grafana 12.2+/13 /apis) "
                             "and report what Grafana itself would refuse; exit 1 if it refuses any")


def prepare(args: argparse.Namespace):
    """The checked resources (limited to --target), the environment and a client; fails before any
    request on bad input. Also sets args.definitions, the hash a saved plan records."""
    project = Project(args.root)
    env = project.environment(args.env)
    resources, warnings = checked_resources(project, env)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    args.targets = [parse_target(t) for t in args.target]
    resources = select(resources, args.targets)
    args.definitions = definitions_hash(resources, environment_record(environments_data(env), env.name))
    overrides = {"timeout": (5.0, args.timeout)} if args.timeout else {}
    client = client_for(env, os.environ, pool_size=args.workers, **overrides)
    return project, env, resources, client


def run(args: argparse.Namespace) -> int:
    _, env, resources, client = prepare(args)
    check_secrets(resources, os.environ, client)  # what apply will need, checked where the PR is reviewed
    plan = restrict(make_plan(client, env.name, resources, prune=args.prune, workers=args.workers, owner=env.owner,
                              expected_version=env.grafana_version,
                              dashboard_schema=env.dashboards_schema), args.targets)
    access = plan_access(client, env, resources, warn=rule_enabled(env, "datasources-unprotected"))
    if args.preview:
        from ..build import write_tree
        from ..preview.plan_preview import plan_site
        names = {r.uid: str(r.spec.get("name") or r.uid) for r in resources if r.kind == "Datasource"}
        write_tree(plan_site(plan, names), args.preview.resolve())
        print(f"plan preview: {args.preview.resolve() / 'index.html'}", file=sys.stderr)
    if args.out:
        SavedPlan.make(plan, access, args.definitions, args.targets).write(args.out)
        print(f"plan saved to {args.out}; apply exactly it with: druppie-grafana apply {args.out}", file=sys.stderr)
    verdicts = server_validate(client, plan) if args.server_validate else []
    extra = ""
    if args.format != "json":  # permissions and Grafana's own verdicts, before the summary
        extra = access.render_markdown() if args.format == "markdown" else access.render_text()
        if args.server_validate:
            lines = [terminal_safe(v.line()) for v in verdicts] or ["  nothing to check"]
            body = "\n".join(["Server-side validation (dryRun=All):", *lines]) + "\n"
            extra += markdown_fence(body) + "\n" if args.format == "markdown" else body
    text = RENDERERS[args.format](plan, verbose=args.verbose, extra=extra, access_changes=len(access.pending))
    text = with_trail(text, args.format, env)  # retention and storage of the audit trail, under the header
    if args.format == "json":
        data = json.loads(merge_json(text, access))
        if args.server_validate:
            data["server_validation"] = [{"kind": v.change.kind, "uid": v.change.uid, "status": v.status,
                                          "message": v.message or None} for v in verdicts]
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    emit(client.redact(text), sys.stdout)
    if any(v.status == "refused" for v in verdicts):
        return 1
    return EXIT_PENDING if plan.pending or access.pending else 0
