"""Reading a v2 spec that may be malformed, and remembering where each classic part came from.

Two callers want different things from the same conversion: `import` wants one clear error at the
first part of the wrong shape (strict); the checks want a view of whatever is there, so that every
rule still runs and the schema rule reports the shape (lenient). Both want a classic JSON path of
the result turned back into the v2 path it came from (`where`)."""

from __future__ import annotations

from typing import Any

from ....errors import DruppieError, json_path


class V2ShapeError(DruppieError):
    """A v2 spec part of the wrong type or kind: where (a JSON path in the file) and why."""

    def __init__(self, path: str, reason: str):
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")


class Reader:
    def __init__(self, base: tuple = (), strict: bool = True):
        self.base, self.strict = base, strict
        self._paths: list[tuple[str, str]] = []  # (classic prefix, v2 prefix)

    def fail(self, path: tuple, reason: str) -> None:
        """Strict: raise. Lenient: carry on with what is there (the schema rule names the shape)."""
        if self.strict:
            raise V2ShapeError(json_path(self.base + path), reason)

    def obj(self, value: Any, path: tuple, what: str, optional: bool = True) -> dict:
        if isinstance(value, dict):
            return value
        if value is not None or not optional:
            self.fail(path, f"{what} should be an object, not {_kind(value)}")
        return {}

    def items(self, value: Any, path: tuple, what: str) -> list:
        if isinstance(value, list):
            return value
        if value is not None:
            self.fail(path, f"{what} should be a list, not {_kind(value)}")
        return []

    def spec(self, value: Any, path: tuple, what: str) -> dict:
        """The `spec` object of a {kind, spec} part."""
        return self.obj(self.obj(value, path, what, optional=False).get("spec"), path + ("spec",),
                        f"the spec of {what}", optional=False)

    # ---- classic path -> v2 path
    def map(self, classic: tuple, v2: tuple) -> None:
        self._paths.append((json_path(classic), json_path(self.base + v2)))

    def where(self, path: str) -> str:
        for classic, v2 in sorted(self._paths, key=lambda p: -len(p[0])):
            if path == classic or path.startswith(classic + ".") or path.startswith(classic + "["):
                return v2 + path[len(classic):]
        return json_path(self.base) + ("" if path == "$" else path[1:])


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")
