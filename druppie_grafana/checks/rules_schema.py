"""Structure: each file against the JSON schema written for it in druppie_grafana/schemas."""

from __future__ import annotations

from typing import Iterator

from ..schema import schema_problems
from .fast_schema import proves_valid
from .finding import ERROR, Hit
from .inputs import CheckInput
from .registry import check, define
from .rules_derived_fields import NOT_CHECKED

SCHEMA = define(
    "schema", ERROR,
    "a file does not have the structure Grafana reads (dashboard JSON, datasource or dashboard-provider YAML)",
    "fix the value at that JSON path; the schemas are in druppie_grafana/schemas/")

UNREADABLE = define(
    "file-unreadable", ERROR,
    "a file of the run cannot be read or parsed (malformed JSON or YAML, not UTF-8); Grafana cannot load it either",
    "fix the syntax at that position; the other files of the run were checked")

SCHEMA_OF = {"dashboard": "dashboard", "dashboard-v2": "dashboard-v2", "datasources": "datasources",
             "providers": "dashboard-providers"}


@check
def schemas(checked: CheckInput) -> Iterator[Hit]:
    for doc in checked.documents:
        if doc.kind == "datasource":  # one datasource in API form: the entry schema of the YAML file
            if proves_valid({"datasources": [doc.data]}, "datasources"):
                continue  # the common case; jsonschema only runs to word the problems
            for problem in schema_problems({"datasources": [doc.data]}, "datasources", doc.file):
                yield Hit(SCHEMA, problem.message, doc.file, "$" + problem.path[len("$.datasources[0]"):])
        elif not proves_valid(doc.data, SCHEMA_OF[doc.kind]):
            # (a v2 spec's paths are relative to it; the runner places them inside the object)
            for problem in schema_problems(doc.data, SCHEMA_OF[doc.kind], doc.file):
                yield Hit(SCHEMA, problem.message, doc.file, problem.path)


@check
def skipped_files(checked: CheckInput) -> Iterator[Hit]:
    """Files of a path run that were not checked: each is a finding, none stops the run."""
    for item in checked.skipped:
        if item.error:
            yield Hit(UNREADABLE, item.why, item.file, item.path, item.hint)
        else:
            yield Hit(NOT_CHECKED, f"file not checked: {item.why}", item.file, item.path, item.hint)
