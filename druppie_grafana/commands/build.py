"""`build`: write the provisioning layout and API form for one environment."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from ..build import Project, build
from ..trail_report import trail_lines

HELP = "write build/<env>/ (provisioning files and API form); the default verb"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verbose", "-v", action="store_true", help="list every file written")


def run(args: argparse.Namespace) -> int:
    project = Project(args.root)
    result = build(project, args.env)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"built environment {result.env.name}: {len(result.resources)} resources -> {result.out}")
    for line in trail_lines(result.env):  # how long the audit trail is kept, and where
        print(f"  {line}")
    where = result.out.relative_to(project.root) if result.out.is_relative_to(project.root) else result.out
    if args.verbose:
        for rel in result.files:
            print(f"  wrote {where / rel}")
    else:  # one line per output form; -v lists every file
        counts = Counter(rel.split("/", 1)[0] for rel in result.files)
        print("  wrote " + ", ".join(f"{where / top}/ ({n} files)" for top, n in sorted(counts.items())))
    print(NEXT)
    return 0


NEXT = "next: `python provision.py preview` to see it, `python provision.py plan` to compare it with Grafana"
