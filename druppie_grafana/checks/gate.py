"""The checks as a build gate: errors stop build, plan and apply; warnings are shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..environments import Environment
from ..errors import InputError, Problem
from ..loading import load_document
from ..resources import DASHBOARD, Resource
from .config import RuleConfig, build_config, definition_ignores
from .finding import ERROR, Finding
from .inputs import from_resources
from .runner import run_checks


def environments_data(env: Environment) -> dict[str, Any]:
    path = Path(env.source)
    data = load_document(path) if path.is_file() else {}
    return data if isinstance(data, dict) else {}


def check_build(resources: list[Resource], env: Environment, config: RuleConfig | None = None) -> list[Finding]:
    """Every finding on the built resources, with the project's configuration."""
    if config is None:
        config = build_config(environments_data(env), env.source)
    ignores = {res.source: definition_ignores(res.source) for res in resources if res.kind == DASHBOARD}
    checked = from_resources(resources, env.contract, ignores)
    checked.environment = env
    return run_checks(checked, config)


def validation_gate(resources: list[Resource], env: Environment) -> list[Finding]:
    """Every finding on the built resources (kept for whoever shows them: preview); errors stop here."""
    findings = check_build(resources, env)
    errors = [f for f in findings if f.severity == ERROR]
    if errors:
        raise InputError([Problem(f.file, f.path, f"[{f.rule}] {f.message}", f.hint) for f in errors])
    return findings


def warning_line(f: Finding) -> str:
    """One line per warning: the full text is validate's (a 550-character warning on every verb buries the output)."""
    return f"[{f.rule}] {_first_sentence(f.message)} ({f.file}: {f.path}; `validate` shows the details)"


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + "." if dot else text


def rule_enabled(env: Environment, rule_id: str) -> bool:
    """Whether environments.yaml's `checks:` leaves a rule on (it governs the same warning in every verb)."""
    return build_config(environments_data(env), env.source).level(rule_id) != "off"
