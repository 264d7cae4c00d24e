"""`validate`: check the build of an environment, or any dashboard JSON / provisioning YAML given."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..build import Project, build_resources
from ..checks.config import RuleConfig, apply_checks_block, build_config, parse_flags
from ..checks.finding import ERROR
from ..checks.gate import check_build, environments_data
from ..checks.inputs import from_paths
from ..checks.registry import RULES
from ..checks.report import as_json, human
from ..checks.runner import run_checks
from ..contract import DEFAULT_CONTRACT
from ..errors import InputError, UsageError

HELP = "check the build (or dashboard JSON / provisioning YAML files given) against schemas and lint rules"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="dashboard JSON or provisioning YAML files or folders (default: the build of --env)")
    parser.add_argument("--format", choices=("human", "json"), default="human", help="output format")
    parser.add_argument("--disable", action="append", metavar="RULE", help="turn a rule off (repeatable)")
    parser.add_argument("--severity", action="append", metavar="RULE=LEVEL",
                        help="set a rule to error, warning or off (repeatable)")
    parser.add_argument("--list-rules", action="store_true", help="print the rules and exit")


def _flag_overrides(args: argparse.Namespace) -> dict[str, str]:
    """--disable/--severity, checked before any work so a typo is a usage error (exit 2)."""
    overrides = parse_flags(args.disable, args.severity)
    try:
        RuleConfig().apply(overrides, "command line", "--severity")
    except InputError as exc:
        raise UsageError("; ".join(p.message for p in exc.problems) + f" (known rules: {', '.join(sorted(RULES))})") from None
    return overrides


def run(args: argparse.Namespace) -> int:
    if args.list_rules:
        for rule in sorted(RULES.values(), key=lambda r: r.id):
            print(f"{rule.id:28} {rule.severity:8} {rule.summary}")
        return 0
    overrides = _flag_overrides(args)
    project = Project(args.root)
    if args.paths:
        env_file = project.environments_file
        # Outside a project (linting dashboards made in the UI) the default contract applies.
        env = project.environment(args.env) if env_file.is_file() else None
        contract = env.contract if env else DEFAULT_CONTRACT
        config = RuleConfig()
        if env:
            apply_checks_block(config, environments_data(env).get("checks"), str(env_file))
        config.apply(overrides, "command line", "--severity")
        findings = run_checks(from_paths([Path(p) for p in args.paths], contract), config)
        what = f"{len(args.paths)} path{'s' if len(args.paths) != 1 else ''}"
    else:
        env = project.environment(args.env)
        resources = build_resources(project, env)
        config = build_config(environments_data(env), env.source)
        config.apply(overrides, "command line", "--severity")
        findings = check_build(resources, env, config)
        what = f"environment {env.name} ({len(resources)} resources)"
    print(as_json(findings, what) if args.format == "json" else human(findings, what),
          file=sys.stdout)
    return 1 if any(f.severity == ERROR for f in findings) else 0
