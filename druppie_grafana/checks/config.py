"""Rule configuration: disable a rule, change its severity, or let one dashboard opt out of rules.

Layers, later wins: each rule's default severity; the profile (the project's own build is stricter,
because there the contract is known to be right and every dashboard is complete); the `checks:` block
of environments.yaml; command-line flags. A dashboard definition opts out with a module-level
`LINT_IGNORE = {"rule-id": "why"}`, read without importing the module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import InputError, Problem
from .finding import ERROR, SEVERITIES, WARNING
from .registry import RULES

OFF = "off"
IGNORE_ATTRIBUTE = "LINT_IGNORE"

# In the project's own build, these mean the Druppie stack would not work, so they stop the build.
BUILD_PROFILE = {"contract-mismatch": ERROR, "variable-undefined": ERROR}
# Linting files made elsewhere (`validate PATH`): overlapping gridPos is how generated dashboards
# (grafonnet, jsonnet mixins) leave placement to Grafana's gravity; on the 211 dashboards of
# tests/corpus it fired 58 times in 14 files and never meant a broken dashboard. In the project's
# own build, where the layout is ours, it stays a warning.
# Likewise schema-version-old: grafonnet-lib writes schemaVersion 14 with gridPos (5 of 211 there, 4 of 36
# in ../shared/corpus), and Grafana loads them; in the build it says a grafanalib object went unconverted.
FILES_PROFILE = {"gridpos-overlap": OFF, "schema-version-old": OFF}


@dataclass
class RuleConfig:
    severity: dict[str, str] = field(default_factory=dict)  # rule id -> error | warning | off

    def level(self, rule_id: str) -> str:
        return self.severity.get(rule_id, RULES[rule_id].severity)

    def apply(self, overrides: Mapping[str, str], source: str, where: str) -> None:
        """Merge {rule id: level}; unknown ids or levels are reported, not ignored."""
        problems = []
        for rule_id, level in overrides.items():
            if rule_id not in RULES:
                problems.append(Problem(source, f"{where}.{rule_id}", f"unknown rule id {rule_id!r}",
                                        f"known rules: {', '.join(sorted(RULES))}"))
            elif level not in SEVERITIES + (OFF,):
                problems.append(Problem(source, f"{where}.{rule_id}", f"unknown level {level!r}",
                                        "use error, warning or off"))
            else:
                self.severity[rule_id] = level
        if problems:
            raise InputError(problems)


def build_config(environments: Mapping[str, Any] | None, source: str) -> RuleConfig:
    """The configuration the build gate uses: build profile + environments.yaml `checks:`."""
    config = RuleConfig()
    config.apply(BUILD_PROFILE, "druppie_grafana/checks/config.py", "BUILD_PROFILE")
    apply_checks_block(config, (environments or {}).get("checks"), source)
    return config


def apply_checks_block(config: RuleConfig, block: Any, source: str) -> None:
    """`checks: {disable: [ids], severity: {id: level}}` from environments.yaml."""
    if not block:
        return
    if not isinstance(block, Mapping):
        raise InputError([Problem(source, "$.checks", "must be a mapping with `disable` and/or `severity`",
                                  "e.g. checks: {disable: [variable-unused], severity: {gridpos-overlap: error}}")])
    disable = block.get("disable") or []
    if not isinstance(disable, list):
        raise InputError([Problem(source, "$.checks.disable", "must be a list of rule ids", "")])
    config.apply({rule_id: OFF for rule_id in disable}, source, "$.checks.disable")
    # YAML 1.1 reads an unquoted `off` as false.
    severity = {k: OFF if v is False else v for k, v in (block.get("severity") or {}).items()}
    config.apply(severity, source, "$.checks.severity")


def parse_flags(disable: list[str] | None, severity: list[str] | None) -> dict[str, str]:
    """--disable ID and --severity ID=LEVEL from the command line."""
    out = {rule_id: OFF for rule_id in disable or []}
    for item in severity or []:
        rule_id, sep, level = item.partition("=")
        if not sep:
            from ..errors import UsageError
            raise UsageError(f"--severity takes RULE=LEVEL (error, warning or off), got {item!r}")
        out[rule_id] = level
    return out


def definition_ignores(path: str) -> frozenset[str]:
    """Rule ids a definition file opts out of through `LINT_IGNORE = {...}`; problems are raised."""
    file = Path(path)
    if file.suffix != ".py" or not file.is_file():
        return frozenset()
    tree = ast.parse(file.read_text(encoding="utf-8"), filename=path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == IGNORE_ATTRIBUTE
                                                for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                value = None
            if not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values()):
                raise InputError([Problem(path, f"line {node.lineno}",
                                          f"{IGNORE_ATTRIBUTE} must be a literal dict of rule id -> reason",
                                          f'e.g. {IGNORE_ATTRIBUTE} = {{"variable-unused": "kept for links"}}')])
            unknown = sorted(set(value) - set(RULES))
            if unknown:
                raise InputError([Problem(path, f"line {node.lineno}", f"unknown rule id(s) in {IGNORE_ATTRIBUTE}: "
                                          f"{', '.join(unknown)}", f"known rules: {', '.join(sorted(RULES))}")])
            return frozenset(value)
    return frozenset()


__all__ = ["RuleConfig", "build_config", "apply_checks_block", "parse_flags", "definition_ignores",
           "OFF", "ERROR", "WARNING", "BUILD_PROFILE",
           "FILES_PROFILE"]
