"""Issue 11: no secret, file or resource escapes its boundary, whatever Grafana or the input does.

Against the Grafana-like server on 127.0.0.1 made hostile (redirects, echoed secrets, search that
ignores paging, hostile uids, oversized and oddly shaped answers, TLS) and against real files.
One test (or a small group) per item of the issue, numbered as there.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

import grafana_kit as kit
from druppie_grafana.grafana.apply import check_secrets
from druppie_grafana.grafana.backups import BackupFailed, Backups
from druppie_grafana.cli import main
from druppie_grafana.grafana.client import ClientSettings, GrafanaClient, GrafanaError, Redirected, UnexpectedAnswer
from druppie_grafana.environments import load_environments
from druppie_grafana.errors import DruppieError, InputError
from druppie_grafana.grafana.handlers.datasources import MARK_HASH, MARK_OWNER
from druppie_grafana.grafana.plan import render_markdown, render_text
from druppie_grafana.redaction import MASK, Redactor
from druppie_grafana.resources import uid_problem
from fake_grafana import FakeGrafana, RawAnswer


@pytest.fixture
def grafana():
    with kit.running_grafana() as fake:
        yield fake


@pytest.fixture
def elsewhere():
    """A second server: where a hostile Grafana tries to send our requests."""
    with FakeGrafana() as fake:
        yield fake


@pytest.fixture
def project(tmp_path):
    return kit.write_project(tmp_path / "project", {"t-overview": "Overview"})


@pytest.fixture
def guarded_project(project):
    """The project with the seed's folder access: only the team developers may view the folder."""
    from test_access_cli import ACCESS  # noqa: PLC0415
    env_file = project / "environments.yaml"
    folder_line = f"    folder: {{uid: {kit.FOLDER_UID}, title: Team folder}}\n"
    env_file.write_text(env_file.read_text().replace(
        folder_line, f"    folder:\n      uid: {kit.FOLDER_UID}\n      title: Team folder\n{ACCESS}"))
    return project


def cli(capsys, project, *args):
    code = main([*args, "--root", str(project)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def everything():
    return [kit.folder(), kit.loki(), kit.dashboard("t-one")]


def _port(fake) -> int:
    return int(fake.url.rsplit(":", 1)[1])


# ---------------------------------------------------------------- 1. redirects

def test_1_a_redirected_write_is_not_followed_and_not_reported_as_done(grafana, elsewhere, tmp_path):
    def hostile(method, path, query, body):
        if method == "POST" and path == "/api/datasources":
            return RawAnswer(307, headers={"Location": f"http://localhost:{_port(elsewhere)}{path}"})
        return None
    grafana.hostile = hostile
    result, lines = kit.apply(grafana, everything(), tmp_path)
    assert elsewhere.log == []  # the body with secureJsonData went nowhere else
    failed = next(o for o in result.outcomes if o.change.uid == "t-loki")
    assert failed.status == "failed" and "redirecting to host localhost" in failed.message
    assert "never followed" in failed.message and not result.ok


def test_1_a_redirected_read_is_an_error_naming_the_host(grafana, elsewhere):
    grafana.hostile = lambda m, p, q, b: (RawAnswer(302, headers={"Location": f"http://localhost:{_port(elsewhere)}{p}"})
                                          if p.startswith("/api/dashboards/uid/") else None)
    with pytest.raises(Redirected, match="redirecting to host localhost"):
        kit.plan(grafana, everything())
    assert elsewhere.log == []


# ---------------------------------------------------------------- 2. ownership and prune

def test_2a_another_project_or_environment_never_prunes_ours(grafana, tmp_path):
    result, _ = kit.apply(grafana, everything(), tmp_path, owner="druppie/dev")
    assert result.ok and grafana.datasources["t-loki"]["jsonData"][MARK_OWNER] == "druppie/dev"
    for other in ("druppie/test", "other-project/dev"):
        plan = kit.plan(grafana, [kit.folder()], prune=True, owner=other)
        assert not [c for c in plan.changes if c.action == "delete"], other
        result, _ = kit.apply(grafana, [kit.folder()], tmp_path, prune=True, force=True, owner=other)
        assert result.ok
    assert "t-loki" in grafana.datasources and "t-one" in grafana.dashboards
    # and another owner's resource of the same uid is not silently taken over
    plan = kit.plan(grafana, everything(), owner="other-project/dev")
    assert not [c for c in plan.changes if c.action != "no change" and not c.blocked]


def test_2b_copies_and_hand_made_lookalikes_are_never_ours(grafana, tmp_path):
    owner = "druppie/dev"
    kit.apply(grafana, everything(), tmp_path, owner=owner)
    ours = grafana.dashboards["t-one"]["dashboard"]
    # "Save as": everything copied but the uid and title; a hand-made one with our tag; a copied datasource marker
    grafana.add_dashboard("t-copy", "Copy of one", folder_uid=kit.FOLDER_UID,
                          **{k: v for k, v in ours.items() if k not in ("uid", "title", "id", "version")})
    grafana.add_dashboard("t-hand", "Hand made", folder_uid=kit.FOLDER_UID, tags=["druppie-grafana"])
    marker = grafana.datasources["t-loki"]["jsonData"]
    grafana.add_datasource("t-copied", "Copied Loki", jsonData={MARK_OWNER: marker[MARK_OWNER],
                                                                 MARK_HASH: marker[MARK_HASH]})
    plan = kit.plan(grafana, everything(), prune=True, owner=owner)
    assert not [c for c in plan.changes if c.action == "delete"]
    assert sorted(c.uid for c in plan.foreign) == ["t-copied", "t-copy", "t-hand"]
    assert all("changed in Grafana since our last apply" not in c.blocked for c in plan.foreign)
    assert "never deleted" in render_text(plan)
    result, _ = kit.apply(grafana, everything(), tmp_path, prune=True, force=True, owner=owner)
    assert result.ok and {"t-copy", "t-hand"} <= set(grafana.dashboards) and "t-copied" in grafana.datasources

    # what is provably ours and no longer defined is pruned
    result, _ = kit.apply(grafana, everything()[:2], tmp_path, prune=True, owner=owner)
    assert result.count("deleted") == 1 and "t-one" not in grafana.dashboards


# ---------------------------------------------------------------- 3. paths

ESCAPE = "druppie-escape-test"


@pytest.mark.parametrize("uid", [f"../../{ESCAPE}", f"/tmp/{ESCAPE}", "a/b", "x\n", "", "y" * 41])
def test_3_a_hostile_uid_from_grafana_never_becomes_a_path(grafana, tmp_path, uid):
    kit.apply(grafana, everything(), tmp_path)
    grafana.hostile = lambda m, p, q, b: (RawAnswer(200, json.dumps([
        {"uid": uid, "title": "x", "type": "dash-db", "tags": ["druppie-grafana"], "folderUid": kit.FOLDER_UID}
    ]).encode(), {"Content-Type": "application/json"}) if p == "/api/search" else None)
    with pytest.raises(UnexpectedAnswer, match="no valid uid"):
        kit.plan(grafana, everything(), prune=True)
    backups = Backups(tmp_path / "backups", "dev")
    with pytest.raises(BackupFailed):
        backups.save("Dashboard", uid, {"a": 1})
    assert not (tmp_path / ESCAPE).exists() and not Path("/tmp", ESCAPE).exists()
    assert not list(tmp_path.rglob(f"*{ESCAPE}*"))


def test_3_backup_paths_stay_inside_their_folder(tmp_path):
    backups = Backups(tmp_path / "backups", "dev")
    path = backups.save("Dashboard", "ok-uid", {"dashboard": {"title": "t"}})
    assert path.resolve().is_relative_to((tmp_path / "backups").resolve())


# ---------------------------------------------------------------- 4. credentials in URLs

def _environments(tmp_path: Path, grafana_url: str, loki_url: str = "http://loki:3100") -> Path:
    path = tmp_path / "environments.yaml"
    path.write_text(textwrap.dedent(f"""\
        environments:
          dev:
            grafana: {{url: "{grafana_url}", auth: {{token: {{env: GRAFANA_TOKEN}}}}}}
            datasources:
              tempo: {{url: "http://tempo:3200"}}
              loki: {{url: "{loki_url}"}}
              prometheus: {{url: "http://prometheus:9090"}}
        """), encoding="utf-8")
    return path


@pytest.mark.parametrize("grafana_url,loki_url,where", [
    ("http://admin:hunter2-pw@grafana:3000", "http://loki:3100", "$.environments.dev.grafana.url"),
    ("http://grafana:3000", "https://grafana:hunter2-pw@loki:3100", "$.environments.dev.datasources.loki.url"),
    ("http://grafana:3000", "http://hunter2-pw@loki:3100", "$.environments.dev.datasources.loki.url"),
])
def test_4_credentials_inside_a_url_are_refused_and_never_repeated(tmp_path, grafana_url, loki_url, where):
    with pytest.raises(InputError) as refused:
        load_environments(_environments(tmp_path, grafana_url, loki_url))
    text = str(refused.value)
    assert where in text and "credentials" in text and "grafana.auth" in text and "hunter2" not in text


def test_4_grafana_url_with_credentials_is_a_usage_error(project, capsys, monkeypatch):
    monkeypatch.setenv("GRAFANA_URL", "https://admin:hunter2-pw@grafana.example")
    monkeypatch.setenv("GRAFANA_TOKEN", kit.TOKEN)
    code, out, err = cli(capsys, project, "plan")
    assert code == 2 and "GRAFANA_URL contains credentials" in err and "hunter2" not in out + err
    monkeypatch.setenv("GRAFANA_URL", "grafana.example:3000")
    code, out, err = cli(capsys, project, "plan")
    assert code == 2 and "GRAFANA_URL must start with http:// or https://" in err


def test_4_a_url_printed_from_anywhere_loses_its_userinfo():
    redact = Redactor()
    assert redact("see http://u:p4ss@h:1/x and https://tok@h2") == "see http://***@h:1/x and https://***@h2"


# ---------------------------------------------------------------- 5. access fails closed

def test_5_a_new_folder_whose_access_is_refused_is_not_created_open(grafana, guarded_project, capsys, monkeypatch):
    project = guarded_project
    monkeypatch.setenv("GRAFANA_URL", grafana.url)
    monkeypatch.setenv("LOKI_PASSWORD", kit.SECRET)
    grafana.add_user("deployer", "Editor", token="editor-token")
    monkeypatch.setenv("GRAFANA_TOKEN", "editor-token")  # the seed's access would lock it out: refused
    code, out, _ = cli(capsys, project, "apply")
    assert code == 1 and kit.FOLDER_UID not in grafana.folders and not grafana.dashboards
    assert not [r for r in grafana.writes() if r.path in ("/api/folders", "/api/dashboards/db")]


def test_5_a_created_folder_whose_permissions_fail_is_removed_again(grafana, guarded_project, capsys, monkeypatch):
    project = guarded_project
    monkeypatch.setenv("GRAFANA_URL", grafana.url)
    monkeypatch.setenv("GRAFANA_TOKEN", kit.TOKEN)
    monkeypatch.setenv("LOKI_PASSWORD", kit.SECRET)
    grafana.hostile = lambda m, p, q, b: (RawAnswer(500, b'{"message": "db locked"}')
                                          if m == "POST" and p.endswith("/permissions") else None)
    code, out, _ = cli(capsys, project, "apply")
    assert code == 1 and "deleted again so it is not left open" in out
    assert kit.FOLDER_UID not in grafana.folders and not grafana.dashboards
    assert "skipped   dashboard t-overview" in out


# ---------------------------------------------------------------- 6. permission drift

def test_6_grants_added_in_the_ui_are_kept_unless_forced_then_backed_up_and_counted(grafana, guarded_project,
                                                                                     capsys, monkeypatch):
    project = guarded_project
    monkeypatch.setenv("GRAFANA_URL", grafana.url)
    monkeypatch.setenv("GRAFANA_TOKEN", kit.TOKEN)
    monkeypatch.setenv("LOKI_PASSWORD", kit.SECRET)
    assert cli(capsys, project, "apply")[0] == 0
    bob = grafana.add_user("bob", "Viewer")
    auditors = grafana.add_team("auditors")
    grafana.folder_permissions[kit.FOLDER_UID] += [{"userId": bob, "permission": 2},
                                                   {"teamId": auditors, "permission": 1}]
    code, out, _ = cli(capsys, project, "plan")
    assert code == 3 and "- user bob: Edit" in out and "- team auditors: View" in out and "REFUSED" in out
    grafana.clear_log()
    code, out, _ = cli(capsys, project, "apply")
    assert code == 1 and "refused   permissions of folder" in out and "Nothing changed" in out
    assert grafana.writes() == [] and len(grafana.folder_permissions[kit.FOLDER_UID]) == 3

    code, out, _ = cli(capsys, project, "apply", "--force")
    assert code == 0 and "updated   permissions of folder" in out and "1 write requests" in out
    assert grafana.folder_permissions[kit.FOLDER_UID] == [{"teamId": grafana.team_id("developers"), "permission": 1}]
    saved = sorted((project / "backups" / "dev").glob(f"*/permissions/folders/{kit.FOLDER_UID}.json"))
    assert saved and {"kind": "user", "name": "bob", "level": "Edit"} in json.loads(saved[-1].read_text())


# ---------------------------------------------------------------- 7. redaction

def test_7_an_ordinary_tenant_is_not_masked_and_backups_stay_restorable(grafana, tmp_path):
    loki = kit.loki()
    loki.spec["jsonData"]["httpHeaderName1"] = "X-Scope-OrgID"
    loki.spec["secureJsonData"]["httpHeaderValue1"] = "druppie"  # a tenant: travels as a secret, is none
    folder = kit.folder("druppie-traceability", "druppie")
    dashboard = kit.dashboard("druppie-one", "druppie one", folder_uid="druppie-traceability")
    cli_ = kit.client(grafana)
    check_secrets([loki], kit.ENVIRON, cli_)
    assert cli_.redact("druppie-traceability") == "druppie-traceability"
    result, lines = kit.apply(grafana, [folder, loki, dashboard], tmp_path, cli=cli_)
    assert result.ok and any("druppie-traceability" in line for line in lines)
    grafana.edit_dashboard("druppie-one", title="druppie edited")
    result, lines = kit.apply(grafana, [folder, loki, dashboard], tmp_path, force=True, cli=cli_)
    backup = next((tmp_path / "backups").rglob("druppie-one.json"))
    assert json.loads(backup.read_text())["dashboard"]["title"] == "druppie edited" and MASK not in backup.read_text()


@pytest.mark.parametrize("secret", ['pa"ss\\wörd-7f3a', "<s&cr'et>-9b2c", "tok en+/=%-1d4e"])
def test_7_a_secret_echoed_by_grafana_in_any_spelling_or_cut_off_never_shows(grafana, tmp_path, secret):
    forms = [json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=True)[1:-1], secret]
    import html
    import urllib.parse
    forms += [html.escape(secret), urllib.parse.quote(secret, safe="")]
    message = ("bad basic auth password " + " / ".join(forms)).rjust(495, "x") + " " + secret
    grafana.hostile = lambda m, p, q, b: (RawAnswer(400, json.dumps({"message": message}).encode())
                                          if m == "POST" and p == "/api/datasources" else None)
    environ = {"LOKI_PASSWORD": secret}
    cli_ = kit.client(grafana)
    check_secrets([kit.loki()], environ, cli_)
    with pytest.raises(GrafanaError) as refused:
        cli_.post("/datasources", {"name": "x"})
    text = str(refused.value)
    assert MASK in text
    for form in forms:
        for cut in (form[:6], form[-6:]):
            assert cut not in text, cut


# ---------------------------------------------------------------- 8. TLS settings

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return str(cert), str(key)


def test_8_the_environments_tls_setting_wins_over_ca_bundle_variables(certificate, monkeypatch):
    import certifi
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # as CI runners often set: not our CA
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    with kit.running_grafana(tls=certificate) as fake:
        pinned = GrafanaClient(ClientSettings(url=fake.url, token=kit.TOKEN, verify=certificate[0]))
        assert pinned.get("/health")["database"] == "ok"
        warnings = []
        unverified = GrafanaClient(ClientSettings(url=fake.url, token=kit.TOKEN, verify=False), warn=warnings.append)
        for _ in range(3):
            unverified.get("/health")
        assert len(warnings) == 1 and "NOT verified" in warnings[0]
        default = GrafanaClient(ClientSettings(url=fake.url, token=kit.TOKEN))
        with pytest.raises(GrafanaError, match="TLS verification failed"):
            default.get("/health")


def test_8_a_missing_ca_file_is_one_clear_message(project, capsys, monkeypatch, grafana):
    monkeypatch.setenv("GRAFANA_URL", grafana.url)
    monkeypatch.setenv("GRAFANA_TOKEN", kit.TOKEN)
    env_file = project / "environments.yaml"
    env_file.write_text(env_file.read_text().replace("      auth:", "      ca_bundle: /no/such/ca.pem\n      auth:", 1))
    code, out, err = cli(capsys, project, "plan")
    assert code == 1 and "grafana.ca_bundle" in err and "/no/such/ca.pem" in err


# ---------------------------------------------------------------- 9. sys.exit in a definition

@pytest.mark.parametrize("where", ["import", "build"])
def test_9_a_definition_that_calls_sys_exit_is_a_failing_definition(project, capsys, where):
    body = "import sys\nsys.exit(0)\nUID = 'x'\ndef build(ctx):\n    return {}\n" if where == "import" else \
        "import sys\nUID = 't-exit'\ndef build(ctx):\n    sys.exit(0)\n"
    (project / "dashboards" / "exits.py").write_text(body, encoding="utf-8")
    for verb in ("build", "plan", "apply", "validate"):
        code, out, err = cli(capsys, project, verb)
        assert code == 1, verb
        assert "exits.py" in err and "called sys.exit(0)" in err, verb


# ---------------------------------------------------------------- 10. exhaustion and tracebacks

BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))


def test_10_a_yaml_alias_bomb_is_refused_at_once(project, capsys, tmp_path):
    assert len(BOMB) < 450
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB, encoding="utf-8")
    code, out, err = cli(capsys, project, "validate", str(bomb))
    assert code == 1 and "alias" in out + err
    (project / "environments.yaml").write_text(BOMB, encoding="utf-8")
    code, out, err = cli(capsys, project, "build")
    assert code == 1 and "alias bomb" in err


def test_10_deep_nesting_is_refused(project, capsys, tmp_path):
    for name, text in (("deep.json", "[" * 50_000 + "]" * 50_000), ("deep.yaml", "x: " + "[" * 5000 + "]" * 5000),
                       ("less.json", "[" * 500 + "]" * 500)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        code, out, err = cli(capsys, project, "validate", str(tmp_path / name))
        assert code == 1 and "nested" in out + err, name


def test_10_search_that_ignores_paging_ends(grafana, tmp_path):
    kit.apply(grafana, everything(), tmp_path)
    page = [{"uid": f"d{i}", "title": "x", "type": "dash-db", "tags": ["druppie-grafana"], "folderUid": "elsewhere"}
            for i in range(1000)]
    grafana.hostile = lambda m, p, q, b: (RawAnswer(200, json.dumps(page).encode()) if p == "/api/search" else None)
    grafana.clear_log()
    plan = kit.plan(grafana, everything(), prune=True)
    assert not plan.pending and sum(1 for r in grafana.log if r.path == "/api/search") == 2


@pytest.mark.parametrize("path,body", [
    ("/api/dashboards/uid/t-overview", b"[]"),
    ("/api/dashboards/uid/t-overview", b'{"dashboard": [], "meta": 5}'),
    ("/api/search", b'[{"title": "no uid"}]'),
    ("/api/search", b'{"hits": []}'),
    ("/api/datasources", b'[{"uid": 7}]'),
    ("/api/folders/t-folder", b'"a string"'),
    ("/api/datasources/uid/t-loki", b"<html>login</html>"),
])
def test_10_answers_of_an_unexpected_shape_are_a_clear_error(grafana, tmp_path, project, capsys, monkeypatch,
                                                              path, body):
    monkeypatch.setenv("GRAFANA_URL", grafana.url)
    monkeypatch.setenv("GRAFANA_TOKEN", kit.TOKEN)
    monkeypatch.setenv("LOKI_PASSWORD", kit.SECRET)
    grafana.hostile = lambda m, p, q, b: RawAnswer(200, body) if m == "GET" and p == path else None
    code, out, err = cli(capsys, project, "plan", "--prune")
    assert code == 1 and err.startswith("error: ") and "Grafana" in err


def test_10_an_oversized_answer_is_not_read_whole(grafana):
    cli_ = kit.client(grafana)
    grafana.hostile = lambda m, p, q, b: RawAnswer(200, b"[" + b" " * (1 << 20), chunks=80) if p == "/api/search" else None
    with pytest.raises(UnexpectedAnswer, match="larger than 64 MiB"):
        cli_.get("/search")
    grafana.hostile = lambda m, p, q, b: RawAnswer(200, b"[]", {"Content-Length": str(400 * 2**20)})
    with pytest.raises(UnexpectedAnswer, match="larger than 64 MiB"):
        cli_.get("/search")


@pytest.mark.parametrize("option", [["--timeout", "-1"], ["--timeout", "nan"], ["--timeout", "inf"],
                                    ["--timeout", "0"], ["--workers", "0"], ["--workers", "-3"], ["--workers", "x"]])
def test_10_bad_numbers_on_the_command_line_are_usage_errors(project, capsys, option):
    with pytest.raises(SystemExit) as stopped:
        main(["plan", *option, "--root", str(project)])
    assert stopped.value.code == 2 and "must be" in capsys.readouterr().err


def test_10_bad_credentials_and_unwritable_backups_are_messages(grafana, project, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("GRAFANA_URL", grafana.url)
    monkeypatch.setenv("LOKI_PASSWORD", kit.SECRET)
    monkeypatch.setenv("GRAFANA_TOKEN", "tøken-\u2603")
    code, out, err = cli(capsys, project, "plan")
    assert code == 1 and "GRAFANA_TOKEN" in err and "Latin-1" in err and "\u2603" not in err

    monkeypatch.delenv("GRAFANA_TOKEN")
    token_file = tmp_path / "token"
    token_file.write_bytes(b"\xff\xfe\x00bad")
    env_file = project / "environments.yaml"
    env_file.write_text(env_file.read_text().replace("{env: GRAFANA_TOKEN}", f"{{file: {token_file}}}"))
    code, out, err = cli(capsys, project, "plan")
    assert code == 1 and "is not UTF-8" in err

    token_file.write_text(kit.TOKEN)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, out, err = cli(capsys, project, "apply", "--backup-dir", str(blocker / "backups"))
    assert code == 1 and "cannot write backups" in err and grafana.writes() == []


# ---------------------------------------------------------------- 11. injection

EVIL = "[click](https://evil.example) ![x](https://evil.example/p.png) <img src=x> \x1b]8;;https://evil\x07hi\x1b[2J\r| # h"


def test_11_titles_from_grafana_cannot_inject_markdown_or_terminal_escapes(grafana, tmp_path):
    kit.apply(grafana, everything(), tmp_path)
    grafana.add_dashboard("t-evil", EVIL, folder_uid=kit.FOLDER_UID, tags=["druppie-grafana"])
    grafana.edit_dashboard("t-one", title=EVIL)
    plan = kit.plan(grafana, everything(), prune=True)
    markdown = render_markdown(plan)
    prose = re.sub(r"(?ms)^(`{3,}).*?^\1$", "", markdown)  # fenced blocks are literal text
    assert "```diff" in markdown and "\\[click\\]" in prose
    assert "](https://evil" not in prose.replace("\\](", "") and "<img" not in prose
    assert "\x1b" not in markdown and "\x07" not in markdown and "\r" not in markdown
    text = render_text(plan)
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    fenced = [line for line in markdown.splitlines() if line.startswith("```")]
    assert len(fenced) % 2 == 0


# ---------------------------------------------------------------- 12. NaN and Infinity

def test_12_nan_and_infinity_in_a_definition_are_refused_with_their_path(project, capsys, grafana, monkeypatch):
    monkeypatch.setenv("GRAFANA_URL", grafana.url)
    monkeypatch.setenv("GRAFANA_TOKEN", kit.TOKEN)
    monkeypatch.setenv("LOKI_PASSWORD", kit.SECRET)
    (project / "dashboards" / "nan.py").write_text(textwrap.dedent("""\
        UID = "t-nan"
        def build(ctx):
            return {"title": "n", "schemaVersion": 39, "panels": [{"id": 1, "type": "stat", "title": "s",
                    "gridPos": {"x": 0, "y": 0, "w": 6, "h": 4},
                    "fieldConfig": {"defaults": {"min": float("nan"), "max": float("inf")}}}]}
        """), encoding="utf-8")
    for verb in ("build", "plan", "apply"):
        code, out, err = cli(capsys, project, verb)
        assert code == 1 and "$.panels[0].fieldConfig.defaults.min" in err and "NaN or Infinity" in err, verb
    assert grafana.writes() == [] and not (project / "build").exists()


# ---------------------------------------------------------------- 13. whole-string uid rules

@pytest.mark.parametrize("uid", ["abc\n", "abc\r\n", "\nabc", "ab c"])
def test_13_uids_must_match_as_a_whole(uid, project, capsys):
    assert uid_problem(uid)
    (project / "dashboards" / "nl.py").write_text(f"UID = {uid!r}\ndef build(ctx):\n    return {{'title': 't'}}\n")
    code, out, err = cli(capsys, project, "build")
    assert code == 1 and "nl.py" in err


def test_13_schema_patterns_do_not_accept_a_trailing_newline(tmp_path):
    path = _environments(tmp_path, "http://grafana:3000")
    path.write_text(path.read_text().replace("environments:\n  dev:", 'environments:\n  "dev\\n":'))
    with pytest.raises(InputError):
        load_environments(path)


# ---------------------------------------------------------------- 14. races and one gate

def test_14_a_concurrent_apply_is_reported_honestly(grafana, tmp_path):
    stale = kit.plan(grafana, everything())  # read before the other apply ran
    first, _ = kit.apply(grafana, everything(), tmp_path)
    assert first.ok
    cli_ = kit.client(grafana)
    check_secrets(everything(), kit.ENVIRON, cli_)
    applier = kit.Applier(cli_, environ=kit.ENVIRON, backups=Backups(tmp_path / "b", "test"), report=lambda _: None)
    second = applier.apply(stale)
    messages = [o.message for o in second.outcomes]
    assert not any("lost answer" in m for m in messages)
    assert second.ok and any("concurrent apply" in m for m in messages)


def test_14_a_team_created_meanwhile_is_used_not_failed(grafana, tmp_path):
    from test_access import env, run  # noqa: PLC0415 - the access tests' helpers
    from druppie_grafana.grafana.access import apply_access, plan_access

    access = plan_access(kit.client(grafana), env(), [kit.folder()])
    assert access.teams_to_create == ["developers"]
    run(grafana, tmp_path, env())  # the other apply creates the team and the folder's list
    outcomes = apply_access(kit.client(grafana), access)
    assert all(o.ok for o in outcomes), outcomes
    assert len([t for t in grafana.teams.values() if t["name"] == "developers"]) == 1


def test_14_apply_runs_every_check_build_runs(project, capsys, grafana, monkeypatch):
    monkeypatch.setenv("GRAFANA_URL", grafana.url)
    monkeypatch.setenv("GRAFANA_TOKEN", kit.TOKEN)
    monkeypatch.setenv("LOKI_PASSWORD", kit.SECRET)
    env_file = project / "environments.yaml"
    env_file.write_text(env_file.read_text().replace(
        'prometheus: {url: "http://prometheus:9090"}',
        'prometheus: {url: "http://prometheus:9090", headers: {X-Token: {file: /run/secrets/prom}}}'))
    results = {verb: cli(capsys, project, verb) for verb in ("build", "plan", "apply")}
    for verb, (code, out, err) in results.items():
        assert code == 1 and "cannot read a header value from a file" in err, verb
    assert grafana.writes() == []
