"""Where the query grammars are, and installing them: Grafana's LogQL/TraceQL and Prometheus' PromQL lezer
grammars, npm packages pinned by druppie_grafana/js/package-lock.json (shipped in the wheel).

Looked for, in order:
1. druppie_grafana/js/node_modules, in a source checkout after `npm ci --prefix druppie_grafana/js`;
2. the user cache, $XDG_CACHE_HOME/druppie-grafana/grammars/<hash of the lockfile>/ (~/.cache when
   XDG_CACHE_HOME is unset), filled by `druppie-grafana setup` or, on first need, automatically.

Both count only when the installed versions are the lockfile's. A cache install runs `npm ci` with the
packaged lockfile in a temporary folder and renames it into place, so a half-finished install is never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import DruppieError
from .jsregex import node_path

# The grammars check_queries.mjs loads; each must be installed at the lockfile's version.
GRAMMAR_PACKAGES = ("@grafana/lezer-logql", "@grafana/lezer-traceql", "@prometheus-io/lezer-promql")
LOCKFILE = "package-lock.json"
MARKER = ".druppie-grammars-complete"
SETUP_COMMAND = "druppie-grafana setup"  # `python provision.py setup` in a checkout
NODE_MISSING = ("node is not installed: install Node.js 20 or newer with npm (a distribution's package only if it "
                f"is 20+; Debian 12's is 18), then run `{SETUP_COMMAND}` to install the pinned query grammars")
NPM_MISSING = (f"npm is not installed (node is): install npm, then run `{SETUP_COMMAND}` "
               "to install the pinned query grammars")
NPM_TIMEOUT = 600.0


class GrammarSetupError(DruppieError):
    """npm could not install the grammars."""


def js_dir() -> Path:
    """druppie_grafana/js: check_queries.mjs, package.json and the lockfile (in a checkout or a wheel)."""
    return Path(str(resources.files(__package__).joinpath("js")))


def lock_hash(js: Path | None = None) -> str:
    return hashlib.sha256(((js or js_dir()) / LOCKFILE).read_bytes()).hexdigest()[:16]


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "druppie-grafana" / "grammars"


def cache_dir(js: Path | None = None, root: Path | None = None) -> Path:
    return (root or cache_root()) / lock_hash(js)


def pinned_versions(js: Path | None = None) -> dict[str, str]:
    lock = json.loads(((js or js_dir()) / LOCKFILE).read_text(encoding="utf-8"))
    return {name: lock["packages"][f"node_modules/{name}"]["version"] for name in GRAMMAR_PACKAGES}


def installed(where: Path, js: Path | None = None) -> bool:
    """Every grammar under where/node_modules, each at the lockfile's version."""
    for name, version in pinned_versions(js).items():
        meta = where / "node_modules" / name / "package.json"
        try:
            if json.loads(meta.read_text(encoding="utf-8")).get("version") != version:
                return False
        except (OSError, ValueError):
            return False
    return True


def complete(cache: Path, js: Path | None = None) -> bool:
    """A cache folder that a finished install left (marker written last) with the lockfile's versions."""
    return (cache / MARKER).is_file() and installed(cache, js)


def find(js: Path | None = None, cache: Path | None = None) -> Path | None:
    """The folder whose node_modules holds the pinned grammars, or None."""
    js = js or js_dir()
    if installed(js, js):
        return js
    cache = cache or cache_dir(js)
    return cache if complete(cache, js) else None


def install(js: Path | None = None, cache: Path | None = None, *, offline_first: bool = True) -> Path:
    """`npm ci` of the packaged lockfile into the cache folder; returns it. Idempotent."""
    js = js or js_dir()
    cache = cache or cache_dir(js)
    if complete(cache, js):
        return cache
    npm = shutil.which("npm")
    if npm is None:
        raise GrammarSetupError(NPM_MISSING if node_path() else NODE_MISSING)
    cache.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{cache.name}-", dir=cache.parent))
    try:
        for name in ("package.json", LOCKFILE):
            shutil.copyfile(js / name, work / name)
        # engine-strict off: @grafana/lezer-logql declares node >=24 for its own tooling; the published
        # grammar runs on node 20 (the test suite runs it there).
        command = [npm, "ci", "--prefix", str(work), "--no-audit", "--no-fund", "--loglevel=error",
                   "--engine-strict=false", "--ignore-scripts"] + (["--prefer-offline"] if offline_first else [])
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=NPM_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise GrammarSetupError(f"npm ci did not finish in {NPM_TIMEOUT:.0f} s while installing the query "
                                    f"grammars into {cache}") from None
        if proc.returncode != 0 or not installed(work, js):
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
            raise GrammarSetupError(f"npm ci failed installing the query grammars into {cache} "
                                    f"(exit {proc.returncode}): {tail}")
        (work / MARKER).write_text(json.dumps(pinned_versions(js)) + "\n", encoding="utf-8")
        try:
            work.rename(cache)
        except OSError:
            if not complete(cache, js):  # not another process's complete install
                if cache.exists():
                    shutil.rmtree(cache)
                work.rename(cache)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return cache


@dataclass(frozen=True)
class Grammars:
    node: str | None  # the node executable
    root: Path | None  # folder whose node_modules holds the grammars
    unavailable: str | None = None  # why not, with what to run

    @property
    def ready(self) -> bool:
        return self.root is not None and self.node is not None


_tried_install: dict[Path, str | None] = {}  # cache folder -> the failure of this process's one try


def ready(js: Path | None = None, cache: Path | None = None, *, notice=None) -> Grammars:
    """node and the grammars for a check, installing the grammars into the cache on first need.

    The automatic install is tried once per process and cache folder, with a one-line notice on
    stderr (notice: where to write it); a failure says what to run instead.
    """
    node = node_path()
    if node is None:
        return Grammars(None, None, NODE_MISSING)
    js = js or js_dir()
    root = find(js, cache)
    if root is not None:
        return Grammars(node, root)
    cache = cache or cache_dir(js)
    if shutil.which("npm") is None:
        return Grammars(node, None, NPM_MISSING)
    if cache not in _tried_install:
        out = notice if notice is not None else sys.stderr
        print(f"druppie-grafana: installing the pinned query grammars into {cache} (once; "
              f"`{SETUP_COMMAND}` does this explicitly)", file=out, flush=True)
        try:
            install(js, cache)
            _tried_install[cache] = None
        except DruppieError as exc:
            _tried_install[cache] = str(exc)
    failure = _tried_install[cache]
    if failure is not None:
        return Grammars(node, None, f"{failure}; run `{SETUP_COMMAND}` once npm can reach its registry")
    return Grammars(node, cache)
