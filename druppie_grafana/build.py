"""Build: definitions + environment -> resources -> output files. Pure: no network, same bytes each time."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from .checks.finding import Finding
from .checks.gate import validation_gate, warning_line
from .definitions import BuildContext, Definition, load_definitions, traceback_problem
from .environments import ENVIRONMENTS_FILE, Environment, load_environments
from .errors import InputError, Problem
from .outputs.api import api_files
from .outputs.helm_values import helm_files
from .outputs.kubernetes import kubernetes_files
from .outputs.provisioning import provisioning_files
from .resources import DASHBOARD, DATASOURCE, FOLDER, Resource, uid_problem
from .loading import depth_exceeds
from .serialize import non_finite_paths, plain

# Output adapters: each maps resources to {relative path: text}. Later outputs (Kubernetes) add here.
OutputAdapter = Callable[[list[Resource], Environment], dict[str, str]]
OUTPUTS: list[OutputAdapter] = [
    lambda resources, env: provisioning_files(resources, env),
    api_files,  # api/: what apply sends (dashboards as the v2 object in a v2 environment)
    kubernetes_files,  # k8s/: ConfigMaps/Secret for the Grafana chart's sidecars, kustomization.yaml
    helm_files,  # helm/: values for tempo, opentelemetry-collector, grafana sidecars, loki
]

# Gates run on the built resources before anything is written or pushed. Each returns its findings
# (warnings: errors raise InputError, and the resources go no further).
Gate = Callable[[list[Resource], Environment], list[Finding]]
GATES: list[Gate] = [validation_gate]


@dataclass(frozen=True)
class Project:
    """A checkout with environments.yaml, datasources/ and dashboards/."""

    root: Path

    @property
    def environments_file(self) -> Path:
        return self.root / ENVIRONMENTS_FILE

    def environment(self, name: str | None) -> Environment:
        return load_environments(self.environments_file).get(name)

    def output_dir(self, env: Environment) -> Path:
        return self.root / "build" / env.name


def _declared_uids(defs: list[Definition], kind: str, problems: list[Problem]) -> dict[str, str]:
    """Definition key -> UID, checking each UID's format; duplicates are checked over all kinds later."""
    uids = {}
    for d in defs:
        uid = d.attr("UID")
        reason = uid_problem(uid)
        if reason:
            problems.append(Problem(str(d.path), "UID", reason,
                                    "set UID = '...' at module level: 1-40 characters of [A-Za-z0-9_-]"))
            continue
        key = d.attr("ROLE", d.name) if kind == DATASOURCE else d.name
        if not callable(d.attr("build")):
            problems.append(Problem(str(d.path), "build", "the definition has no build(ctx) function",
                                    "define def build(ctx): returning the resource"))
            continue
        uids[key] = uid
    return uids


def _check_unique(resources: list[Resource], problems: list[Problem]) -> None:
    # Folders and dashboards share one uid space in Grafana; datasources have their own.
    seen: dict[tuple[str, str], Resource] = {}
    for res in resources:
        space = "datasource" if res.kind == DATASOURCE else "dashboard"
        other = seen.get((space, res.uid))
        if other is not None:
            problems.append(Problem(res.source, "UID", f"uid {res.uid!r} is also used by {other.source or other}",
                                    "give each resource its own uid"))
        seen[(space, res.uid)] = res


def _call(defn: Definition, ctx: BuildContext, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        spec = plain(defn.attr("build")(ctx), keep_secrets=True)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - user code: any failure is a reported problem
        problems.append(traceback_problem(defn.path, exc, "build(ctx)"))
        return None
    if not isinstance(spec, dict):
        problems.append(Problem(str(defn.path), "build", f"build(ctx) returned {type(spec).__name__}, not a mapping",
                                "return a dict or a grafanalib object with to_json_data()"))
        return None
    bad = non_finite_paths(spec)
    if bad:  # json.dumps would write NaN/Infinity, which is not JSON and which Grafana refuses
        problems += [Problem(str(defn.path), path, "build(ctx) returned NaN or Infinity, which JSON cannot carry",
                             "use a finite number, or None for 'unset'") for path in bad]
        return None
    if depth_exceeds(spec):
        problems.append(Problem(str(defn.path), "build", "build(ctx) returned data nested more than 100 levels deep",
                                "a dashboard or datasource is far shallower; check for a structure that contains itself"))
        return None
    return spec


def build_resources(project: Project, env: Environment) -> list[Resource]:
    """Every resource the definitions describe for env; all problems raised together."""
    problems: list[Problem] = []
    ds_defs = load_definitions(project.root / "datasources", problems)
    db_defs = load_definitions(project.root / "dashboards", problems)
    ctx = BuildContext(env=env,
                       datasource_uids=_declared_uids(ds_defs, DATASOURCE, problems),
                       dashboard_uids=_declared_uids(db_defs, DASHBOARD, problems))
    folder = {"uid": env.folder_uid, "title": env.folder_title}
    if env.folder_parent:
        folder["parentUid"] = env.folder_parent
    resources = [Resource(FOLDER, env.folder_uid, folder, source=env.source)]
    for kind, defs in ((DATASOURCE, ds_defs), (DASHBOARD, db_defs)):
        declared = set(ctx.datasource_uids.values() if kind == DATASOURCE else ctx.dashboard_uids.values())
        for defn in defs:
            if defn.attr("UID") not in declared:
                continue
            spec = _call(defn, ctx, problems)
            if spec is None:
                continue
            uid = defn.attr("UID")
            if spec.setdefault("uid", uid) != uid:
                problems.append(Problem(str(defn.path), "build", f"build(ctx) returned uid {spec['uid']!r} but UID is {uid!r}",
                                        "let build() use UID, or leave uid out of what it returns"))
                continue
            if kind == DASHBOARD:
                spec.pop("id", None)  # Grafana assigns ids; a fixed id breaks import into another instance
            correlations = spec.pop("correlations", None) if kind == DATASOURCE else None
            if correlations is not None and not (isinstance(correlations, list)
                                                 and all(isinstance(c, dict) for c in correlations)):
                problems.append(Problem(str(defn.path), "build", "build(ctx) returned correlations that are not "
                                        "a list of mappings", "return correlations: [query_correlation(...), ...]"))
                continue
            resources.append(Resource(kind, uid, spec, folder=env.folder_uid if kind == DASHBOARD else None,
                                      source=str(defn.path), correlations=tuple(correlations or ())))
    _check_unique(resources, problems)
    if problems:
        raise InputError(problems)
    return resources


def render(resources: list[Resource], env: Environment) -> dict[str, str]:
    """Relative path -> text, from every output adapter."""
    files: dict[str, str] = {}
    for adapter in OUTPUTS:
        files.update(adapter(resources, env))
    return dict(sorted(files.items()))


def write_tree(files: dict[str, str], dest: Path) -> None:
    """Replace dest with exactly these files; a failure part-way leaves the old dest as it was."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.new-", dir=dest.parent))
    old = dest.parent / f".{dest.name}.old-{os.getpid()}"
    try:
        for rel, text in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        if dest.exists():
            dest.rename(old)
        staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if old.exists() and not dest.exists():
            old.rename(dest)
        raise
    shutil.rmtree(old, ignore_errors=True)


@dataclass(frozen=True)
class Checked:
    """Resources that passed every gate, the gates' findings, and the files every output adapter made."""

    resources: list[Resource]
    findings: list[Finding]
    files: dict[str, str]

    @property
    def warnings(self) -> list[str]:
        return [warning_line(f) for f in self.findings]


def check(project: Project, env: Environment) -> Checked:
    """Build, gate and render: what build, validate, plan and apply all go through, so an input one
    verb refuses (an output adapter's refusal included) is refused by every verb."""
    resources = build_resources(project, env)
    findings: list[Finding] = []
    for gate in GATES:
        findings.extend(gate(resources, env))
    return Checked(resources, findings, render(resources, env))


def checked_resources(project: Project, env: Environment) -> tuple[list[Resource], list[str]]:
    checked = check(project, env)
    return checked.resources, checked.warnings


@dataclass(frozen=True)
class BuildResult:
    env: Environment
    resources: list[Resource]
    findings: list[Finding]  # the gate's warnings (preview shows them on their panels)
    out: Path
    files: dict[str, str]

    @property
    def warnings(self) -> list[str]:
        return [warning_line(f) for f in self.findings]


def build(project: Project, env_name: str | None) -> BuildResult:
    env = project.environment(env_name)
    checked = check(project, env)
    out = project.output_dir(env)
    write_tree(checked.files, out)
    return BuildResult(env, checked.resources, checked.findings, out, checked.files)
