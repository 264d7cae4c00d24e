"""`preview`: build the environment (or read dashboard files) and write a static site of the dashboards and link chain."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..build import Project, build, write_tree

HELP = ("write build/<env>/preview/ (or --out): the dashboards on Grafana's grid, the link chain and a try-it box; "
        "no Grafana, no server, no network")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="dashboard JSON / provisioning YAML files or folders (default: the build of --env)")
    parser.add_argument("--out", type=Path, help="where to write the site (default: build/<env>/preview, "
                        "or build/preview for PATHs)")


def run(args: argparse.Namespace) -> int:
    from ..preview.build_site import environment_site, files_site
    project = Project(args.root)
    if args.paths:
        from ..contract import DEFAULT_CONTRACT
        env_file = project.environments_file
        contract = project.environment(args.env).contract if env_file.is_file() else DEFAULT_CONTRACT
        files = files_site([Path(p) for p in args.paths], contract)
        out = args.out or project.root / "build" / "preview"
    else:
        result = build(project, args.env)
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"built environment {result.env.name}: {len(result.resources)} resources -> {result.out}")
        files = environment_site(result.resources, result.findings, result.env.name, result.env.contract)  # the gate's
        out = args.out or result.out / "preview"
    write_tree(files, out.resolve())
    print(f"preview: {out.resolve() / 'index.html'} (opens from disk: no server, no network)")
    return 0
