"""`import PATH...`: dashboard JSON -> definition modules in dashboards/ that build back into it."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..build import Project, checked_resources
from ..errors import DruppieError, UsageError

HELP = ("turn dashboard JSON (classic or schema v2: bare, UI export, API payload, Kubernetes object) into "
        "definitions in dashboards/")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="dashboard JSON files")
    parser.add_argument("--to", type=Path, default=None, help="folder to write to (default: ROOT/dashboards)")
    parser.add_argument("--force", action="store_true", help="overwrite a definition file that exists")
    parser.add_argument("--role", action="append", default=[], metavar="UID=ROLE",
                        help="with several datasources of one type, the one that is our ROLE (tempo, loki, "
                             "prometheus); may be given once per role")


def chosen_roles(values: list[str]) -> dict[str, str]:
    """--role UID=ROLE values -> {uid: role}, or a UsageError saying what is wrong."""
    from ..importer.datasources import ROLES
    out: dict[str, str] = {}
    for value in values:
        uid, sep, role = value.rpartition("=")
        if not sep or not uid or role not in ROLES:
            raise UsageError(f"--role {value}: write UID=ROLE with ROLE one of {', '.join(ROLES)}")
        if role in out.values():
            raise UsageError(f"--role {value}: the {role} role is chosen twice; give one datasource per role")
        out[uid] = role
    return out


def ambiguity_lines(src) -> list[str]:
    """A note per datasource type the dashboard uses several of, none of them mapped to our role."""
    from ..importer.datasources import RoleMap
    from ..importer.grafana import as_loaded
    roles = RoleMap(as_loaded(src.dashboard, src.inputs), src.inputs, src.chosen_roles)
    return [f"  {len(uids)} {kind} datasources ({', '.join(uids)}): all kept as saved (FIXME in the module); "
            f"map one to our {kind} role with --role UID={kind}" for kind, uids in roles.ambiguous.items()]


def report_lines(result) -> list[str]:
    """The round trip of one import, in lines for the terminal."""
    if result.error:
        return [f"  the module does not build: {result.error}"]
    lines = []
    if not (result.dropped or result.differences):
        lines.append("  round trip: builds back into the same dashboard (after Grafana's own normalisation)")
    if result.moved:
        lines.append(f"  placed as Grafana displays it: its grid moves {len(result.moved)} panel(s) from where they "
                     "were saved (the module's comment lists them too):")
        lines += [f"    {m}" for m in result.moved]
    if result.dropped:
        lines.append(f"  legacy keys the build drops ({len(result.dropped)}): " + "; ".join(result.dropped[:5])
                     + (" ..." if len(result.dropped) > 5 else ""))
    if result.differences:
        lines.append(f"  differs from the original in {len(result.differences)} place(s):")
        lines += [f"    {d}" for d in result.differences[:10]]
    return lines


def refusal(src, result) -> str:
    """One message for a dashboard import will not write: what is wrong as saved and what to fix."""
    if result.broken:
        head = f"{src.origin}: the dashboard is broken as saved; fix it (in Grafana or in the JSON) and import it again:"
    else:
        head = f"{src.origin}: datasource references without a plugin type; give each its type and import it again:"
    return "\n".join([head] + [f"  - {p}" for p in result.broken + result.refused])


def _check_chosen_are_used(chosen: dict[str, str], sources: list) -> None:
    from ..importer.datasources import refs
    used = {str(r.get("uid")) for src in sources for r in refs(src.dashboard)}
    unused = sorted(uid for uid in chosen if uid not in used)
    if unused:
        raise UsageError(f"--role names {', '.join(unused)}, which no dashboard given references; nothing was written")


def run(args: argparse.Namespace) -> int:
    from ..importer.emit import module_text
    from ..importer.naming import module_name
    from ..importer.read import read
    from ..importer.roundtrip import compare

    project = Project(args.root)
    folder = (args.to if args.to is not None else project.root / "dashboards").resolve()
    sources = [read(Path(p)) for p in args.paths]  # every file read before anything is written
    chosen = chosen_roles(args.role)
    for src in sources:
        src.chosen_roles = chosen
    _check_chosen_are_used(chosen, sources)
    planned: dict[Path, tuple] = {}
    for src in sources:
        path = folder / f"{module_name(src.dashboard.get('uid'), Path(src.origin).stem)}.py"
        if path in planned:
            raise UsageError(f"{src.origin} and {planned[path][0].origin} would both be written to {path}; "
                             "import them one at a time")
        if path.exists() and not args.force:
            raise UsageError(f"{path} exists already; nothing was written (pass --force to overwrite it)")
        text = module_text(src, path.stem)
        planned[path] = (src, text, compare(src, text, path.stem))
    unfit = [refusal(src, result) for src, _, result in planned.values() if result.broken or result.refused]
    if unfit:
        raise DruppieError("\n".join(unfit) + "\nnothing was written")
    folder.mkdir(parents=True, exist_ok=True)
    status = 0
    for path, (src, text, result) in planned.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path} from {src.origin} ({src.form})")
        for line in report_lines(result) + ambiguity_lines(src):
            print(line)
        status = status or (0 if not result.error else 1)
    if folder == (project.root / "dashboards").resolve() and project.environments_file.is_file():
        try:
            checked_resources(project, project.environment(args.env))
            print("validate: the project builds and validates with the imported dashboards")
        except DruppieError as exc:
            print(f"validate refuses the project now; fix the imported definitions:\n{exc}")
            status = 1
    return status
