"""`setup`: install the pinned query grammars (npm) where the checks find them, and prove they work."""

from __future__ import annotations

import argparse
import subprocess
import sys

from .. import grammars
from ..checks.grammar import check_syntax
from ..errors import DruppieError

HELP = ("install the pinned LogQL/TraceQL/PromQL grammars for the query checks (npm ci into the user cache; "
        "a checkout's druppie_grafana/js/node_modules is used as it is)")
OLDEST_TESTED_NODE = 20

# One valid and one broken query per language: setup is done only when node parses and refuses them.
_PROBES = [("logql", '{service_name="a"} |= "x"', True), ("traceql", '{ resource.service.name = "a" }', True),
           ("promql", "sum(rate(x_total[5m]))", True), ("logql", '{service_name="a"', True)]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache", action="store_true",
                        help="install into the user cache even when a checkout's druppie_grafana/js has them")


def _node_major(node: str) -> tuple[str, int | None]:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout.strip()
    try:
        return out, int(out.lstrip("v").split(".")[0])
    except ValueError:
        return out, None


def run(args: argparse.Namespace) -> int:
    js = grammars.js_dir()
    node = grammars.node_path()
    if node is None:
        print(f"error: {grammars.NODE_MISSING}", file=sys.stderr)
        return 1
    version, major = _node_major(node)
    if major is not None and major < OLDEST_TESTED_NODE:
        print(f"warning: node {version} is older than {OLDEST_TESTED_NODE}, the oldest the grammars are tested on",
              file=sys.stderr)
    target = grammars.cache_dir(js)
    root = target if grammars.complete(target, js) else None
    if not args.cache:
        root = grammars.find(js) or root
    if root is None:
        print(f"installing the pinned query grammars into {target} (npm ci)", flush=True)
        root = grammars.install(js, target)
    results = check_syntax(_PROBES, found=grammars.Grammars(node, root))
    good, bad = results[:3], results[3]
    if any(r.unchecked or r.errors for r in good) or not bad.errors:
        why = next((r.unchecked or "; ".join(r.errors) for r in good if r.unchecked or r.errors),
                   "a broken query was accepted")
        raise DruppieError(f"the grammars in {root} do not work with node {version}: {why}")
    versions = ", ".join(f"{name} {v}" for name, v in grammars.pinned_versions(js).items())
    print(f"query grammars ready in {root}: {versions}; node {version} ({node}) parses LogQL, TraceQL and PromQL")
    return 0
