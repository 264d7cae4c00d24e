"""`new dashboard NAME` / `new datasource ROLE`: write a working, documented definition to start from."""

from __future__ import annotations

import argparse
import re
from importlib import resources
from pathlib import Path

from ..build import Project, checked_resources
from ..errors import DruppieError, UsageError
from ..definitions import definition_files
from ..resources import uid_problem

HELP = "write a new dashboard or datasource definition that builds and validates as written"
ROLES = ("tempo", "loki", "prometheus")  # the roles environments.yaml gives endpoints for
NAME = re.compile(r"[a-z][a-z0-9_]{0,38}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=("dashboard", "datasource"), help="what to make")
    parser.add_argument("name", metavar="NAME", help="dashboard: a file name such as llm_costs; datasource: its role")
    parser.add_argument("--title", default=None, help="the title (default: from NAME)")
    parser.add_argument("--uid", default=None, help="the uid (default: druppie-NAME with dashes)")


def definition_roles(folder: Path) -> dict[str, Path]:
    """ROLE -> file of the datasource definitions in `folder` (read as text: nothing is imported)."""
    out = {}
    for path in definition_files(folder):
        match = re.search(r"^ROLE\s*=\s*[\"']([^\"']+)[\"']", path.read_text(encoding="utf-8"), re.M)
        if match:
            out[match.group(1)] = path
    return out


def _template(name: str) -> str:
    return resources.files(__package__.rsplit(".", 1)[0]).joinpath("scaffolds", name).read_text("utf-8")


def run(args: argparse.Namespace) -> int:
    project = Project(args.root)
    if not project.environments_file.is_file():
        raise UsageError(f"{args.root} has no environments.yaml: run `new` in a project folder (or pass --root)")
    if args.what == "dashboard":
        if not NAME.fullmatch(args.name):
            raise UsageError(f"dashboard name {args.name!r}: use lowercase letters, digits and _ (a Python module "
                             "name, up to 39 characters), e.g. llm_costs")
        folder, default_uid = project.root / "dashboards", "druppie-" + args.name.replace("_", "-")
        title = args.title or args.name.replace("_", " ").capitalize()
    else:
        if args.name not in ROLES:
            raise UsageError(f"datasource role {args.name!r}: one of {', '.join(ROLES)} (the roles "
                             "environments.yaml has endpoints for)")
        folder, default_uid = project.root / "datasources", f"druppie-{args.name}"
        title = args.title or f"Druppie {args.name.capitalize()}"
        taken = definition_roles(folder)
        if args.name in taken:
            raise UsageError(f"a datasource with ROLE = {args.name!r} is already defined in {taken[args.name]}; "
                             "edit that file (two definitions of one role would be ambiguous)")
    uid = args.uid or default_uid
    problem = uid_problem(uid)
    if problem:
        raise UsageError(f"--uid: {problem}")
    path = folder / f"{args.name}.py"
    if path.exists():
        raise UsageError(f"{path} exists already; nothing was written (choose another NAME, or edit that file)")
    text = _template(f"{args.what}.py.txt")
    for key, value in (("@@NAME@@", args.name), ("@@ROLE@@", args.name), ("@@UID@@", uid), ("@@TITLE@@", title)):
        text = text.replace(key, value)
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:  # it must build and pass every check as written: otherwise it is no scaffold
        checked_resources(project, project.environment(args.env))
    except DruppieError:
        path.unlink()
        raise
    print(f"wrote {path.relative_to(project.root)} ({args.what} {uid!r}); it builds and validates as written.")
    print("next: edit it, then `python provision.py validate` and `python provision.py plan`.")
    return 0
