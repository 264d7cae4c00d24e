"""Structure: each file against the JSON schema written for it in druppie_grafana/schemas."""

from __future__ import annotations

from typing import Iterator

from ..schema import schema_problems
from .fast_schema import proves_valid
from .finding import ERROR, Hit
from .inputs import CheckInput
from .registry import check, define

SCHEMA = define(
    "schema", ERROR,
    "a file does not have the structure Grafana reads (dashboard JSON, datasource or dashboard-provider YAML)",
    "fix the value at that JSON path; the schemas are in druppie_grafana/schemas/")

SCHEMA_OF = {"dashboard": "dashboard", "datasources": "datasources", "providers": "dashboard-providers"}


@check
def schemas(checked: CheckInput) -> Iterator[Hit]:
    for doc in checked.documents:
        if doc.kind == "datasource":  # one datasource in API form: the entry schema of the YAML file
            if proves_valid({"datasources": [doc.data]}, "datasources"):
                continue  # the common case; jsonschema only runs to word the problems
            for problem in schema_problems({"datasources": [doc.data]}, "datasources", doc.file):
                yield Hit(SCHEMA, problem.message, doc.file, "$" + problem.path[len("$.datasources[0]"):])
        elif not proves_valid(doc.data, SCHEMA_OF[doc.kind]):
            for problem in schema_problems(doc.data, SCHEMA_OF[doc.kind], doc.file):
                yield Hit(SCHEMA, problem.message, doc.file, problem.path)
