"""One comparable form of a v2 dashboard spec, for comparing ours with Grafana's (the conversion tests
now; plan's drift comparison can reuse it): key order does not matter, and defaults Grafana writes
or leaves out depending on its version are settled one way.

Settled defaults, each seen in Grafana's own expected outputs:
- timeSettings.timezone "" is left out (newer outputs omit it, older ones write it);
- a threshold step without `value` is the first step, value null.
"""

from __future__ import annotations

import json
from typing import Any


def normalise_spec(spec: dict) -> Any:
    spec = json.loads(json.dumps(spec))  # a deep copy of plain data
    settings = spec.get("timeSettings")
    if isinstance(settings, dict) and settings.get("timezone") == "":
        del settings["timezone"]
    _walk(spec)
    return _sorted(spec)


def _walk(value: Any) -> None:
    if isinstance(value, dict):
        if isinstance(value.get("thresholds"), dict):
            for step in value["thresholds"].get("steps") or []:
                if isinstance(step, dict):
                    step.setdefault("value", None)
        for v in value.values():
            _walk(v)
    elif isinstance(value, list):
        for v in value:
            _walk(v)


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value
