"""Grafana's provisioning-file interpolation, written from its documented algorithm, for tests.

Grafana (pkg/services/provisioning/values) splits each string value on "$$", expands every part with
the expanders ${VAR}, $__env{VAR}, $__file{path} and then Go's os.ExpandEnv ($VAR, ${VAR}; unset -> ""),
and joins the parts with a single "$". Numbers and booleans pass through; keys are not expanded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

_EXPANDER = re.compile(r"\$(|__\w+)\{([^}]+)\}")
_SPECIAL = set("*#$@!?-0123456789")


def _is_name_char(ch: str) -> bool:
    return ch == "_" or ch.isascii() and ch.isalnum()


def go_expand_env(text: str, env: Mapping[str, str]) -> str:
    """Go's os.Expand with an environment mapping, including its handling of odd syntax."""
    out, i, j = [], 0, 0
    while j < len(text):
        if text[j] == "$" and j + 1 < len(text):
            out.append(text[i:j])
            rest = text[j + 1:]
            name, width = _shell_name(rest)
            if name == "" and width > 0:
                pass  # invalid syntax such as "${}": Go eats it
            elif name == "":
                out.append("$")
            else:
                out.append(env.get(name, ""))
            j += width
            i = j + 1
        j += 1
    out.append(text[i:])
    return "".join(out)


def _shell_name(s: str) -> tuple[str, int]:
    if s[0] == "{":
        if len(s) > 2 and s[1] in _SPECIAL and s[2] == "}":
            return s[1:2], 3
        for k in range(1, len(s)):
            if s[k] == "}":
                return ("", 2) if k == 1 else (s[1:k], k + 1)
        return "", 1
    if s[0] in _SPECIAL:
        return s[0:1], 1
    k = 0
    while k < len(s) and _is_name_char(s[k]):
        k += 1
    return s[:k], k


def _expand_part(part: str, env: Mapping[str, str]) -> str:
    def expander(match: re.Match) -> str:
        kind, arg = match.group(1), match.group(2)
        if kind in ("", "__env"):
            return env.get(arg, "")
        if kind == "__file":
            return Path(arg).read_text(encoding="utf-8").strip()
        return match.group(0)

    return go_expand_env(_EXPANDER.sub(expander, part), env)


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return "$".join(_expand_part(part, env) for part in value.split("$$"))
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    return value
