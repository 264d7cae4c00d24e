"""Showing findings: one block per finding for people, one JSON document for CI."""

from __future__ import annotations

import json

from .finding import ERROR, WARNING, Finding


def counts(findings: list[Finding]) -> tuple[int, int]:
    return (sum(f.severity == ERROR for f in findings), sum(f.severity == WARNING for f in findings))


def human(findings: list[Finding], checked_what: str) -> str:
    errors, warnings = counts(findings)
    lines = [str(f) for f in findings]
    lines.append(f"{checked_what}: {errors} error{'s' if errors != 1 else ''}, "
                 f"{warnings} warning{'s' if warnings != 1 else ''}")
    return "\n".join(lines)


def as_json(findings: list[Finding], checked_what: str) -> str:
    errors, warnings = counts(findings)
    return json.dumps({"checked": checked_what, "errors": errors, "warnings": warnings,
                       "findings": [f.to_json() for f in findings]}, indent=2, ensure_ascii=False)
