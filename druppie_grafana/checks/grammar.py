"""Query syntax through the grammars in druppie_grafana/js, all queries of a run in one node process."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .. import grammars

RUNNER = "check_queries.mjs"


@dataclass(frozen=True)
class SyntaxResult:
    errors: tuple[str, ...]  # messages; empty when the query parses
    unchecked: str | None = None  # why it was not checked (node or grammar missing)


def js_dir() -> Path:
    return grammars.js_dir()


def check_syntax(queries: list[tuple[str, str, bool]], timeout: float = 120.0,
                 found: grammars.Grammars | None = None) -> list[SyntaxResult]:
    """(lang, text, type_check) -> result, in order. Never raises for a missing tool: the result says unchecked.

    found: node and the grammars' folder; by default druppie_grafana.grammars finds them (installing the
    grammars into the user cache on first need)."""
    if not queries:
        return []
    found = found or grammars.ready()
    if not found.ready:
        return [SyntaxResult((), found.unavailable)] * len(queries)
    payload = json.dumps([{"lang": lang, "text": text, "types": types} for lang, text, types in queries])
    proc = subprocess.run([found.node, str(js_dir() / RUNNER), str(found.root)], input=payload,
                          capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        why = f"node failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"
        return [SyntaxResult((), why)] * len(queries)
    answer = json.loads(proc.stdout)
    out = []
    for (lang, _, _), result in zip(queries, answer["results"]):
        if result is None:
            out.append(SyntaxResult((), answer["unavailable"].get(lang, "grammar missing")))
        else:
            out.append(SyntaxResult(tuple(e["message"] for e in result)))
    return out
