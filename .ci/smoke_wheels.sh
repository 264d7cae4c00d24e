#!/usr/bin/env bash
# Installs that work outside a checkout: builds druppie-grafana and druppie-grafana-agent (sdist, then the
# wheel from the sdist), installs the wheels into fresh venvs, and runs each from a temporary folder.
#   main:  --version, the query grammars installed on first need into a fresh cache, a good dashboard
#          (exit 0) and a broken query (exit 1) checked for real, setup, the project validated, no node.
#   agent: its own venv (OpenTelemetry only), one JSON log line carrying the trace id of its span.
# Needs python (3.11+, with venv), node and npm; reaches PyPI and the npm registry (pip's and npm's caches are reused).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python}"
work="$(mktemp -d "${TMPDIR:-/tmp}/druppie-wheels.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "smoke_wheels: FAILED: $*" >&2; exit 1; }
# pip, quiet; its warnings go to a log that is shown when it fails
pipq() { "$1" -m pip --disable-pip-version-check --quiet "${@:2}" 2>>"$work/pip.log" || { tail -20 "$work/pip.log"; fail "pip ${*:2}"; }; }
step() { echo "-- $* (at ${SECONDS}s)"; }

step "build (sdist, then the wheel from it, of each distribution)"
"$python" -m venv "$work/build-venv"
# One build environment for both (no per-build isolated venvs): the backend pyproject.toml names, and build.
pipq "$work/build-venv/bin/python" install build "setuptools>=68" wheel
"$work/build-venv/bin/python" -m build --no-isolation --outdir "$work/dist" "$repo" >"$work/build-main.log" 2>&1 \
  || { tail -20 "$work/build-main.log"; fail "building druppie-grafana"; }
"$work/build-venv/bin/python" -m build --no-isolation --outdir "$work/dist" "$repo/agent" >"$work/build-agent.log" 2>&1 \
  || { tail -20 "$work/build-agent.log"; fail "building druppie-grafana-agent"; }
ls -l "$work/dist" | awk 'NR > 1 {print "   ", $5, $9}'
main_whl="$(ls "$work"/dist/druppie_grafana-*.whl)"
agent_whl="$(ls "$work"/dist/druppie_grafana_agent-*.whl)"
ls "$work"/dist/druppie_grafana-*.tar.gz "$work"/dist/druppie_grafana_agent-*.tar.gz >/dev/null || fail "an sdist is missing"

"$python" - "$main_whl" "$agent_whl" <<'EOF' || fail "wheel contents"
import sys, zipfile
main, agent = (zipfile.ZipFile(p).namelist() for p in sys.argv[1:3])
for need in ("druppie_grafana/js/package-lock.json", "druppie_grafana/js/package.json",
             "druppie_grafana/js/check_queries.mjs", "druppie_grafana/schemas/environments.schema.json",
             "druppie_grafana/grammars.py", "druppie_grafana/commands/setup.py"):
    assert need in main, f"{need} is not in the druppie-grafana wheel"
assert not [n for n in main if "node_modules" in n], "node_modules went into the wheel"
assert not [n for n in main if n.startswith("druppie_grafana_agent/")], "the agent package is in the main wheel"
assert not [n for n in agent if n.startswith("druppie_grafana/")], "the main package is in the agent wheel"
meta = next(zipfile.ZipFile(sys.argv[2]).read(n).decode() for n in agent if n.endswith(".dist-info/METADATA"))
requires = [l.split(":", 1)[1].strip() for l in meta.splitlines() if l.startswith("Requires-Dist:")]
assert requires and all(r.startswith("opentelemetry-") for r in requires), requires
EOF

step "druppie-grafana from its wheel"
"$python" -m venv "$work/venv"
pipq "$work/venv/bin/python" install "$main_whl" "$agent_whl"
bin="$work/venv/bin"
run="$work/run"
mkdir -p "$run"
cd "$run"
where="$("$bin/python" -c 'import druppie_grafana; print(druppie_grafana.__file__)')"
case "$where" in "$work/venv/"*) ;; *) fail "druppie_grafana imported from $where, not the venv";; esac
version="$("$bin/druppie-grafana" --version)"
wheel_version="$(basename "$main_whl" | cut -d- -f2)"
[ "$version" = "druppie-grafana $wheel_version" ] || fail "--version said '$version'"
"$bin/druppie-grafana" --help | head -1 | grep -q '^usage: druppie-grafana ' || fail "usage does not name druppie-grafana"

"$bin/python" - <<'EOF'
import json
dashboard = {"title": "t", "uid": "d1", "schemaVersion": 39, "panels": [
    {"type": "logs", "title": "l", "id": 1, "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
     "datasource": {"type": "loki", "uid": "loki"}, "targets": [{"refId": "A", "expr": '{service_name="a"} |= "x"'}]}]}
json.dump(dashboard, open("good.json", "w"))
dashboard["panels"][0]["targets"][0]["expr"] = '{service_name="a"'
json.dump(dashboard, open("broken.json", "w"))
EOF
export_cache="XDG_CACHE_HOME=$work/cache"  # a fresh grammar cache (pip and npm keep their own)
env "$export_cache" "$bin/druppie-grafana" validate good.json >good.out 2>good.err \
  || { cat good.out good.err; fail "validate of a good dashboard"; }
grep -q "installing the pinned query grammars into $work/cache/druppie-grafana/grammars/" good.err \
  || { cat good.err; fail "no first-need install notice"; }
grep -q "0 errors, 0 warnings" good.out || { cat good.out; fail "the good dashboard was not checked cleanly"; }
set +e
env "$export_cache" "$bin/druppie-grafana" validate broken.json >broken.out 2>broken.err
status=$?
set -e
[ "$status" = 1 ] || { cat broken.out broken.err; fail "a broken query gave exit $status, not 1"; }
grep -q "error \[logql-syntax\]" broken.out || { cat broken.out; fail "no logql-syntax error"; }
if grep -q installing broken.err; then fail "the grammars were installed twice"; fi
env "$export_cache" "$bin/druppie-grafana" setup >setup.out || { cat setup.out; fail "setup"; }
grep -q "query grammars ready in $work/cache/" setup.out || { cat setup.out; fail "setup did not use the cache"; }
env "$export_cache" "$bin/druppie-grafana" --root "$repo" validate >project.out 2>&1 \
  || { tail -20 project.out; fail "validate of the project with the installed wheel"; }
env PATH="$bin" "$export_cache" "$bin/druppie-grafana" validate good.json >nonode.out 2>&1 \
  || { cat nonode.out; fail "validate without node must only warn"; }
grep -q "install Node.js 20 or newer with npm.*druppie-grafana setup" nonode.out || { cat nonode.out; fail "no-node message"; }
echo "   $version: grammars installed on first need, good 0 / broken 1, setup, project validated, no-node message"

step "druppie-grafana-agent from its wheel, alone"
"$python" -m venv "$work/agent-venv"
pipq "$work/agent-venv/bin/python" install "$agent_whl"
if "$work/agent-venv/bin/python" -m pip list 2>/dev/null | grep -Ei '^(druppie-grafana |grafanalib|jsonschema|pyyaml)'; then
  fail "the agent's venv holds the provisioning tool or its dependencies"
fi
OTEL_TRACES_EXPORTER=console "$work/agent-venv/bin/python" - >agent.out 2>agent.err <<'EOF' || { cat agent.err; fail "agent"; }
import logging, sys
from druppie_grafana_agent import setup_logging, setup_tracing
provider = setup_tracing("smoke-agent", service_namespace="druppie", batch=False)
setup_logging()
with provider.get_tracer("smoke").start_as_current_span("handle") as span:
    logging.getLogger("smoke").info("inside a span")
print(format(span.get_span_context().trace_id, "032x"), file=sys.stderr)
provider.shutdown()
EOF
"$python" - agent.out "$(tail -1 agent.err)" <<'EOF' || fail "agent output"
import json, sys
out, trace_id = open(sys.argv[1]).read(), sys.argv[2]
lines = [json.loads(l) for l in out.splitlines() if l.startswith('{"time"')]
assert len(lines) == 1 and lines[0]["traceID"] == trace_id and len(lines[0]["spanID"]) == 16, (lines, trace_id)
assert f'"trace_id": "0x{trace_id}"' in out, "the console exporter did not print the span"
EOF
echo "   druppie-grafana-agent: one JSON line with the span's traceID, span on the console exporter"
echo "smoke_wheels: ok (${SECONDS}s)"
