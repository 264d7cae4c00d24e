"""Environments (dev, test, prod): where Grafana and the datasources live, from one YAML file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .audit_trail import AuditTrail, audit_trail
from .contract import Contract
from .errors import InputError, Problem
from .loading import load_document
from .schema import schema_problems
from .secrets import SecretRef
from .urls import CREDENTIALS_HINT, url_problem

ENVIRONMENTS_FILE = "environments.yaml"
DEFAULT_DASHBOARDS_PATH = "/etc/grafana/provisioning/dashboards/druppie"
DEFAULT_GRAFANA_VERSION = "11.6"
DEFAULT_PROJECT = "druppie-grafana"  # the owner's project when environments.yaml names none


AUTO = "auto"
LATEST_SCHEMA_VERSION = 42  # 12.2 through 13.2 (migrations.go LATEST_VERSION; npm @grafana/schema 13.2.3)


def schema_version_for(grafana_version: str) -> int:
    """The dashboard schemaVersion that a Grafana release writes (grafana13.md section 1): 42 came with
    12.2 (PR #110517), so 12.0/12.1 stop at 41 like 11.6; `auto` takes the newest released."""
    if grafana_version == AUTO:
        return LATEST_SCHEMA_VERSION
    major, minor = (int(p) for p in grafana_version.split(".")[:2])
    if (major, minor) >= (12, 2):
        return LATEST_SCHEMA_VERSION
    if (major, minor) >= (11, 6):
        return 41
    if (major, minor) >= (11, 3):
        return 40
    return 39


DASHBOARD_SCHEMAS = ("v1", "v2")


def default_dashboard_schema(grafana_version: str) -> str:
    """v2 (dynamic dashboards) where Grafana 13 is the target: its UI loads, saves and exports v2, so a
    classic dashboard becomes v2 the first time someone edits it (grafana13.md section 1); v1 below."""
    return "v2" if dashboard_schema_v2_problem(grafana_version) is None else "v1"


def dashboard_schema_v2_problem(grafana_version: str) -> str | None:
    """Why a target release cannot take v2 dashboards in our output forms, or None. 12.x serves v2 only
    as v2beta1 (v2alpha1 on 12.0/12.1) and its classic file provisioning and legacy POST refuse any v2
    body; the wrapped dashboard.grafana.app/v2 object is accepted from 13.0 on (facts.md sections 1, 4, 7)."""
    if grafana_version == AUTO:
        return None
    major = int(grafana_version.split(".")[0])
    if major >= 13:
        return None
    return (f"Grafana {grafana_version} does not take dashboard.grafana.app/v2: 12.x serves only v2beta1 "
            "(v2alpha1 on 12.0/12.1) and its file provisioning refuses v2 dashboards; 13.0 is the first that "
            "accepts the v2 object")


def same_release(wanted: str, actual: str) -> bool:
    """Whether a server's version is the release environments.yaml names (major.minor; auto matches all)."""
    if wanted == AUTO or not actual:
        return True
    return wanted.split(".")[:2] == actual.split("-")[0].split(".")[:2]


@dataclass(frozen=True)
class Endpoint:
    """How Grafana reaches one datasource backend."""

    url: str
    basic_auth_user: str | None = None
    basic_auth_password: SecretRef | None = None
    headers: tuple[tuple[str, SecretRef], ...] = ()
    tenant: str | None = None
    timeout: int | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "") -> "Endpoint":
        basic = data.get("basic_auth") or {}
        return cls(
            url=data["url"].rstrip("/"),
            basic_auth_user=basic.get("user"),
            basic_auth_password=SecretRef.from_mapping(basic["password"], f"{where}.basic_auth.password") if basic else None,
            headers=tuple(sorted((k, SecretRef.from_mapping(v, f"{where}.headers.{k}"))
                                 for k, v in (data.get("headers") or {}).items())),
            tenant=data.get("tenant"),
            timeout=data.get("timeout"),
        )


@dataclass(frozen=True)
class Environment:
    name: str
    source: str
    grafana_url: str
    org_id: int
    grafana_version: str
    folder_uid: str
    folder_title: str
    endpoints: Mapping[str, Endpoint]
    contract: Contract
    token: SecretRef | None = None
    basic_user: str | None = None
    basic_password: SecretRef | None = None
    ca_bundle: str | None = None
    verify_tls: bool = True
    edition: str = "oss"
    folder_access: Mapping[str, Any] = field(default_factory=dict)
    dashboards_path: str = DEFAULT_DASHBOARDS_PATH
    editable_datasources: bool = False
    k8s_namespace: str = "monitoring"
    project: str = DEFAULT_PROJECT
    folder_parent: str | None = None
    audit: AuditTrail | None = None  # retention and storage of traces and logs (audit_trail.py)
    dashboards_schema: str = "v1"  # v1 (classic JSON) or v2 (dynamic dashboards: outputs/v2)

    @property
    def owner(self) -> str:
        """The mark apply writes on what it creates; prune deletes only what carries it verifiably."""
        return f"{self.project}/{self.name}"

    @property
    def schema_version(self) -> int:
        return schema_version_for(self.grafana_version)

    def endpoint(self, role: str) -> Endpoint:
        return self.endpoints[role]


@dataclass(frozen=True)
class EnvironmentsFile:
    path: Path
    default: str
    raw: Mapping[str, Any]

    @property
    def names(self) -> list[str]:
        return sorted(self.raw["environments"])

    def get(self, name: str | None) -> Environment:
        name = name or self.default
        if name not in self.raw["environments"]:
            raise InputError([Problem(str(self.path), f"$.environments.{name}",
                                      f"unknown environment {name!r}",
                                      f"choose one of: {', '.join(self.names)}")])
        return _environment(name, self.raw["environments"][name], self.raw.get("contract"), str(self.path),
                             self.raw.get("project", DEFAULT_PROJECT))


def _contract(global_overrides: Mapping | None, env_overrides: Mapping | None, source: str, env: str) -> Contract:
    merged = {**(global_overrides or {}), **(env_overrides or {})}
    try:
        return Contract.from_mapping(merged)
    except (ValueError, TypeError) as exc:
        raise InputError([Problem(source, f"$.environments.{env}.contract", str(exc),
                                  "see druppie_grafana/contract.py for the fields and their meaning")]) from None


def _environment(name: str, data: Mapping[str, Any], global_contract, source: str, project: str) -> Environment:
    grafana = data["grafana"]
    auth = grafana.get("auth") or {}
    basic = auth.get("basic") or {}
    folder = data.get("folder") or {"uid": "druppie-traceability", "title": "Druppie Traceability"}
    provisioning = data.get("provisioning") or {}
    version = str(grafana.get("version", DEFAULT_GRAFANA_VERSION))
    schema = (data.get("dashboards") or {}).get("schema") or default_dashboard_schema(version)
    if schema == "v2" and dashboard_schema_v2_problem(version):
        raise InputError([Problem(source, f"$.environments.{name}.dashboards.schema",
                                  f"v2 dashboards for this target: {dashboard_schema_v2_problem(version)}",
                                  "set dashboards.schema: v1, or grafana.version to 13.x or auto")])
    return Environment(
        name=name,
        source=source,
        grafana_url=grafana["url"].rstrip("/"),
        org_id=grafana.get("org_id", 1),
        grafana_version=version,
        folder_uid=folder["uid"],
        folder_title=folder["title"],
        folder_access=folder.get("access") or {},
        folder_parent=folder.get("parent"),
        endpoints={role: Endpoint.from_mapping(ep, f"{source}: $.environments.{name}.datasources.{role}")
                   for role, ep in sorted(data["datasources"].items())},
        contract=_contract(global_contract, data.get("contract"), source, name),
        token=(SecretRef.from_mapping(auth["token"], f"{source}: $.environments.{name}.grafana.auth.token")
               if "token" in auth else None),
        basic_user=basic.get("user"),
        basic_password=(SecretRef.from_mapping(basic["password"], f"{source}: $.environments.{name}.grafana.auth.basic.password")
                        if basic else None),
        ca_bundle=grafana.get("ca_bundle"),
        verify_tls=grafana.get("verify_tls", True),
        edition=grafana.get("edition", "oss"),
        dashboards_path=provisioning.get("dashboards_path", DEFAULT_DASHBOARDS_PATH),
        editable_datasources=provisioning.get("editable_datasources", False),
        k8s_namespace=(data.get("kubernetes") or {}).get("namespace", "monitoring"),
        project=project,
        audit=audit_trail(name, data.get("audit"), source),
        dashboards_schema=schema,
    )


def _url_problems(data: Mapping[str, Any], source: str) -> list[Problem]:
    """Every URL of every environment: http(s), a host, no credentials (the message never repeats the URL)."""
    problems = []
    for name, env in sorted(data["environments"].items()):
        places = [("grafana.url", env["grafana"]["url"])]
        places += [(f"datasources.{role}.url", ep["url"]) for role, ep in sorted(env["datasources"].items())]
        for where, url in places:
            problem = url_problem(url)
            if problem:
                hint = CREDENTIALS_HINT if "credentials" in problem else "for example https://grafana.example.org"
                problems.append(Problem(source, f"$.environments.{name}.{where}", f"the URL {problem}", hint))
    return problems


def load_environments(path: Path) -> EnvironmentsFile:
    """Parse and check the environments file; every problem is reported at once."""
    data = load_document(path)
    source = str(path)
    problems = schema_problems(data, "environments", source,
                               hint="see README.md 'Environments' for the format; credentials are {env: VAR} or {file: PATH}")
    problems = problems or _url_problems(data, source)
    if problems:
        raise InputError(problems)
    names = sorted(data["environments"])
    default = data.get("default", "dev" if "dev" in names else names[0])
    if default not in names:
        raise InputError([Problem(source, "$.default", f"default environment {default!r} is not defined",
                                  f"choose one of: {', '.join(names)}")])
    envs = EnvironmentsFile(path=path, default=default, raw=data)
    # Build every environment once so a bad contract or version shows up whichever one is built.
    contract_problems: list[Problem] = []
    for name in names:
        try:
            envs.get(name)
        except InputError as exc:
            contract_problems.extend(exc.problems)
    if contract_problems:
        raise InputError(contract_problems)
    return envs
