"""Query syntax through the grammars in druppie_grafana/js, all queries of a run in one node process."""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
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
    # Large runs are split over the machine's cores: node parses one batch per process, in parallel.
    parts = max(1, min(os.cpu_count() or 1, 4, len(queries) // PARALLEL_FROM))
    size = -(-len(queries) // parts)
    batches = [queries[i:i + size] for i in range(0, len(queries), size)]
    procs = [subprocess.Popen([found.node, str(js_dir() / RUNNER), str(found.root)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in batches]
    out: list[SyntaxResult] = []
    with ThreadPoolExecutor(max_workers=len(procs)) as pool:  # feed and read every process at once
        answers = list(pool.map(lambda pb: _run(pb[0], pb[1], timeout), zip(procs, batches)))
    for batch, answer in zip(batches, answers):
        out += answer if isinstance(answer, list) else _results(batch, answer)
    return out


PARALLEL_FROM = 2000  # queries per extra node process; below that one process starts fastest


def _run(proc: subprocess.Popen, batch: list, timeout: float):
    payload = json.dumps([{"lang": lang, "text": text, "types": types} for lang, text, types in batch])
    try:
        stdout, stderr = proc.communicate(payload, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return [SyntaxResult((), f"node did not answer within {timeout:g} s")] * len(batch)
    if proc.returncode != 0:
        why = f"node failed: {stderr.strip().splitlines()[-1] if stderr.strip() else proc.returncode}"
        return [SyntaxResult((), why)] * len(batch)
    return json.loads(stdout)


def _results(batch: list, answer: dict) -> list[SyntaxResult]:
    out = []
    for (lang, _, _), result in zip(batch, answer["results"]):
        if result is None:
            out.append(SyntaxResult((), answer["unavailable"].get(lang, "grammar missing")))
        else:
            out.append(SyntaxResult(tuple(e["message"] for e in result)))
    return out
