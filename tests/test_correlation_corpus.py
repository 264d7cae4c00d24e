"""Foreign log formats from ../shared/corpus/logs through the built Loki datasource.

Each format has a ground truth read from the file by ordinary parsing (json, a logfmt scan), not by
the derived-field regex. The tests show which formats the DEFAULT datasource configuration links
correctly, and that one setting in environments.yaml (`contract: {log_preset: ...}`) makes the
built datasource link each of the others - every in-span line to its id, no other line anywhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

import pytest
import yaml

from druppie_grafana.build import Project, build_resources
from druppie_grafana.jsregex import node_path
from druppie_grafana.links import LogRow, log_links
from druppie_grafana.resources import DATASOURCE

pytestmark = pytest.mark.skipif(node_path() is None, reason="node is needed for JavaScript regex semantics")

ZERO = re.compile(r"^(0x)?0*$")


def _live(value: str | None) -> str | None:
    """An id that makes a working link: not missing, not "0" / all zeros; without the 0x prefix."""
    if not value or ZERO.match(value):
        return None
    return value[2:] if value.startswith("0x") else value


def _logfmt_pairs(line: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in re.findall(r'(?:^|\s|\[)([\w.]+)=("(?:[^"\\]|\\.)*"|[^\s\]]*)', line)}


def truth_logfmt(key: str) -> Callable[[list[str]], list[str | None]]:
    return lambda lines: [_live(_logfmt_pairs(line).get(key)) for line in lines]


def truth_json(key: str) -> Callable[[list[str]], list[str | None]]:
    def read(lines):
        out = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                out.append(None)
                continue
            out.append(_live(record.get(key)) if isinstance(record, dict) else None)
        return out
    return read


def truth_pretty_json(key: str) -> Callable[[list[str]], list[str | None]]:
    """Multi-line JSON records: Loki stores each physical line, so only the line holding `key` links."""
    def read(lines):
        text = "\n".join(lines)
        decoder, pos, records = json.JSONDecoder(), 0, []
        while pos < len(text):
            if text[pos].isspace():
                pos += 1
                continue
            record, end = decoder.raw_decode(text, pos)
            records.append((text.count("\n", 0, pos), text.count("\n", 0, end), record))
            pos = end
        out: list[str | None] = [None] * len(lines)
        for first, last, record in records:
            for n in range(first, last + 1):
                if lines[n].strip().startswith(f'"{key}"'):
                    out[n] = _live(record[key])
        return out
    return read


# name -> (corpus file(s), ground truth, the log_preset that should link it)
FORMATS = {
    "loki-logfmt": (["logs/loki-testdata/distributor-logfmt.txt", "logs/loki-testdata/ingester-logfmt.txt"],
                    truth_logfmt("traceID"), "logfmt"),
    "python-json-logger": (["logs/generated/python-json-logger-otel-fields.log"],
                           truth_json("otelTraceID"), "python-json-logger"),
    "python-json-logger-renamed": (["logs/generated/python-json-logger-renamed-trace_id.log"],
                                   truth_json("trace_id"), "otel-json"),
    "otel-text": (["logs/generated/otel-default-text-format.log"], truth_logfmt("trace_id"), "otel-text"),
    "otel-sdk-console": (["logs/generated/otel-sdk-console-exporter.pretty-json.log"],
                         truth_pretty_json("trace_id"), "otel-sdk-console"),
}
NO_IDS = "logs/loki-testdata/drone-json.txt"  # real JSON lines without any trace id

# What the default configuration (contract as shipped) does with each format, regex-mode lines only.
# Our own agents write the "druppie" format; none of the foreign ones is linked until a preset says so.
DEFAULT_LINKS_CORRECTLY = {"loki-logfmt": False, "python-json-logger": False, "python-json-logger-renamed": False,
                           "otel-text": False, "otel-sdk-console": False}


def corpus_lines(corpus: Path, files: list[str]) -> list[str]:
    return [line for f in files for line in (corpus / f).read_text(encoding="utf-8").splitlines()]


def datasources_for(root: Path) -> dict[str, dict]:
    project = Project(root)
    specs = [r.spec for r in build_resources(project, project.environment("dev")) if r.kind == DATASOURCE]
    return {spec["type"]: spec for spec in specs}


def link_values(datasources: dict[str, dict], rows: list[LogRow]) -> list[str | None]:
    values = []
    for links in log_links(datasources["loki"], rows, list(datasources.values())):
        assert len(links) <= 1, links
        for link in links:
            assert link.datasource_uid == datasources["tempo"]["uid"] and link.query_type == "traceql"
        values.append(links[0].query if links else None)
    return values


def with_setting(scratch: Path, contract: dict) -> Path:
    """The scratch project with exactly one change: the global `contract:` of environments.yaml."""
    path = scratch / "environments.yaml"
    data = yaml.safe_load(path.read_text())
    data["contract"] = contract
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return scratch


@pytest.mark.parametrize("name", FORMATS)
def test_what_the_default_configuration_links(corpus, project_root, name):
    files, truth, _ = FORMATS[name]
    lines = corpus_lines(corpus, files)
    expected = truth(lines)
    assert any(expected) and expected.count(None) >= 1, "the sample has lines inside and outside spans"
    got = link_values(datasources_for(project_root), [LogRow(line, {"service_name": "x"}) for line in lines])
    assert (got == expected) is DEFAULT_LINKS_CORRECTLY[name]
    # Where the default does not link a format, it links nothing in it: no dead or wrong links.
    assert got == [None] * len(lines)


@pytest.mark.parametrize("name", FORMATS)
def test_one_setting_switches_the_contract_to_the_format(corpus, scratch_project, name):
    files, truth, preset = FORMATS[name]
    lines = corpus_lines(corpus, files)
    datasources = datasources_for(with_setting(scratch_project, {"log_preset": preset}))
    assert link_values(datasources, [LogRow(line, {"service_name": "x"}) for line in lines]) == truth(lines)


@pytest.mark.parametrize("preset", sorted({p for _, _, p in FORMATS.values()} | {"druppie"}))
def test_lines_without_ids_never_link_under_any_preset(corpus, scratch_project, preset):
    lines = corpus_lines(corpus, [NO_IDS])
    datasources = datasources_for(with_setting(scratch_project, {"log_preset": preset}))
    assert link_values(datasources, [LogRow(line, {}) for line in lines]) == [None] * len(lines)


def _json_parser_labels(line: str) -> dict[str, str]:
    """The labels `| json` adds for a flat JSON line: top-level keys, values as strings."""
    record = json.loads(line)
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in record.items() if not isinstance(v, dict)}


def test_with_a_json_parser_the_default_label_field_links_trace_id_lines_including_dead_zeros(corpus, project_root):
    """A query with `| json` puts parsed fields into the row's labels. The default label-mode field
    (^trace_id$) then links python-json-logger lines renamed to trace_id, but label mode cannot
    skip the "0" written outside spans: those rows get a dead link. The regex field (or a preset)
    is the safe way; this test pins the hazard down."""
    _, truth, _ = FORMATS["python-json-logger-renamed"]
    lines = corpus_lines(corpus, FORMATS["python-json-logger-renamed"][0])
    rows = [LogRow(line, _json_parser_labels(line)) for line in lines]
    got = link_values(datasources_for(project_root), rows)
    expected = truth(lines)
    for value, want, row in zip(got, expected, rows):
        assert value == (want if want is not None else row.labels["trace_id"])
    assert "0" in got  # the dead link
    # The otelTraceID variant has no trace_id key, and the anchored regex does not match otelTraceID.
    other = corpus_lines(corpus, FORMATS["python-json-logger"][0])
    assert link_values(datasources_for(project_root), [LogRow(l, _json_parser_labels(l)) for l in other]) == \
        [None] * len(other)
