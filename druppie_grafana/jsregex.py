"""Run regexes with JavaScript semantics, as Grafana's browser code does, through one node process.

Grafana evaluates a Loki derived field in the browser: `line.match(new RegExp(re))`, value = capture
group 1 (regex mode), or `new RegExp(re).test(key)` over label keys (label mode). Python's `re` differs
from JavaScript in syntax and semantics, so every check of such a regex goes through node.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import Sequence

from .errors import DruppieError

# Each script maps the JSON list on stdin, case by case, to a JSON list on stdout.
_STDIN_MAP = r"""
let input = '';
process.stdin.on('data', c => input += c);
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(CASE);
  process.stdout.write(JSON.stringify(out));
});
"""

_SCRIPT = _STDIN_MAP.replace("CASE", r"""({pattern, lines, keys}) => {
    let re;
    try { re = new RegExp(pattern); } catch (e) { return {error: e.message}; }
    const groups = new RegExp(pattern + '|').exec('').length - 1;
    const values = (lines || []).map(line => {
      const m = line.match(re);
      return m && m[1] ? m[1] : null;
    });
    const firstKey = (keys || []).find(k => re.test(k));
    return {groups, values, firstKey: firstKey === undefined ? null : firstKey};
  }""")


class NodeUnavailable(DruppieError):
    """node is not installed, so JavaScript semantics cannot be checked."""


@dataclass(frozen=True)
class JsRegexResult:
    error: str | None  # SyntaxError message when the pattern is not valid JavaScript
    groups: int  # number of capture groups
    values: tuple[str | None, ...]  # capture group 1 of each line, or None (no match / empty group)
    first_key: str | None  # first label key the regex tests true on (label mode)


@dataclass(frozen=True)
class JsRegexCase:
    pattern: str
    lines: Sequence[str] = ()
    keys: Sequence[str] = ()


def node_path() -> str | None:
    return shutil.which("node")


def _run_node(node: str, script: str, payload: list, timeout: float, what: str) -> list:
    proc = subprocess.run([node, "-e", script], input=json.dumps(payload), capture_output=True, text=True,
                          timeout=timeout, check=False)
    if proc.returncode != 0:
        raise DruppieError(f"node failed while {what}: {proc.stderr.strip()[:500]}")
    return json.loads(proc.stdout)


def run_js_regexes(cases: Sequence[JsRegexCase], timeout: float = 60.0) -> list[JsRegexResult]:
    """Evaluate every case in one node process."""
    if not cases:
        return []
    node = node_path()
    if node is None:
        raise NodeUnavailable("node is not installed: JavaScript regex semantics cannot be checked "
                              "(install Node.js 20+ to check derived fields)")
    payload = [{"pattern": c.pattern, "lines": list(c.lines), "keys": list(c.keys)} for c in cases]
    results = []
    for raw in _run_node(node, _SCRIPT, payload, timeout, "checking regexes"):
        if "error" in raw:
            results.append(JsRegexResult(raw["error"], 0, (), None))
        else:
            results.append(JsRegexResult(None, raw["groups"], tuple(raw["values"]), raw["firstKey"]))
    return results


def js_group1(pattern: str, lines: Sequence[str]) -> list[str | None]:
    """Capture group 1 of `line.match(new RegExp(pattern))` for each line; raises on an invalid pattern."""
    result = run_js_regexes([JsRegexCase(pattern, lines)])[0]
    if result.error:
        raise ValueError(f"not a valid JavaScript regex: {result.error}")
    return list(result.values)


# Grafana's correlation regex transformation (public/app/features/correlations/transformations.ts,
# getTransformationVars): every match of new RegExp(expression, 'gi') in turn; named groups replace
# all variables found so far, otherwise mapValue (or the link's field name) = group 1 || whole match.
_TRANSFORM_SCRIPT = _STDIN_MAP.replace("CASE", r"""({expression, value, name}) => {
    let re;
    try { re = new RegExp(expression, 'gi'); } catch (e) { return {error: e.message}; }
    let vars = {};
    for (const m of value.matchAll(re)) {
      if (m.groups) { vars = m.groups; } else { vars[name] = m[1] || m[0]; }
    }
    const strings = {};
    for (const k of Object.keys(vars)) {
      const v = vars[k];
      strings[k] = typeof v === 'string' ? v : (v === undefined || v === null ? '' : JSON.stringify(v));
    }
    return {vars: strings};
  }""")


def js_regex_transformations(cases: Sequence[tuple[str, str, str]], timeout: float = 60.0) -> list[dict[str, str]]:
    """(expression, field value, default variable name) -> the variables Grafana's regex transformation
    makes, for each case in one node process; raises ValueError on an invalid expression."""
    if not cases:
        return []
    node = node_path()
    if node is None:
        raise NodeUnavailable("node is not installed: correlation regex transformations cannot be evaluated")
    payload = [{"expression": e, "value": v, "name": n} for e, v, n in cases]
    out = []
    for (expression, _, _), raw in zip(cases, _run_node(node, _TRANSFORM_SCRIPT, payload, timeout,
                                                        "evaluating regex transformations")):
        if "error" in raw:
            raise ValueError(f"regex transformation {expression!r} is not a valid JavaScript regex: {raw['error']}")
        out.append(raw["vars"])
    return out
