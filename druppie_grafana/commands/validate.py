"""`validate`: check the build of an environment, or any dashboard JSON / provisioning YAML given.

Imports are lazy: `validate FILE` does not load the build (grafanalib, definitions) or the HTTP side."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import DruppieError, InputError, UsageError

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
    from ..checks.config import RuleConfig, parse_flags
    from ..checks.registry import RULES
    overrides = parse_flags(args.disable, args.severity)
    try:
        RuleConfig().apply(overrides, "command line", "--severity")
    except InputError as exc:
        raise UsageError("; ".join(p.message for p in exc.problems) + f" (known rules: {', '.join(sorted(RULES))})") from None
    return overrides


def _files_summary(paths: list[str], kinds: dict[str, int], skipped: int) -> str:
    names = {"dashboard": "dashboard", "datasources": "datasource file", "providers": "dashboard-provider file"}
    parts = [f"{n} {names.get(kind, kind)}{'s' if n != 1 else ''}" for kind, n in sorted(kinds.items())]
    if skipped:
        parts.append(f"{skipped} file{'s' if skipped != 1 else ''} not checked")
    where = f"{len(paths)} path{'s' if len(paths) != 1 else ''}"
    return f"{where}: {', '.join(parts) or 'no files'}"


def _check_paths(args: argparse.Namespace, overrides: dict[str, str]):
    from ..checks.config import FILES_PROFILE, RuleConfig, apply_checks_block
    from ..checks.inputs import from_paths
    from ..checks.runner import run_checks
    from ..contract import DEFAULT_CONTRACT
    env_file = Path(args.root) / "environments.yaml"
    env = None
    config = RuleConfig()
    config.apply(FILES_PROFILE, "druppie_grafana/checks/config.py", "FILES_PROFILE")
    if env_file.is_file():  # inside a project: its contract and `checks:` block apply
        from ..checks.gate import environments_data
        from ..environments import load_environments
        env = load_environments(env_file).get(args.env)
        apply_checks_block(config, environments_data(env).get("checks"), str(env_file))
    # Outside a project (linting dashboards made in the UI) the default contract applies.
    contract = env.contract if env else DEFAULT_CONTRACT
    config.apply(overrides, "command line", "--severity")
    checked = from_paths([Path(p) for p in args.paths], contract)
    findings = run_checks(checked, config)
    return findings, _files_summary(args.paths, dict(checked.kinds), len(checked.skipped))


def _check_build(args: argparse.Namespace, overrides: dict[str, str]):
    from ..build import Project, build_resources
    from ..checks.config import build_config
    from ..checks.gate import check_build, environments_data
    project = Project(args.root)
    env = project.environment(args.env)
    resources = build_resources(project, env)
    config = build_config(environments_data(env), env.source)
    config.apply(overrides, "command line", "--severity")
    return check_build(resources, env, config), f"environment {env.name} ({len(resources)} resources)"


def run(args: argparse.Namespace) -> int:
    if args.list_rules:
        from ..checks.registry import RULES
        from ..checks import runner  # noqa: F401 - registers every rule
        for rule in sorted(RULES.values(), key=lambda r: r.id):
            print(f"{rule.id:28} {rule.severity:8} {rule.summary}")
        return 0
    try:
        overrides = _flag_overrides(args)
        findings, what = (_check_paths if args.paths else _check_build)(args, overrides)
    except DruppieError as exc:
        if args.format != "json":
            raise
        # CI reads stdout as JSON: a run that could not start is a JSON document too.
        print(json.dumps({"checked": None, "errors": 1, "warnings": 0, "findings": [],
                          "failure": str(exc), "exit_code": exc.exit_code}, indent=2, ensure_ascii=False))
        return exc.exit_code
    from ..checks.finding import ERROR
    from ..checks.report import as_json, human
    print(as_json(findings, what) if args.format == "json" else human(findings, what), file=sys.stdout)
    return 1 if any(f.severity == ERROR for f in findings) else 0
