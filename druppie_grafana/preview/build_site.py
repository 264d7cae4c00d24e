"""What the preview shows, gathered from a built environment or from dashboard files given on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..checks.finding import Finding
from ..contract import Contract
from ..resources import DASHBOARD, DATASOURCE, Resource
from .site import Board, site


def _findings_by_file(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.file, []).append(f)
    return out


def _site(boards: list[Board], datasources: list[dict], correlations: dict[str, list], findings: Sequence[Finding],
          heading: str, contract: Contract) -> dict[str, str]:
    from .chain import chain_page
    from .tryit import tryit_page
    names = {str(d.get("uid")): str(d.get("name") or d.get("uid")) for d in datasources}
    sources = {b.source for b in boards}
    general = [f for f in findings if f.file not in sources]
    return site(boards, heading, names, general,
                [lambda bs: chain_page(bs, datasources, correlations),
                 lambda bs: tryit_page(datasources, contract)])


def environment_site(resources: Sequence[Resource], findings: Sequence[Finding], env_name: str,
                     contract: Contract) -> dict[str, str]:
    by_file = _findings_by_file(findings)
    boards = [Board(r.uid, r.spec, r.source, by_file.get(r.source, [])) for r in resources if r.kind == DASHBOARD]
    datasources = [r.spec for r in resources if r.kind == DATASOURCE]
    correlations = {r.uid: list(r.correlations) for r in resources if r.kind == DATASOURCE and r.correlations}
    return _site(boards, datasources, correlations, findings, f"Environment {env_name}", contract)


def files_site(paths: Sequence[Path], contract: Contract) -> dict[str, str]:
    """Foreign dashboards (classic JSON, API payloads) and provisioning YAML given as paths."""
    from ..checks.inputs import from_paths
    from ..checks.runner import run_checks
    from ..checks.config import FILES_PROFILE, RuleConfig
    checked = from_paths(paths, contract)
    config = RuleConfig()
    config.apply(FILES_PROFILE, "druppie_grafana/checks/config.py", "FILES_PROFILE")
    by_file = _findings_by_file(run_checks(checked, config))
    boards = [Board(str(d.data.get("uid") or ""), d.data, d.file, by_file.get(d.file, [])) for d in checked.dashboards]
    datasources = [dict(e.spec) for e in checked.datasources]
    findings = [f for fs in by_file.values() for f in fs]
    return _site(boards, datasources, {}, findings, f"{len(boards)} dashboards from {len(paths)} paths", contract)
