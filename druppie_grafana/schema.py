"""JSON schemas shipped with the package, and their errors as Problems (file + JSON path)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema is imported when a file is invalid (or a schema checked), not at start-up
    import jsonschema

from .errors import Problem, json_path
from .redaction import redact_urls


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    """Schema `name` from druppie_grafana/schemas/<name>.schema.json."""
    text = resources.files(__package__).joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def _validator(name: str) -> jsonschema.Draft202012Validator:
    import jsonschema
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _describe(error: jsonschema.ValidationError) -> str:
    # The default message repeats the whole instance for oneOf/anyOf; keep it short.
    if error.validator in ("oneOf", "anyOf") and error.context:
        import jsonschema.exceptions
        best = jsonschema.exceptions.best_match(error.context)
        return best.message
    if error.validator == "type":
        # Do not quote the value: a wrongly placed credential would be printed in clear.
        expected = error.validator_value if isinstance(error.validator_value, str) else " or ".join(error.validator_value)
        return f"must be of type {expected}, got {_json_type(error.instance)}"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key(s)")
    message = redact_urls(error.message)  # a pattern error quotes the value: never a URL's password
    return message if len(message) <= 300 else message[:297] + "..."


def _json_type(value: Any) -> str:
    for name, kind in (("boolean", bool), ("integer", int), ("number", float), ("string", str),
                       ("array", list), ("object", dict)):
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__


def schema_problems(instance: Any, name: str, source: str, hint: str = "") -> list[Problem]:
    """Every violation of schema `name`, sorted by JSON path."""
    from .checks.fast_schema import proves_valid
    if proves_valid(instance, name):  # the common case, without building jsonschema's validators
        return []
    errors = sorted(_validator(name).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    return [Problem(source, json_path(e.absolute_path), _describe(e), hint) for e in errors]
