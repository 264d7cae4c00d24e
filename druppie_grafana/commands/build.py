"""`build`: write the provisioning layout and API form for one environment."""

from __future__ import annotations

import argparse
import sys

from ..build import Project, build
from ..trail_report import trail_lines

HELP = "write build/<env>/ (provisioning files and API form); the default verb"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    project = Project(args.root)
    result = build(project, args.env)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"built environment {result.env.name}: {len(result.resources)} resources -> {result.out}")
    for line in trail_lines(result.env):  # how long the audit trail is kept, and where
        print(f"  {line}")
    for rel in result.files:
        print(f"  wrote {result.out.relative_to(project.root) / rel}")
    return 0
