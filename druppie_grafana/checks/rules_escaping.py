"""`$` escaping. Grafana expands $VAR and ${VAR} in provisioning YAML values, so its own ${__value.raw},
$__tags and the like must be written $$...; the HTTP API and dashboard JSON expand nothing, so a
$$ there stays two dollars."""

from __future__ import annotations

import re
from typing import Iterator

from .finding import ERROR, Hit
from .inputs import API, PROVISIONING, CheckInput
from .registry import check, define
from .walk import at, dollar_strings, strings

DOLLAR = define(
    "dollar-escaping", ERROR,
    "provisioning YAML has an unescaped Grafana variable (${__value.raw}, or a correlation's ${field}, "
    "becomes empty), or an API payload "
    "or dashboard JSON has $$ (stays two dollars)",
    "in provisioning YAML write $${__value.raw} / $$__tags; in API payloads and dashboard JSON write a single $")

# A Grafana variable (not Grafana's own $__env/$__file/$__vault expanders) left for env interpolation.
_UNESCAPED = re.compile(r"\$\{__\w|\$__(?!(?:env|file|vault)\{)\w")
# In a correlation's strings every $name / ${name} is a variable of the clicked row (${service}), never
# meant for the environment: provisioning would expand it to "" (the docs' "$$" note for correlations).
_UNESCAPED_IN_CORRELATION = re.compile(r"\$(?!__(?:env|file|vault)\{)\{?\w")


@check
def dollar_escaping(checked: CheckInput) -> Iterator[Hit]:
    for entry in checked.datasources:
        for text, parts in strings(entry.raw, ()):
            where = entry.path + at(parts)[1:]
            if entry.form == PROVISIONING:
                unescaped = _UNESCAPED_IN_CORRELATION if parts[:1] == ("correlations",) else _UNESCAPED
                if any(unescaped.search(part) for part in text.split("$$")):
                    yield Hit(DOLLAR, f"{text!r}: Grafana's provisioning expands this as an environment "
                              "variable and it becomes empty", entry.file, where)
            elif entry.form == API and "$$" in text:
                yield Hit(DOLLAR, f"{text!r}: the API does not unescape $$", entry.file, where)
    for dash in checked.dashboards:
        for text, parts, _ in dollar_strings(dash.data):
            if "$$" in text:
                yield Hit(DOLLAR, f"{text[:120]!r}: dashboard JSON is not interpolated, $$ stays two dollars",
                          dash.file, at(parts))
