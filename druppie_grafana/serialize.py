"""Turning resources into bytes: plain data, canonical JSON, readable YAML. Same input, same bytes."""

from __future__ import annotations

import json
import math
from typing import Any

import yaml

from .errors import json_path
from .secrets import SecretRef


def plain(value: Any, keep_secrets: bool = False) -> Any:
    """Plain JSON data from value: grafanalib objects via to_json_data(); SecretRefs kept as objects
    (keep_secrets) or written as their recorded reference."""
    if isinstance(value, SecretRef):
        return value if keep_secrets else value.to_json()
    if hasattr(value, "to_json_data"):
        return plain(value.to_json_data(), keep_secrets)
    if isinstance(value, dict):
        return {str(k): plain(v, keep_secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, keep_secrets) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot turn {type(value).__name__} into JSON: {value!r}")


def non_finite_paths(value: Any) -> list[str]:
    """JSON paths of every NaN or Infinity inside plain data (walked without recursion)."""
    out, stack = [], [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            out.append(json_path(path))
        elif isinstance(item, dict):
            stack.extend((v, path + (k,)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, path + (i,)) for i, v in enumerate(item))
    return sorted(out)


def dump_json(value: Any) -> str:
    return json.dumps(plain(value), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    # Multi-line strings (queries) as literal blocks; everything else as PyYAML chooses.
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=4096)
