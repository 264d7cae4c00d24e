"""A fast yes/no answer to "is this instance valid against schema X?", for the common case of a valid file.

jsonschema builds a validator object per sub-schema and per instance node (about 1.3 ms per dashboard);
the schemas here use a dozen keywords, so each is compiled once into plain Python closures. The closures
answer exactly what jsonschema would; a schema with a keyword they do not know compiles to None and
jsonschema is asked instead. Only a `True` skips jsonschema: messages still come from jsonschema.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable

from ..schema import load_schema

Predicate = Callable[[Any], bool]

# Keywords that only annotate: they never make an instance invalid.
_ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "examples", "default", "$defs"}


def _is_integer(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())


_TYPES: dict[str, Predicate] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": _is_integer,
}
_SCALARS = (str, bool, int, float, type(None))


class _Unsupported(Exception):
    pass


def _same(a: Any, b: Any) -> bool:
    # jsonschema's equality for scalars: true/false are not 1/0.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        return type(a) is type(b) and a == b
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and a == b


class _Compiler:
    def __init__(self, root: dict):
        self.root = root
        self.refs: dict[str, Predicate] = {}

    def ref(self, pointer: str) -> Predicate:
        if not pointer.startswith("#/"):
            raise _Unsupported(pointer)
        if pointer not in self.refs:
            slot: list[Predicate] = []
            self.refs[pointer] = lambda v: slot[0](v)  # recursion-safe placeholder
            target: Any = self.root
            for part in pointer[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            slot.append(self.compile(target))
        return self.refs[pointer]

    def compile(self, schema: Any) -> Predicate:
        if schema is True:
            return lambda v: True
        if schema is False:
            return lambda v: False
        if not isinstance(schema, dict):
            raise _Unsupported(schema)
        checks: list[Predicate] = []
        for key, value in schema.items():
            if key in _ANNOTATIONS:
                continue
            make = getattr(self, "k_" + key.lstrip("$"), None)
            if make is None:
                raise _Unsupported(key)
            checks.append(make(value, schema))
        if not checks:
            return lambda v: True
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(check(v) for check in checks)

    # One method per keyword: returns the predicate for that keyword alone.
    def k_ref(self, value, _):
        return self.ref(value)

    def k_type(self, value, _):
        names = [value] if isinstance(value, str) else list(value)
        tests = [_TYPES[n] for n in names]
        return lambda v: any(t(v) for t in tests)

    def k_properties(self, value, _):
        subs = {name: self.compile(sub) for name, sub in value.items()}

        def properties(v):
            if not isinstance(v, dict):
                return True
            for name, sub in subs.items():
                if name in v and not sub(v[name]):
                    return False
            return True
        return properties

    def k_additionalProperties(self, value, schema):
        if "patternProperties" in schema:
            raise _Unsupported("patternProperties")
        known = set(schema.get("properties", {}))
        sub = self.compile(value)
        return lambda v: not isinstance(v, dict) or all(sub(item) for k, item in v.items() if k not in known)

    def k_propertyNames(self, value, _):
        sub = self.compile(value)
        return lambda v: not isinstance(v, dict) or all(sub(k) for k in v)

    def k_required(self, value, _):
        return lambda v: not isinstance(v, dict) or all(name in v for name in value)

    def k_minProperties(self, value, _):
        return lambda v: not isinstance(v, dict) or len(v) >= value

    def k_maxProperties(self, value, _):
        return lambda v: not isinstance(v, dict) or len(v) <= value

    def k_items(self, value, _):
        sub = self.compile(value)
        return lambda v: not isinstance(v, list) or all(sub(item) for item in v)

    def k_minLength(self, value, _):
        return lambda v: not isinstance(v, str) or len(v) >= value

    def k_pattern(self, value, _):
        search = re.compile(value).search  # jsonschema searches, it does not match from the start
        return lambda v: not isinstance(v, str) or search(v) is not None

    def k_minimum(self, value, _):
        return lambda v: isinstance(v, bool) or not isinstance(v, (int, float)) or v >= value

    def k_const(self, value, _):
        if not isinstance(value, _SCALARS):
            raise _Unsupported("const")
        return lambda v: _same(v, value)

    def k_enum(self, value, _):
        if not all(isinstance(item, _SCALARS) for item in value):
            raise _Unsupported("enum")
        return lambda v: any(_same(v, item) for item in value)

    def k_anyOf(self, value, _):
        subs = [self.compile(sub) for sub in value]
        return lambda v: any(sub(v) for sub in subs)

    def k_not(self, value, _):
        sub = self.compile(value)
        return lambda v: not sub(v)


@lru_cache(maxsize=None)
def predicate(name: str) -> Predicate | None:
    """Exact validity test for schema `name`, or None when it uses a keyword not compiled here."""
    schema = load_schema(name)
    try:
        return _Compiler(schema).compile(schema)
    except _Unsupported:
        return None


def proves_valid(instance: Any, name: str) -> bool:
    """True only when the instance is valid against schema `name` (False: ask jsonschema)."""
    test = predicate(name)
    return test is not None and test(instance)
