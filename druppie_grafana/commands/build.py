"""`build`: write the provisioning layout and API form for one environment."""

from __future__ import annotations

import argparse

from ..build import Project, build

HELP = "write build/<env>/ (provisioning files and API form); the default verb"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    project = Project(args.root)
    env, resources, out, files = build(project, args.env)
    print(f"built environment {env.name}: {len(resources)} resources -> {out}")
    for rel in files:
        print(f"  wrote {out.relative_to(project.root) / rel}")
    return 0
