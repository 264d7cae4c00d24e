"""`import` of schema v2 dashboards: v2 -> classic (outputs/v2/to_classic) against Grafana's own
conversion pairs, over the v2 files of ../shared/corpus, over our dashboards through outputs/v2 and
back, and through the CLI. Each difference a v1 -> v2 -> v1 trip leaves is one of LOSSES, each with
its reason: what the forward conversion (Grafana's, and ours in outputs/v2) drops or states on purpose."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from druppie_grafana.build import Project, build_resources
from druppie_grafana.errors import UsageError
from druppie_grafana.grafana_ext.dashboard import DashboardError
from druppie_grafana.importer.emit import module_text
from druppie_grafana.importer.read import Source, from_data, read
from druppie_grafana.importer.roundtrip import build_text, compare, differences, normalise
from druppie_grafana.outputs.v2 import dashboard_object
from druppie_grafana.outputs.v2.to_classic import Reader, to_classic
from druppie_grafana.resources import DASHBOARD

from test_import import cli
from test_readme_examples import ROOT, project  # noqa: F401 - the fixture: a copy of the project

LOCAL = ROOT / "tests" / "corpus" / "conversion"
SHARED_CONVERSION = ROOT.parent / "shared" / "corpus" / "grafana13" / "conversion" / "testdata"

# (pattern of a difference as roundtrip.differences words it, why the v1 -> v2 conversion loses it)
LOSSES = [
    (r"\$\.(preload|liveNow|fiscalYearStartMonth): only in the build",
     "v2 states these dashboard flags always (false, 0); a classic dashboard without them means the same"),
    (r"\$\.weekStart: only in the original", "an empty weekStart (the browser's) is not written to timeSettings"),
    (r"\$\.annotations\.list\[0\]\.datasource: only in the original",
     "the built-in annotation's datasource without a type becomes group '' and no name (Grafana resolves the "
     "built-in one by builtIn)"),
    (r"\$\.panels\[\d+\]\.datasource: only in the original",
     "a panel's own datasource lives only on its queries in v2: a panel without queries (or a row) loses it"),
    (r"\$\.panels\[\d+\](\.targets\[\d+\])?\.datasource\.apiVersion: only in the original",
     "v2 references a datasource by group and name only"),
    (r"\$\.panels\[\d+\]\.fieldConfig(\.defaults\.mappings)?: only in the original",
     "empty value mappings and empty custom field config are dropped from the field defaults"),
    (r"\$\.panels\[\d+\]\.fieldConfig\.defaults\.thresholds\.steps\[0\]\.value: only in the build",
     "the first threshold step is written with value null (Grafana's own output does so)"),
    (r"\$\.panels\[\d+\]\.targets\[\d+\]\.hide: only in the original", "hide false becomes hidden false: absent"),
    (r"\$\.links\[\d+\]\.(asDropdown|keepTime|targetBlank|includeVars|tooltip|title|icon|tags): only in the build",
     "v2 writes every dashboard link field, false or empty where the classic link said nothing"),
    (r"\$\.templating\.list\[\d+\]\.current\.selected: only in the original",
     "v2 keeps a variable's current text and value only"),
    (r"\$\.templating\.list\[\d+\]\.(queryValue|options|description): only in the original",
     "dropped by the conversion: queryValue always, a textbox's options, an empty description"),
    (r"\$\.templating\.list\[\d+\]\.(allowCustomValue|baseFilters|defaultKeys): only in the build",
     "v2 states these variable defaults (true, [], [])"),
]
# Losses only our dashboards show (no Grafana pair has a panel link with targetBlank false).
OUR_LOSSES = [(r"\$\.panels\[\d+\]\.links\[\d+\]\.targetBlank: only in the original",
               "a panel link's targetBlank false is not written (outputs/v2/elements.py _data_link)")]
# Pair-specific losses: the pair, the pattern, why.
PAIR_LOSSES = [
    ("v1beta1.panel-library.v42", r"\$\.panels\[0\]\.",
     "an angular graph panel: Grafana migrates it to timeseries before converting (autoMigrateFrom, "
     "options.__angularMigration), so its classic graph keys do not come back"),
]


def _pairs() -> dict[str, tuple[Path, Path]]:
    pairs = {}
    for base in (LOCAL, SHARED_CONVERSION):
        if not base.is_dir():
            continue
        for path in sorted((base / "input").rglob("*.json")):
            outputs = sorted((base / "output").rglob(f"{path.stem}.v2beta1.json"))
            if path.stem.startswith(("v0alpha1.", "v1beta1.")) and outputs:
                pairs[path.stem] = (path, outputs[0])
    return pairs


def _unexplained(name: str, diffs: list[str], used: set, losses: list = LOSSES) -> list[str]:
    out = []
    for diff in diffs:
        rules = [(pattern, why) for pattern, why in losses if re.match(pattern, diff)]
        rules += [(pattern, why) for pair, pattern, why in PAIR_LOSSES if pair == name and re.match(pattern, diff)]
        used.update(pattern for pattern, _ in rules)
        if not rules:
            out.append(diff)
    return out


def test_grafanas_pairs_come_back_except_for_the_listed_losses():
    pairs = _pairs()
    assert len(pairs) >= 9, sorted(pairs)  # 9 in tests/corpus, 3 more in ../shared when present
    used: set = set()
    equal, unexplained = [], {}
    for name, (classic_file, v2_file) in sorted(pairs.items()):
        v2 = json.loads(v2_file.read_text())
        got = to_classic(v2["spec"], metadata=v2.get("metadata"))
        diffs = differences(normalise(json.loads(classic_file.read_text())), normalise(got))
        if not diffs:
            equal.append(name)
        rest = _unexplained(name, diffs, used)
        if rest:
            unexplained[name] = rest
    print(f"\nv1 -> v2 -> v1: {len(equal)}/{len(pairs)} pairs equal after normalising, the rest only by LOSSES")
    assert unexplained == {}
    assert not [p for p, _ in LOSSES if p not in used], "a listed loss no pair shows: drop it"


def _shared(corpus: Path, *parts: str) -> Path:
    return corpus / "grafana13" / "conversion" / "testdata" / Path(*parts)


def test_tabs_with_nested_rows_is_grafanas_v1(corpus):
    """Grafana's v2 -> v1 pair: tabs become expanded rows, rows nested in a tab follow it, a collapsed
    row holds its auto-grid panels at absolute y, a hidden-header row gets no row panel."""
    v2 = json.loads(_shared(corpus, "input", "v2beta1.tabs-with-nested-rows.json").read_text())
    want = json.loads(_shared(corpus, "output", "v2beta1.tabs-with-nested-rows.v1beta1.json").read_text())["spec"]
    got = to_classic(v2["spec"], metadata=v2["metadata"])
    # our classic JSON carries the identity Grafana's object keeps in metadata (name, internal id label)
    assert got.pop("uid") == v2["metadata"]["name"] and got.pop("id") == 360521534459904
    assert got == want


def test_grafanas_older_v2_to_v1_pair_differs_only_where_that_grafana_did(corpus):
    v2 = json.loads(_shared(corpus, "input", "migrated_dashboards_from_v0_to_v2",
                            "v2beta1.v27.repeated_panels_and_constant_variable.json").read_text())
    want = json.loads(_shared(corpus, "output", "migrated_dashboards_from_v0_to_v2",
                              "v2beta1.v27.repeated_panels_and_constant_variable.v1beta1.json").read_text())["spec"]
    got = to_classic(v2["spec"], metadata=v2["metadata"])
    # That output predates the rules of v2_to_v1_layout_conversion.md: row id -1 instead of the next id,
    # the row's panel at the row's own line instead of the one below it, no panel datasource, and
    # pluginVersion "" and options {} written out; empty fieldConfig left out.
    assert differences(want, got) == [
        "$.panels[0].datasource: only in the build", "$.panels[0].fieldConfig: only in the build",
        "$.panels[0].pluginVersion: only in the original", "$.panels[1].id: -1 in the original, 7 in the build",
        "$.panels[2].fieldConfig: only in the build", "$.panels[2].gridPos.y: 3 in the original, 4 in the build",
        "$.panels[2].pluginVersion: only in the original", "$.uid: only in the build"]


def _v2_files(corpus: Path) -> list[Path]:
    folder = corpus / "grafana13" / "dashboards-v2"
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "LICENSE")


def test_every_v2_file_of_the_corpus_imports_and_builds_or_is_refused_clearly(corpus):
    files = _v2_files(corpus)
    assert len(files) >= 8
    built, refused = [], []
    for path in files:
        try:
            src = read(path)
        except UsageError as exc:
            assert str(exc).startswith(f"{path}: ") and "Traceback" not in str(exc)
            refused.append(path.name)
            continue
        assert src.form.startswith("kubernetes dashboard.grafana.app/v2")
        text = module_text(src, path.stem.replace("-", "_"))
        compile(text, str(path), "exec")
        try:
            build_text(text)
        except DashboardError as exc:  # the build's own checks: one message, as for a classic import
            refused.append(f"{path.name}: {str(exc)[:100]}")
            continue
        result = compare(src, text)
        assert not result.error and not result.dropped, path
        assert result.differences == [], path
        built.append(path.name)
    print(f"\nv2 corpus: {len(built)} imported and built exactly, refused: {refused}")
    assert refused == [
        # $START/$END are macros of ESnet's tsds datasource, not variables: the build refuses, as it would
        # for the same dashboard in classic JSON (README: "imports but does not build, and import says so")
        "latency-patterns.json: dashboard 'Latency Patterns': $.templating.list[0].query uses $START, which no dashboard variable de",
        "examples-manifests-dashboards-v2-resources.yaml",  # a YAML grafana-operator manifest, not JSON
    ]


def _ours() -> list:
    root = Project(ROOT)
    return [r for r in build_resources(root, root.environment(None)) if r.kind == DASHBOARD]


@pytest.mark.parametrize("resource", _ours(), ids=lambda r: r.uid)
def test_our_dashboards_through_v2_import_back_to_the_classic_original(resource):
    obj = json.loads(json.dumps(dashboard_object(resource)))  # what a v2 file of ours holds
    src = from_data(obj, f"{resource.uid}.json")
    assert src.form == "kubernetes dashboard.grafana.app/v2" and src.dashboard["uid"] == resource.uid
    text = module_text(src, resource.uid.replace("-", "_"))
    assert compare(src, text).exact  # the module builds into the converted dashboard
    result = compare(Source(copy.deepcopy(resource.spec), "dashboard", [], resource.uid), text)
    assert not result.error and not result.dropped
    assert _unexplained(resource.uid, result.differences, set(), LOSSES + OUR_LOSSES) == []


def test_import_cli_takes_a_v2_file(project, tmp_path):  # noqa: F811
    root = Project(project)
    resource = next(r for r in build_resources(root, root.environment(None)) if r.uid == "druppie-audit-log")
    obj = dashboard_object(resource)
    obj["metadata"]["name"], obj["spec"]["title"] = "team-audit-v2", "Team audit (v2)"
    source = tmp_path / "team-audit-v2.json"
    source.write_text(json.dumps(obj))
    done = cli(project, "import", str(source))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "round trip: builds back into the same dashboard" in done.stdout
    text = (project / "dashboards" / "team_audit_v2.py").read_text()
    assert "(kubernetes dashboard.grafana.app/v2)" in text.splitlines()[0] and 'UID = "team-audit-v2"' in text
    bad = tmp_path / "bad-v2.json"
    obj["spec"]["layout"] = {"kind": "MasonryLayout", "spec": {}}
    bad.write_text(json.dumps(obj))
    refused = cli(project, "import", str(bad))
    assert refused.returncode == 2 and "$.spec.layout.kind" in refused.stderr and str(bad) in refused.stderr


def _spec(**change) -> dict:
    spec = {"title": "x", "elements": {"panel-1": {"kind": "Panel", "spec": {"id": 1, "title": "p"}}},
            "layout": {"kind": "GridLayout", "spec": {"items": [{"kind": "GridLayoutItem", "spec": {
                "x": 0, "y": 0, "width": 12, "height": 8, "element": {"kind": "ElementReference", "name": "panel-1"}}}]}}}
    spec.update(change)
    return spec


@pytest.mark.parametrize("spec, path, words", [
    (_spec(elements=[1]), "$.spec.elements", "should be an object"),
    (_spec(layout={"kind": "MasonryLayout", "spec": {}}), "$.spec.layout.kind", "none of GridLayout"),
    (_spec(elements={}), "$.spec.layout.spec.items[0].spec.element.name", "not among the spec's elements"),
    (_spec(elements={"panel-1": {"kind": "Chart", "spec": {}}}), "$.spec.elements.panel-1.kind", "none of Panel"),
    (_spec(variables=[{"kind": "QueryVariable", "spec": {"name": "v", "hide": "sometimes"}}]),
     "$.spec.variables[0].spec.hide", "none of dontHide"),
    (_spec(cursorSync=2), "$.spec.cursorSync", "none of Off"),
])
def test_a_malformed_v2_dashboard_is_one_usage_error_with_its_path(spec, path, words):
    obj = {"apiVersion": "dashboard.grafana.app/v2beta1", "kind": "Dashboard", "metadata": {"name": "x"}, "spec": spec}
    with pytest.raises(UsageError) as exc:
        from_data(obj, "in.json")
    message = str(exc.value)
    assert message.startswith("in.json: ") and f"at {path}: " in message and words in message
    assert "validate in.json" in message


def test_a_bare_v2_spec_is_read_and_its_paths_start_at_the_root():
    src = from_data(_spec(), "bare.json")
    assert src.form == "v2 spec" and src.dashboard["panels"][0]["gridPos"] == {"h": 8, "w": 12, "x": 0, "y": 0}
    with pytest.raises(UsageError, match=r"at \$\.layout\.kind: "):
        from_data(_spec(layout={"kind": "?", "spec": {}}), "bare.json")


def test_auto_grid_rows_and_repeats_are_placed_as_grafana_places_them():
    def item(name, **extra):
        return {"kind": "AutoGridLayoutItem", "spec": {"element": {"kind": "ElementReference", "name": name}, **extra}}
    elements = {f"panel-{i}": {"kind": "Panel", "spec": {"id": i, "title": str(i)}} for i in (1, 2, 3)}
    spec = {"title": "a", "elements": elements, "layout": {"kind": "RowsLayout", "spec": {"rows": [
        {"kind": "RowsLayoutRow", "spec": {"title": "", "hideHeader": True, "layout": {
            "kind": "GridLayout", "spec": {"items": [{"kind": "GridLayoutItem", "spec": {
                "x": 0, "y": 0, "width": 24, "height": 4, "element": {"kind": "ElementReference", "name": "panel-3"}}}]}}}},
        {"kind": "RowsLayoutRow", "spec": {"title": "R", "repeat": {"mode": "variable", "value": "env"}, "layout": {
            "kind": "AutoGridLayout", "spec": {"maxColumnCount": 2, "rowHeightMode": "short", "items": [
                item("panel-1", repeat={"mode": "variable", "value": "pod"}), item("panel-2")]}}}}]}}}
    panels = to_classic(spec)["panels"]
    assert [(p.get("type"), p["gridPos"]) for p in panels] == [
        ("", {"h": 4, "w": 24, "x": 0, "y": 0}), ("row", {"h": 1, "w": 24, "x": 0, "y": 4}),
        ("", {"h": 5, "w": 12, "x": 0, "y": 5}), ("", {"h": 5, "w": 12, "x": 12, "y": 5})]
    assert panels[1]["repeat"] == "env" and panels[1]["id"] == 4
    assert (panels[2]["repeat"], panels[2]["repeatDirection"], panels[2]["maxPerRow"]) == ("pod", "h", 2)


def test_the_lenient_reader_keeps_going_and_maps_paths_back():
    reader = Reader(("spec",), strict=False)
    data = to_classic(_spec(elements={"panel-1": {"kind": "Chart", "spec": {"id": 1}}, "panel-9": []}), reader,
                      keep_unplaced=True)
    assert [p["id"] for p in data["panels"]] == [1, 9]
    assert reader.where("$.panels[0].gridPos") == "$.spec.layout.spec.items[0].spec"
    assert reader.where("$.panels[0].title") == "$.spec.elements.panel-1.spec.title"


def test_damaged_v2_never_raises_anything_but_the_shape_error(corpus):
    """Junk at random places of a real v2 spec: strict gives V2ShapeError (import: one UsageError), the
    checks' lenient view gives a view; neither a traceback."""
    import random

    from druppie_grafana.checks.v2_view import V2View
    from druppie_grafana.outputs.v2.to_classic import V2ShapeError
    base = json.loads(_shared(corpus, "input", "v2beta1.tabs-with-nested-rows.json").read_text())["spec"]

    def paths(value, path=()):
        yield path
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in children:
            yield from paths(child, path + (key,))
    places = list(paths(base))[1:]
    rng = random.Random(7)
    for _ in range(400):
        spec = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            path, where = rng.choice(places), spec
            try:
                for key in path[:-1]:
                    where = where[key]
                where[path[-1]] = rng.choice([None, 1, -3, "x", [], {}, [1], {"kind": 3}, True, {"spec": 1}])
            except (KeyError, IndexError, TypeError):
                pass  # an earlier change removed the way there
        V2View(spec)
        try:
            to_classic(spec)
        except V2ShapeError:
            pass
