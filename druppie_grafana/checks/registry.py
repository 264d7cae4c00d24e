"""The rule registry: every rule's id, default severity, summary and hint, and the check functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from .finding import SEVERITIES, Hit


@dataclass(frozen=True)
class RuleInfo:
    id: str
    severity: str
    summary: str  # one line for the README table and `--list-rules`
    hint: str  # what to do, shown under each finding


RULES: dict[str, RuleInfo] = {}
CHECKS: list[Callable[["CheckInput"], Iterable[Hit]]] = []  # noqa: F821 - CheckInput in inputs.py


def define(rule_id: str, severity: str, summary: str, hint: str) -> str:
    """Declare a rule; returns its id so modules can keep it in a constant."""
    assert severity in SEVERITIES, severity
    if rule_id in RULES:
        raise ValueError(f"rule {rule_id!r} defined twice")
    RULES[rule_id] = RuleInfo(rule_id, severity, summary, hint)
    return rule_id


def check(func):
    """Register a check function: CheckInput -> iterable of Hits (of rules its module defined)."""
    CHECKS.append(func)
    return func
