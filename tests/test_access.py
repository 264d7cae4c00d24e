"""Access as code against the Grafana-like server on 127.0.0.1: folder permissions, teams, lock-out,
folders we do not own, Enterprise datasource permissions and the open-source warning."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import grafana_kit as kit
from druppie_grafana.grafana.access import apply_access, oss_warning, plan_access
from druppie_grafana.environments import load_environments
from druppie_grafana.resources import DATASOURCE, Resource

SEED_ACCESS = {"teams": {"developers": "View"}, "roles": {"Viewer": "None", "Editor": "None"}}


@pytest.fixture
def grafana():
    with kit.running_grafana(tokens={kit.TOKEN: "Admin"}) as fake:
        yield fake


def env(access=SEED_ACCESS, edition="oss", project_root=Path(__file__).resolve().parents[1]):
    base = load_environments(project_root / "environments.yaml").get("dev")
    return dataclasses.replace(base, folder_uid=kit.FOLDER_UID, folder_access=access, edition=edition)


def tempo(uid="t-tempo") -> Resource:
    return Resource(DATASOURCE, uid, {"uid": uid, "name": "T Tempo", "type": "tempo", "access": "proxy",
                                      "url": "http://tempo:3200", "jsonData": {}})


def run(grafana, tmp_path, environment, resources=None, cli=None):
    """Resources first, then permissions, as the apply command does; returns (access plan, outcomes)."""
    resources = resources or [kit.folder()]
    cli = cli or kit.client(grafana)
    access = plan_access(cli, environment, resources)
    result, _ = kit.apply(grafana, resources, tmp_path, cli=cli)
    skip = {(o.change.kind, o.change.uid) for o in result.outcomes if not o.ok}
    return access, apply_access(cli, access, skip=skip)


def folder_items(grafana, uid=kit.FOLDER_UID):
    return sorted(tuple(sorted(i.items())) for i in grafana.folder_permissions[uid])


def test_seed_access_creates_the_team_and_replaces_the_defaults_then_zero_writes(grafana, tmp_path):
    access, outcomes = run(grafana, tmp_path, env())
    assert access.teams_to_create == ["developers"]
    text = access.render_text()
    assert "+ create    team developers" in text and "+ team developers: View" in text
    assert [(o.label, o.status) for o in outcomes] == [("team developers", "created"),
                                                        (f"permissions of folder {kit.FOLDER_UID}", "updated")]
    team = grafana.team_id("developers")
    # Viewers and Editors lost the folder; only the team may view it (the org Admin token keeps Admin by role)
    assert grafana.folder_permissions[kit.FOLDER_UID] == [{"teamId": team, "permission": 1}]
    post = next(r for r in grafana.log if r.method == "POST" and r.path.endswith("/permissions"))
    assert post.body == {"items": [{"teamId": team, "permission": 1}]}

    grafana.clear_log()
    again, outcomes = run(grafana, tmp_path, env())
    assert not again.pending and again.teams_to_create == []
    assert [o.status for o in outcomes] == ["unchanged"]
    assert grafana.writes() == []
    assert "= no change permissions of folder" in again.render_text()


def test_a_change_in_the_ui_is_shown_and_put_back(grafana, tmp_path):
    run(grafana, tmp_path, env())
    grafana.folder_permissions[kit.FOLDER_UID].append({"role": "Viewer", "permission": 1})
    access = plan_access(kit.client(grafana), env(), [kit.folder()])
    assert access.pending and access.changes[0].lines() == ["- role Viewer: View", "= team developers: View"]
    apply_access(kit.client(grafana), access)
    assert grafana.folder_permissions[kit.FOLDER_UID] == [{"teamId": grafana.team_id("developers"), "permission": 1}]


def test_existing_team_is_reused_and_never_deleted_or_changed(grafana, tmp_path):
    member = grafana.add_user("alice", "Viewer")
    team = grafana.add_team("developers", members=(member,))
    grafana.add_team("auditors")
    _, outcomes = run(grafana, tmp_path, env({"teams": {"developers": "View", "auditors": "View"}}))
    assert all(o.ok for o in outcomes) and not any(r.path == "/api/teams" for r in grafana.writes())
    assert grafana.teams[team]["members"] == {member} and len(grafana.teams) == 2
    assert len(grafana.folder_permissions[kit.FOLDER_UID]) == 2


def test_users_are_looked_up_and_an_unknown_user_is_refused(grafana, tmp_path):
    bob = grafana.add_user("bob", "Editor")
    _, outcomes = run(grafana, tmp_path, env({"users": {"bob": "Edit"}, "roles": {"Viewer": "None"}}))
    assert outcomes[-1].status == "updated"
    assert grafana.folder_permissions[kit.FOLDER_UID] == [{"userId": bob, "permission": 2}]

    grafana.clear_log()
    access, outcomes = run(grafana, tmp_path, env({"users": {"bob": "Edit", "carol": "View"}}))
    assert outcomes[-1].status == "refused"
    assert "no user 'carol'" in outcomes[-1].message and "$.environments.dev.folder.access.users" in outcomes[-1].message
    assert "REFUSED" in access.render_text()
    assert grafana.writes() == []  # nothing applied for that folder


def test_lock_out_of_the_applying_user_is_refused(grafana, tmp_path):
    grafana.add_user("deployer", "Editor", token="editor-token")
    cli = kit.client(grafana, token="editor-token")
    access, outcomes = run(grafana, tmp_path, env(), cli=cli)
    refused = outcomes[-1]
    assert refused.status == "refused" and "'deployer'" in refused.message and "Admin" in refused.message
    assert "users: {deployer: Admin}" in refused.message
    # nothing applied for the folder: Grafana's defaults (creator Admin) are still there, no team was created
    assert {"role": "Viewer", "permission": 1} in grafana.folder_permissions[kit.FOLDER_UID]
    assert grafana.team_id("developers") is None

    # keeping its own Admin makes the same list acceptable
    keep = {**SEED_ACCESS, "users": {"deployer": "Admin"}}
    grafana.users[next(u for u, d in grafana.users.items() if d["login"] == "deployer")]["isServiceAccount"] = False
    _, outcomes = run(grafana, tmp_path, env(keep), cli=cli)
    assert outcomes[-1].status == "updated"
    assert len(grafana.folder_permissions[kit.FOLDER_UID]) == 2


def test_folders_we_do_not_own_are_untouched(grafana, tmp_path):
    grafana.folders["someone-else"] = {"id": 900, "uid": "someone-else", "title": "Theirs", "version": 1}
    theirs = [{"role": "Viewer", "permission": 1}, {"role": "Editor", "permission": 2}]
    grafana.folder_permissions["someone-else"] = list(theirs)
    run(grafana, tmp_path, env())
    assert grafana.folder_permissions["someone-else"] == theirs
    assert not any("someone-else" in r.path for r in grafana.log)


def test_oss_warns_and_sets_no_datasource_permissions(grafana, tmp_path):
    access, _ = run(grafana, tmp_path, env(), resources=[kit.folder(), kit.loki(), tempo()])
    assert access.warnings == [oss_warning(env())]
    text = access.render_markdown()  # the PR comment carries it; a terminal gets the rule's one line
    assert "SECURITY WARNING" in text and "any user of the org, viewers included, can query" in text.lower()
    assert "SECURITY WARNING" not in access.render_text()
    assert "separate Grafana org" in text and "Enterprise" in text
    assert not any("access-control" in r.path for r in grafana.log)


def test_enterprise_sets_loki_and_tempo_permissions_from_the_same_configuration(grafana, tmp_path):
    resources = [kit.folder(), kit.loki(), tempo()]
    access, outcomes = run(grafana, tmp_path, env(edition="enterprise"), resources=resources)
    assert access.warnings == [] and all(o.ok for o in outcomes)
    team = grafana.team_id("developers")
    for uid in ("t-loki", "t-tempo"):
        assert grafana.datasource_permissions[uid] == {("teamId", team): "Query"}  # Viewer/Editor removed

    grafana.clear_log()
    again, outcomes = run(grafana, tmp_path, env(edition="enterprise"), resources=resources)
    assert [o.status for o in outcomes] == ["unchanged"] * 3 and grafana.writes() == []
