"""The Grafana HTTP API client: one requests.Session holding auth, TLS, timeouts and retries in one place.

Only reads are retried here. A write whose answer was lost (5xx, reset) may or may not have happened,
so repeating it blindly can duplicate or conflict; the apply workflow re-reads the resource instead
and decides (see apply.py).
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import requests
from requests.adapters import HTTPAdapter

from .environments import Environment
from .errors import DruppieError
from .secrets import MASK

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
TRANSIENT_STATUS = {429, 500, 502, 503, 504}
MAX_BACKOFF = 5.0  # seconds
USER_AGENT = "druppie-grafana"


# ---------------------------------------------------------------- errors

class GrafanaError(DruppieError):
    """Grafana refused or could not be reached. `status` is the HTTP status (0 when unreachable)."""

    transient = False

    def __init__(self, message: str, *, method: str = "", path: str = "", status: int = 0,
                 server_message: str = ""):
        self.method, self.path, self.status, self.server_message = method, path, status, server_message
        super().__init__(message)


class Unreachable(GrafanaError):
    transient = True


class ServerError(GrafanaError):  # 429 and 5xx
    transient = True


class Unauthorized(GrafanaError):  # 401
    pass


class Forbidden(GrafanaError):  # 403, including read-only (provisioned) datasources
    pass


class NotFound(GrafanaError):  # 404
    pass


class Conflict(GrafanaError):  # 409: duplicate, or a datasource changed by someone else
    pass


class VersionMismatch(GrafanaError):  # 412
    pass


class Provisioned(GrafanaError):  # 400 "Cannot save provisioned dashboard" / "provisioned dashboard cannot be deleted"
    pass


class BadRequest(GrafanaError):  # other 400s
    pass


class TooLarge(GrafanaError):  # 413
    pass


def _explain(status: int, method: str, path: str, server: str, base_url: str) -> tuple[type[GrafanaError], str]:
    """The error class and a message that says what happened and what to do. Never includes credentials."""
    said = f" (Grafana said: {server})" if server else ""
    call = f"{method} {path}"
    if status == 401:
        return Unauthorized, (f"{call}: 401 Unauthorized: Grafana at {base_url} did not accept the credentials{said}. "
                              "Check that GRAFANA_TOKEN (or grafana.auth in environments.yaml) holds a valid, "
                              "unexpired service-account token for this Grafana and org.")
    if status == 403:
        if "read-only" in server.lower() or "readonly" in server.lower():
            return Forbidden, (f"{call}: 403 read-only: this datasource is provisioned from a file with "
                               f"editable: false{said}. Change it in the provisioning file, or remove it there "
                               "before managing it through the API.")
        return Forbidden, (f"{call}: 403 Forbidden: the token is valid but lacks permission{said}. Give the "
                           "service account the Editor role (Admin for datasources and folder permissions).")
    if status == 404:
        return NotFound, f"{call}: 404 Not Found{said}."
    if status == 409:
        return Conflict, (f"{call}: 409 Conflict{said}: a resource with this name or uid already exists, "
                          "or someone changed it while we were applying. Run plan again and review.")
    if status == 412:
        return VersionMismatch, (f"{call}: 412 Precondition Failed{said}: the resource changed in Grafana after we "
                                 "read it. Run plan again; apply with --force only if overwriting that edit is intended.")
    if status == 413:
        return TooLarge, (f"{call}: 413 Payload Too Large{said}: the request body exceeds Grafana's limit; "
                          "split the dashboard or raise [server] router limits.")
    if status == 400 and "provisioned" in server.lower():
        return Provisioned, (f"{call}: 400 provisioned{said}: this dashboard is managed by a file provider "
                             "(allowUiUpdates: false) and cannot be changed through the API. Change the file, "
                             "or remove it from provisioning first.")
    if status == 400:
        return BadRequest, f"{call}: 400 Bad Request{said}."
    if status in TRANSIENT_STATUS:
        return ServerError, f"{call}: {status} from Grafana{said}; it may be overloaded or restarting."
    return GrafanaError, f"{call}: unexpected HTTP {status}{said}."


# ---------------------------------------------------------------- settings

@dataclass(frozen=True)
class ClientSettings:
    """Where Grafana is and how to authenticate, after the CI environment overrides are applied."""

    url: str
    org_id: int = 1
    token: str | None = field(default=None, repr=False)
    basic_user: str | None = None
    basic_password: str | None = field(default=None, repr=False)
    verify: bool | str = True  # True, False, or the path of a CA bundle
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    retries: int = 4
    backoff: float = 0.2  # seconds; doubles each attempt, with jitter

    @classmethod
    def from_environment(cls, env: Environment, environ: Mapping[str, str] | None = None,
                         **overrides: Any) -> "ClientSettings":
        """GRAFANA_URL and GRAFANA_TOKEN (as CI jobs set them) win over the environments file."""
        environ = os.environ if environ is None else environ
        url = environ.get("GRAFANA_URL") or env.grafana_url
        token = basic_user = basic_password = None
        if environ.get("GRAFANA_TOKEN"):
            token = environ["GRAFANA_TOKEN"]
        elif env.token is not None:
            token = env.token.resolve(environ)
        elif env.basic_user is not None and env.basic_password is not None:
            basic_user, basic_password = env.basic_user, env.basic_password.resolve(environ)
        verify: bool | str = env.ca_bundle or True
        if not env.verify_tls:
            verify = False
        values = dict(url=url.rstrip("/"), org_id=env.org_id, token=token, basic_user=basic_user,
                      basic_password=basic_password, verify=verify)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.token, self.basic_password) if s]


# ---------------------------------------------------------------- client

class GrafanaClient:
    """JSON in, JSON out. Thread-safe enough for a pool of workers sharing one connection pool."""

    def __init__(self, settings: ClientSettings, pool_size: int = 8):
        if not settings.token and not settings.basic_user:
            raise DruppieError("no Grafana credentials: set GRAFANA_TOKEN, or grafana.auth (token or basic) "
                               "for this environment in environments.yaml")
        self.settings = settings
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1), max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.verify = settings.verify
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT,
                                     "X-Grafana-Org-Id": str(settings.org_id)})
        if settings.token:
            self.session.headers["Authorization"] = f"Bearer {settings.token}"
        else:
            self.session.auth = (settings.basic_user, settings.basic_password)
        self._lock = threading.Lock()
        self._secrets = list(settings.secrets)  # values never to appear in a message
        self.counts = {"read": 0, "write": 0}  # requests sent, for the summary and the benchmark

    # Reads may be repeated; writes are sent once (see the module docstring).
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params, idempotent=True)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, json=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def request(self, method: str, path: str, *, params=None, json=None, idempotent: bool = False) -> Any:
        attempts = 1 + (self.settings.retries if idempotent else 0)
        for attempt in range(attempts):
            try:
                return self._send(method, path, params, json)
            except GrafanaError as exc:
                if not exc.transient or attempt == attempts - 1:
                    raise
                time.sleep(min(self.settings.backoff * (2 ** attempt), MAX_BACKOFF) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, params, body) -> Any:
        url = f"{self.settings.url}/api{path}"
        with self._lock:
            self.counts["read" if method == "GET" else "write"] += 1
        try:
            response = self.session.request(method, url, params=params, json=body, timeout=self.settings.timeout)
        except requests.exceptions.SSLError as exc:
            raise Unreachable(f"{method} {path}: TLS verification failed for {self.settings.url} "
                              f"({type(exc).__name__}). Set grafana.ca_bundle to the CA file, or "
                              "verify_tls: false if you accept the risk.", method=method, path=path) from None
        except requests.exceptions.RequestException as exc:
            raise Unreachable(f"{method} {path}: cannot reach Grafana at {self.settings.url} "
                              f"({type(exc).__name__})", method=method, path=path) from None
        if response.status_code < 300:
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise GrafanaError(f"{method} {path}: Grafana answered {response.status_code} with a body that "
                                   "is not JSON; is grafana.url pointing at Grafana?", method=method, path=path,
                                   status=response.status_code) from None
        server = self.redact(_server_message(response))
        cls, message = _explain(response.status_code, method, path, server, self.settings.url)
        raise cls(message, method=method, path=path, status=response.status_code, server_message=server)

    def add_secret(self, value: str) -> None:
        """Also mask `value` (a resolved datasource credential) in every message from now on."""
        if value and value not in self._secrets:
            self._secrets.append(value)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text


def _server_message(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if isinstance(data, dict):
        return str(data.get("message") or data.get("status") or data.get("error") or "")[:500]
    return ""


def client_for(env: Environment, environ: Mapping[str, str] | None = None, pool_size: int = 8,
               **overrides: Any) -> GrafanaClient:
    return GrafanaClient(ClientSettings.from_environment(env, environ, **overrides), pool_size=pool_size)


__all__ = [
    "BadRequest", "ClientSettings", "Conflict", "Forbidden", "GrafanaClient", "GrafanaError", "NotFound",
    "Provisioned", "ServerError", "TooLarge", "Unauthorized", "Unreachable", "VersionMismatch",
    "client_for",
]
