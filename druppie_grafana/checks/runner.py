"""Running every registered check over a CheckInput and applying the rule configuration."""

from __future__ import annotations

from . import rules_access, rules_retention  # noqa: F401
from . import (rules_correlations, rules_datasources, rules_derived_fields, rules_escaping,  # noqa: F401
               rules_explore_correlations, rules_layout, rules_queries, rules_schema, rules_variables)
from .config import OFF, RuleConfig
from .finding import ERROR, Finding
from .inputs import CheckInput
from .registry import CHECKS, RULES


def run_checks(checked: CheckInput, config: RuleConfig | None = None) -> list[Finding]:
    """Every finding, errors first, then by file and path; disabled and ignored rules left out."""
    config = config or RuleConfig()
    ignores = {d.file: d.ignores for d in checked.dashboards if d.ignores}
    where = {d.file: d.where for d in checked.dashboards if d.where}  # v2 files: point at the v2 place
    findings = []
    for check in CHECKS:
        for hit in check(checked):
            level = config.level(hit.rule)
            if level == OFF or hit.rule in ignores.get(hit.file, ()):
                continue
            hint = RULES[hit.rule].hint if hit.hint is None else hit.hint
            path = where[hit.file](hit.path) if hit.file in where and hit.path.startswith("$") else hit.path
            findings.append(Finding(hit.rule, level, hit.message, hit.file, path, hint))
    unique = list(dict.fromkeys(findings))
    return sorted(unique, key=lambda f: (f.severity != ERROR, f.file, f.path, f.rule))
