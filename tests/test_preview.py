"""`preview`: the static site, opened in a real headless chromium (Debian's, through chromedriver).

Every panel box is measured where the browser drew it and compared with the gridPos of the JSON, for our
dashboards and the corpus dashboards; pages run with JavaScript errors counted (none allowed); a
screenshot of each page goes to build/test-artifacts/preview/."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import browser
from druppie_grafana.build import Project, build_resources
from druppie_grafana.cli import main
from druppie_grafana.preview.grid import grid_pos, migrate_rows
from druppie_grafana.resources import DASHBOARD

ARTIFACTS = Path(__file__).resolve().parents[1] / "build" / "test-artifacts" / "preview"
# The README's screenshots are made by this test when asked (a normal run leaves the checkout untouched):
# README_SCREENSHOTS=1 python -m pytest tests/test_preview.py -k gridpos_says
DOCS = Path(__file__).resolve().parents[1] / "docs" if os.environ.get("README_SCREENSHOTS") else None
needs_browser = pytest.mark.skipif(browser.available() is not None, reason=str(browser.available()))


def expected_positions(dashboard: dict) -> dict[str, tuple[int, int, int, int]]:
    """JSON path -> (x, y, w, h) as the JSON says (old `rows` dashboards: as Grafana's migration places them)."""
    if not dashboard.get("panels") and isinstance(dashboard.get("rows"), list):
        out = {}
        for panel in migrate_rows(dashboard):
            out[panel["__path"]] = grid_pos(panel)
            for child in panel.get("panels") or []:
                out[child["__path"]] = grid_pos(child)
        return out
    out = {}
    for i, panel in enumerate(p for p in dashboard.get("panels") or [] if isinstance(p, dict)):
        out[f"$.panels[{i}]"] = grid_pos(panel)
        if panel.get("type") == "row":
            for j, child in enumerate(c for c in panel.get("panels") or [] if isinstance(c, dict)):
                out[f"$.panels[{i}].panels[{j}]"] = grid_pos(child)
    return out


def measured_positions(driver) -> dict[str, tuple[int, int, int, int]]:
    driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    return {m["path"]: (m["x"], m["y"], m["w"], m["h"]) for m in driver.execute_script(browser.MEASURE)}


def index_entries(driver, site: Path) -> dict[str, Path]:
    """Source file -> page, read from the index page's table."""
    browser.open_page(driver, site / "index.html")
    rows = driver.execute_script(
        "return [...document.querySelectorAll('table tr')].slice(1).map(r => "
        "[r.querySelector('a').getAttribute('href'), r.cells[2].textContent])")
    return {source: site / href for href, source in rows}


@pytest.fixture(scope="module")
def our_site(tmp_path_factory, project_root) -> Path:
    out = tmp_path_factory.mktemp("preview") / "site"
    assert main(["preview", "--out", str(out)], default_root=project_root) == 0
    return out


@pytest.fixture(scope="module")
def driver():
    if browser.available():
        pytest.skip(browser.available())
    with browser.chromium() as d:
        yield d


def test_preview_writes_a_self_contained_site(our_site, project_root):
    project = Project(project_root)
    dashboards = [r for r in build_resources(project, project.environment(None)) if r.kind == DASHBOARD]
    pages = sorted(p.name for p in (our_site / "d").iterdir())
    assert pages == sorted(f"{r.uid}.html" for r in dashboards)
    for page in our_site.rglob("*.html"):
        text = page.read_text()
        assert "default-src 'none'" in text  # the browser fetches nothing, not even another file
        assert "http://" not in text.split("<main>")[0] and "<link" not in text


def test_preview_escapes_what_a_foreign_file_says(tmp_path, project_root):
    evil = "<script>alert(1)</script>"
    dashboard = {"title": evil, "uid": "evil", "panels": [
        {"type": "timeseries", "title": evil, "description": evil, "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
         "targets": [{"refId": "A", "expr": f'up{{job="{evil}"}}'}], "links": [{"title": evil, "url": evil}]}],
        "templating": {"list": [{"name": "x", "type": "custom", "query": evil}]}}
    (tmp_path / "evil.json").write_text(json.dumps(dashboard))
    assert main(["preview", str(tmp_path / "evil.json"), "--out", str(tmp_path / "site")], default_root=project_root) == 0
    for page in (tmp_path / "site").rglob("*.html"):
        assert "<script>alert" not in page.read_text()


@needs_browser
def test_our_dashboards_are_laid_out_where_their_gridpos_says(our_site, driver, project_root):
    project = Project(project_root)
    dashboards = [r for r in build_resources(project, project.environment(None)) if r.kind == DASHBOARD]
    for res in dashboards:
        browser.open_page(driver, our_site / "d" / f"{res.uid}.html")
        assert browser.javascript_errors(driver) == []
        assert measured_positions(driver) == expected_positions(res.spec), res.uid
        if DOCS and res.uid == "druppie-trace-audit":
            browser.screenshot(driver, DOCS / "preview-trace-audit.png", full_page=False)
        browser.screenshot(driver, ARTIFACTS / f"dashboard-{res.uid}.png")
        driver.set_window_size(1400, 1000)
    for name in ("index", "chain", "tryit"):
        browser.open_page(driver, our_site / f"{name}.html")
        assert browser.javascript_errors(driver) == []
        if DOCS and name == "chain":
            driver.set_window_size(1400, 880)
            browser.screenshot(driver, DOCS / "preview-link-chain.png", full_page=False)
        browser.screenshot(driver, ARTIFACTS / f"{name}.png")
        driver.set_window_size(1400, 1000)


@needs_browser
def test_a_finding_is_shown_on_its_panel(tmp_path, driver, project_root):
    dashboard = {"title": "t", "uid": "t", "schemaVersion": 39, "panels": [
        {"type": "timeseries", "title": "overlaps", "id": 1, "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}},
        {"type": "timeseries", "title": "overlaps too", "id": 1, "gridPos": {"x": 6, "y": 0, "w": 12, "h": 8}}]}
    (tmp_path / "t.json").write_text(json.dumps(dashboard))
    assert main(["preview", str(tmp_path / "t.json"), "--out", str(tmp_path / "site")], default_root=project_root) == 0
    browser.open_page(driver, tmp_path / "site" / "d" / "t.html")
    flagged = driver.execute_script("return [...document.querySelectorAll('.panel.has-finding')]"
                                    ".map(p => [p.dataset.path, p.querySelector('.findings').textContent])")
    assert flagged and all(path.startswith("$.panels[") for path, _ in flagged), flagged
    assert browser.javascript_errors(driver) == []


@needs_browser
def test_corpus_dashboards_are_laid_out_where_their_gridpos_says(corpus, project_root, tmp_path, driver):
    sources = [corpus / "dashboards", project_root / "tests" / "corpus" / "dashboards"]
    site = tmp_path / "site"
    assert main(["preview", *map(str, sources), "--out", str(site)], default_root=project_root) == 0
    entries = index_entries(driver, site)
    assert len(entries) >= 200
    checked = 0
    for source, page in sorted(entries.items()):
        data = json.loads(Path(source).read_text())
        dashboard = data["dashboard"] if isinstance(data.get("dashboard"), dict) else data
        browser.open_page(driver, page)
        assert browser.javascript_errors(driver) == [], source
        assert measured_positions(driver) == expected_positions(dashboard), source
        checked += len(expected_positions(dashboard))
        driver.save_screenshot(str(ARTIFACTS / "corpus" / f"{page.stem}.png")) if (ARTIFACTS / "corpus").mkdir(
            parents=True, exist_ok=True) is None else None
    assert checked > 2000


def test_the_link_chain_draws_every_kind_of_link_and_a_broken_one_as_broken(our_site):
    from druppie_grafana.preview.chain import chain_page
    from druppie_grafana.preview.site import Board
    text = (our_site / "chain.html").read_text()
    for kind in ("derived field", "trace to logs", "trace to metrics", "service map", "exemplar", "correlation",
                 "dashboard link"):
        assert f'data-kind="{kind}"' in text, kind
    loki = {"uid": "l", "name": "Loki", "type": "loki", "jsonData": {"derivedFields": [
        {"name": "TraceID", "matcherRegex": "t=(\\w+)", "url": "${__value.raw}", "datasourceUid": "gone"}]}}
    board = Board("b", {"title": "B", "links": [{"title": "<nowhere>", "url": "/d/missing"}]}, "b.json", page="d/b.html")
    page = chain_page([board], [loki], {})["chain.html"]
    assert page.count('class="edge broken"') == 2 and 'class="node datasource unknown"' in page
    assert "&lt;nowhere&gt;" in page and "<nowhere>" not in page


# ---- Try it: the browser's JavaScript against druppie_grafana/links.py ------------------------------

def _tryit_traces(driver, page: Path, lines: list[str], labels: str) -> list[str | None]:
    from selenium.webdriver.common.by import By
    browser.open_page(driver, page)
    driver.execute_script("document.getElementById('lines').value = arguments[0];"
                          "document.getElementById('labels').value = arguments[1];", "\n".join(lines), labels)
    driver.find_element(By.ID, "run-lines").click()
    traces = driver.execute_script("return [...document.querySelectorAll('#results tr')].map(r => r.dataset.trace)")
    assert browser.javascript_errors(driver) == []
    return [t or None for t in traces]


@needs_browser
@pytest.mark.parametrize("preset", sorted(__import__("druppie_grafana.contract", fromlist=["x"]).LOG_PRESETS))
def test_the_log_line_box_links_what_links_py_links_for_every_log_preset(preset, corpus, scratch_project, driver):
    from druppie_grafana.contract import Contract
    from druppie_grafana.links import LogRow
    from test_correlation_corpus import FORMATS, NO_IDS, corpus_lines, datasources_for, link_values, with_setting
    root = with_setting(scratch_project, {"log_preset": preset})
    files = [f for fs, _, p in FORMATS.values() if p == preset for f in fs]
    lines = corpus_lines(corpus, files + [NO_IDS]) + Contract.from_mapping({"log_preset": preset}).sample_lines()
    lines = [line for line in lines if "\r" not in line]  # a textarea turns \r into a line break
    expected = link_values(datasources_for(root), [LogRow(line, {"service_name": "x"}) for line in lines])
    assert main(["preview", "--out", str(root / "site")], default_root=root) == 0
    got = _tryit_traces(driver, root / "site" / "tryit.html", lines, "service_name=x")
    assert got == expected
    assert sum(v is not None for v in expected) >= 2 and expected.count(None) >= 1


@needs_browser
def test_the_trace_id_box_gives_the_loki_query_of_links_py(our_site, driver, project_root):
    from selenium.webdriver.common.by import By
    from druppie_grafana.links import SpanView, logs_link
    from druppie_grafana.resources import DATASOURCE
    project = Project(project_root)
    specs = [r.spec for r in build_resources(project, project.environment(None)) if r.kind == DATASOURCE]
    tempo = next(s for s in specs if s["type"] == "tempo")
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    span = SpanView(trace_id, "", "", 0, 0, resource=(("service.name", "check<out>"), ("k8s.namespace.name", "prod")))
    expected = logs_link(tempo, span, specs)
    browser.open_page(driver, our_site / "tryit.html")
    driver.execute_script("document.getElementById('trace-id').value = arguments[0];"
                          "document.getElementById('span-tags').value = arguments[1];",
                          trace_id, "service.name=check<out>\nk8s.namespace.name=prod")
    driver.find_element(By.ID, "run-trace").click()
    got = driver.execute_script("return [...document.querySelectorAll('#trace-results tr')].map(r => r.dataset.query)")
    assert got == [expected.expr]
    assert browser.javascript_errors(driver) == []
