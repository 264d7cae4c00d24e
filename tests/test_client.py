"""The Grafana client against the fake server: auth, CI overrides, TLS settings, which calls are retried."""

from __future__ import annotations

import pytest

import grafana_kit as kit
from druppie_grafana.grafana.client import ClientSettings, GrafanaClient, ServerError, Unreachable
from druppie_grafana.environments import load_environments
from druppie_grafana.errors import DruppieError
from fake_grafana import FakeGrafana, Faults


def _env(tmp_path, auth: str, extra: str = ""):
    (tmp_path / "environments.yaml").write_text(f"""
environments:
  dev:
    grafana:
      url: https://grafana.example:3000/
      org_id: 4
      auth: {auth}
{extra}
    datasources:
      tempo: {{url: "http://t:1"}}
      loki: {{url: "http://l:1"}}
      prometheus: {{url: "http://p:1"}}
""", encoding="utf-8")
    return load_environments(tmp_path / "environments.yaml").get("dev")


def test_ci_variables_override_the_environment_file(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    env = _env(tmp_path, f"{{token: {{file: {token_file}}}}}")
    settings = ClientSettings.from_environment(env, {})
    assert (settings.url, settings.token, settings.org_id, settings.verify) == (
        "https://grafana.example:3000", "from-file", 4, True)
    settings = ClientSettings.from_environment(env, {"GRAFANA_URL": "http://ci:3000", "GRAFANA_TOKEN": "from-ci"})
    assert (settings.url, settings.token) == ("http://ci:3000", "from-ci")
    assert "from-ci" not in repr(settings)


def test_tls_options(tmp_path):
    env = _env(tmp_path, "{token: {env: T}}", "      ca_bundle: /etc/ssl/our-ca.pem")
    assert ClientSettings.from_environment(env, {"T": "x"}).verify == "/etc/ssl/our-ca.pem"
    env = _env(tmp_path, "{token: {env: T}}", "      verify_tls: false")
    assert ClientSettings.from_environment(env, {"T": "x"}).verify is False


def test_missing_credentials_are_a_clear_error(tmp_path):
    env = _env(tmp_path, "{token: {env: MY_GRAFANA_TOKEN}}")
    with pytest.raises(DruppieError, match="MY_GRAFANA_TOKEN"):
        ClientSettings.from_environment(env, {})
    with pytest.raises(DruppieError, match="no Grafana credentials"):
        GrafanaClient(ClientSettings(url="http://127.0.0.1:9"))


def test_basic_auth_and_org_header(tmp_path):
    env = _env(tmp_path, "{basic: {user: admin, password: {env: GF_PW}}}")
    with FakeGrafana(tokens={}, basic={("admin", "pw-123"): "Admin"}) as grafana:
        settings = ClientSettings.from_environment(env, {"GRAFANA_URL": grafana.url, "GF_PW": "pw-123"})
        client = GrafanaClient(settings)
        assert client.get("/folders") == []
        assert grafana.log[-1].org_id == "4"


def test_reads_are_retried_writes_are_not():
    gets = []

    def rule(method, path, body):
        if method == "GET":
            gets.append(path)
            if len(gets) <= 2:
                return "503"
        return "502" if method == "POST" else ""

    with FakeGrafana(faults=Faults(rule=rule)) as grafana:
        client = kit.client(grafana)
        assert client.get("/folders") == []  # two 503s, then the answer
        assert [r.status for r in grafana.log] == [503, 503, 200]
        with pytest.raises(ServerError, match="502"):
            client.post("/folders", {"uid": "x", "title": "X"})
        assert len([r for r in grafana.log if r.method == "POST"]) == 1


def test_timeouts_and_unreachable():
    with FakeGrafana(faults=Faults(rate=1.0, kinds=("slow",), slow_seconds=0.5)) as grafana:
        client = kit.client(grafana, timeout=(1.0, 0.1), retries=1)
        with pytest.raises(Unreachable, match="cannot reach Grafana"):
            client.get("/folders")
        assert len(grafana.log) == 2  # one retry
    with pytest.raises(Unreachable, match="cannot reach Grafana at http://127.0.0.1:9"):
        kit.client(type("G", (), {"url": "http://127.0.0.1:9"})(), retries=0).get("/health")
