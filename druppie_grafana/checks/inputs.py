"""What the checks look at: dashboards, datasource entries and whole documents, from a build or from files.

A datasource is kept twice: `raw` as written (for the `$` escaping rule) and `spec` as Grafana sees it
after provisioning interpolation (`$$` -> `$`), so every other rule reads one form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..contract import DEFAULT_CONTRACT, Contract
from ..errors import InputError, Problem
from ..loading import load_document
from ..resources import DASHBOARD, DATASOURCE, Resource
from ..secrets import SecretRef

API = "api"  # HTTP API form: a single $ is literal
PROVISIONING = "provisioning"  # provisioning YAML: $$ is a literal $, $VAR is expanded

DASHBOARD_DOC = "dashboard"
DATASOURCES_DOC = "datasources"
PROVIDERS_DOC = "providers"


@dataclass(frozen=True)
class Dashboard:
    data: dict
    file: str
    ignores: frozenset[str] = frozenset()  # rule ids this dashboard's definition opts out of

    @property
    def uid(self) -> str | None:
        uid = self.data.get("uid")
        return uid if isinstance(uid, str) else None


@dataclass(frozen=True)
class DatasourceEntry:
    spec: dict  # as Grafana sees it
    raw: dict  # as written
    file: str
    path: str  # JSON path of the entry inside its file: "$" or "$.datasources[2]"
    form: str  # API or PROVISIONING

    def at(self, *parts: Any) -> str:
        from ..errors import json_path
        return self.path + json_path(parts)[1:]

    @property
    def uid(self) -> str | None:
        return self.spec.get("uid") if isinstance(self.spec.get("uid"), str) else None

    @property
    def name(self) -> str | None:
        return self.spec.get("name") if isinstance(self.spec.get("name"), str) else None

    @property
    def type(self) -> str:
        return str(self.spec.get("type") or "")

    @property
    def org_id(self) -> int:
        org = self.spec.get("orgId", 1)
        return org if isinstance(org, int) and org > 0 else 1

    @property
    def json_data(self) -> dict:
        data = self.spec.get("jsonData")
        return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class Document:
    """A whole file for the schema checks."""

    kind: str
    data: Any
    file: str


@dataclass
class CheckInput:
    dashboards: list[Dashboard] = field(default_factory=list)
    datasources: list[DatasourceEntry] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    contract: Contract = DEFAULT_CONTRACT
    # True when `datasources` is every datasource Grafana will have (a build, or YAML given with the
    # dashboards): only then is a concrete uid that is not among them reported as unresolved.
    complete_inventory: bool = False
    environment: Any = None  # the Environment being built (None for files given on the command line)

    def datasource_by_ref(self, ref: str) -> DatasourceEntry | None:
        for entry in self.datasources:
            if entry.uid == ref:
                return entry
        return None

    def datasource_by_name(self, name: str) -> DatasourceEntry | None:
        for entry in self.datasources:
            if entry.name == name:
                return entry
        return None


def unescape_provisioning(value: Any) -> Any:
    """What Grafana's provisioning interpolation leaves of a YAML value for a literal-$ reading."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, dict):
        return {k: unescape_provisioning(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unescape_provisioning(v) for v in value]
    return value


def _without_secrets(value: Any) -> Any:
    # Secrets are never looked at, never printed: a placeholder stands in for each.
    if isinstance(value, SecretRef):
        return "<secret>"
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def from_resources(resources: Iterable[Resource], contract: Contract,
                   ignores: dict[str, frozenset[str]] | None = None) -> CheckInput:
    """The built resources (API form); ignores maps a definition file to the rules it opts out of."""
    ignores = ignores or {}
    checked = CheckInput(contract=contract, complete_inventory=True)
    for res in resources:
        spec = _without_secrets(res.spec)
        if res.kind == DASHBOARD:
            checked.dashboards.append(Dashboard(spec, res.source, ignores.get(res.source, frozenset())))
            checked.documents.append(Document(DASHBOARD_DOC, spec, res.source))
        elif res.kind == DATASOURCE:
            if res.correlations:  # checked where a provisioning YAML has them: in the datasource entry
                spec = {**spec, "correlations": [dict(c) for c in res.correlations]}
            checked.datasources.append(DatasourceEntry(spec, spec, res.source, "$", API))
            checked.documents.append(Document("datasource", spec, res.source))
    return checked


def document_kind(data: Any) -> str | None:
    """Which kind of Grafana file this is, from its content."""
    if isinstance(data, dict):
        if "datasources" in data or "deleteDatasources" in data:
            return DATASOURCES_DOC
        if "providers" in data:
            return PROVIDERS_DOC
        if any(k in data for k in ("panels", "rows", "templating", "schemaVersion", "title")):
            return DASHBOARD_DOC
        if isinstance(data.get("dashboard"), dict):  # an API payload {dashboard, folderUid, ...}
            return DASHBOARD_DOC
    return None


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files given, and the .json/.yaml/.yml files under folders given, in a stable order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in (".json", ".yaml", ".yml")))
        else:
            out.append(path)
    return out


def from_paths(paths: Iterable[Path], contract: Contract) -> CheckInput:
    """Dashboard JSON and provisioning YAML files; unreadable or unrecognised files raise InputError."""
    checked = CheckInput(contract=contract)
    problems: list[Problem] = []
    for path in expand_paths(paths):
        try:
            data = load_document(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        add_document(checked, data, str(path), problems)
    if problems:
        raise InputError(problems)
    checked.complete_inventory = bool(checked.datasources)
    return checked


def add_document(checked: CheckInput, data: Any, file: str, problems: list[Problem]) -> None:
    kind = document_kind(data)
    if kind is None:
        problems.append(Problem(file, "$", "not a dashboard, datasource or dashboard-provider file",
                                "give dashboard JSON or provisioning YAML with `datasources:` or `providers:`"))
        return
    if kind == DASHBOARD_DOC and isinstance(data.get("dashboard"), dict) and "panels" not in data:
        data = data["dashboard"]
    checked.documents.append(Document(kind, data, file))
    if kind == DASHBOARD_DOC:
        checked.dashboards.append(Dashboard(data, file))
    elif kind == DATASOURCES_DOC:
        for index, entry in enumerate(data.get("datasources") or []):
            if isinstance(entry, dict):
                checked.datasources.append(DatasourceEntry(unescape_provisioning(entry), entry, file,
                                                           f"$.datasources[{index}]", PROVISIONING))
