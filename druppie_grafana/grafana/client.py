"""The Grafana HTTP API client: one requests.Session holding auth, TLS, timeouts and retries in one place.

Only reads are retried here. A write whose answer was lost (5xx, reset) may or may not have happened,
so repeating it blindly can duplicate or conflict; the apply workflow re-reads the resource instead
and decides (see apply.py).
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InsecureRequestWarning

from ..environments import Environment
from ..errors import DruppieError, UsageError
from ..redaction import Redactor, one_line
from ..urls import CREDENTIALS_HINT, url_problem

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
TRANSIENT_STATUS = {429, 500, 502, 503, 504}
MAX_BACKOFF = 5.0  # seconds
USER_AGENT = "druppie-grafana"
MAX_ANSWER_BYTES = 64 * 1024 * 1024  # far above any dashboard; a bigger answer is not Grafana's
TOKEN_VARIABLES = ("GRAFANA_TOKEN", "GRAFANA_SERVICE_ACCOUNT_TOKEN")  # in this order of precedence
MAX_SERVER_MESSAGE = 500  # characters of Grafana's own message kept in ours (after redaction)


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


class Redirected(GrafanaError):  # 3xx: never followed (a write's body would carry credentials elsewhere)
    pass


class UnexpectedAnswer(GrafanaError):  # 2xx, but not JSON of the shape Grafana answers with
    pass


class NotAcceptable(GrafanaError):  # 406: 12.x's legacy GET of a dashboard stored as schema v2
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
    if status == 406:
        return NotAcceptable, (f"{call}: 406 Not Acceptable{said}: Grafana stores this resource in a newer API "
                               "version than this API can show.")
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
        if environ.get("GRAFANA_URL"):
            problem = url_problem(url)
            if problem:
                raise UsageError(f"GRAFANA_URL {problem}" + ("; " + CREDENTIALS_HINT if "credentials" in problem
                                                             else "; set it to Grafana's base URL, "
                                                             "for example https://grafana.example.org"))
        token = basic_user = basic_password = None
        # CI conventions first (the names Grafana's own tools read), then environments.yaml
        ci_token = next((name for name in TOKEN_VARIABLES if environ.get(name)), None)
        if ci_token:
            token = _header_safe(environ[ci_token], ci_token)
        elif env.token is not None:
            token = _header_safe(env.token.resolve(environ), env.token.describe())
        elif env.basic_user is not None and env.basic_password is not None:
            basic_user = env.basic_user
            basic_password = _header_safe(env.basic_password.resolve(environ), env.basic_password.describe())
        # The environment's own TLS setting wins over REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (see _send).
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


def _header_safe(value: str, source: str) -> str:
    """A credential that can travel in an HTTP header (Latin-1, no line breaks); the message never shows it."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise DruppieError(f"the Grafana credential from {source} contains characters that cannot be sent in an "
                           "HTTP header (only Latin-1 is allowed); check that the right value was stored") from None
    if any(c in value for c in "\r\n\0"):
        raise DruppieError(f"the Grafana credential from {source} contains a line break or NUL; "
                           "store the bare token without a trailing newline in the middle") from None
    return value


# ---------------------------------------------------------------- client

class GrafanaClient:
    """JSON in, JSON out. Thread-safe enough for a pool of workers sharing one connection pool."""

    def __init__(self, settings: ClientSettings, pool_size: int = 8, warn=None):
        if not settings.token and not settings.basic_user:
            raise DruppieError("no Grafana credentials: set GRAFANA_TOKEN, or grafana.auth (token or basic) "
                               "for this environment in environments.yaml")
        if isinstance(settings.verify, str) and not os.path.isfile(settings.verify):
            raise DruppieError(f"grafana.ca_bundle: the CA file {settings.verify} does not exist or is not a file; "
                               "give the path of a PEM bundle, or remove ca_bundle to use the system's CAs")
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
        self.redact = Redactor(settings.secrets)  # values never to appear in a message
        self.counts = {"read": 0, "write": 0}  # requests sent, for the summary and the benchmark
        if settings.verify is False and settings.url.startswith("https:"):
            # one clear line instead of urllib3's warning on every request
            warnings.simplefilter("ignore", InsecureRequestWarning)
            (warn or _stderr)(f"warning: TLS certificates of {self.redact(settings.url)} are NOT verified "
                              "(grafana.verify_tls: false); anyone on the path can read the token")

    # Reads may be repeated; writes are sent once (see the module docstring).
    def get(self, path: str, params: Mapping[str, Any] | None = None, expect: type | None = None) -> Any:
        """GET; with `expect` (dict or list) an answer of another shape is an UnexpectedAnswer."""
        answer = self.request("GET", path, params=params, idempotent=True)
        if expect is not None and not isinstance(answer, expect):
            raise UnexpectedAnswer(f"GET {path}: Grafana answered {_shape(answer)} where it sends "
                                   f"{_shape(expect())}; is grafana.url pointing at Grafana "
                                   f"({self.redact(self.settings.url)})?", method="GET", path=path, status=200)
        return answer

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
        # Kubernetes-style paths (/apis/...) as they are; the legacy API's paths are relative to /api
        url = f"{self.settings.url}{path}" if path == "/apis" or path.startswith("/apis/") else f"{self.settings.url}/api{path}"
        shown = self.redact(self.settings.url)
        data = None
        if body is not None:
            try:  # serialised here so a value JSON cannot carry is refused before anything is sent or counted
                data = json.dumps(body, allow_nan=False, ensure_ascii=False).encode("utf-8")
            except ValueError:
                raise DruppieError(f"{method} {path}: the request body holds NaN or Infinity, which JSON cannot "
                                   "carry; nothing was sent") from None
        headers = {"Content-Type": "application/json"} if data is not None else None
        try:
            # verify per request: otherwise REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE silently replace our setting
            response = self.session.request(method, url, params=params, data=data, headers=headers,
                                            timeout=self.settings.timeout, allow_redirects=False,
                                            verify=self.settings.verify, stream=True)
        except requests.exceptions.SSLError as exc:
            raise Unreachable(f"{method} {path}: TLS verification failed for {shown} "
                              f"({type(exc).__name__}). Set grafana.ca_bundle to the CA file, or "
                              "verify_tls: false if you accept the risk.", method=method, path=path) from None
        except requests.exceptions.RequestException as exc:
            raise Unreachable(f"{method} {path}: cannot reach Grafana at {shown} "
                              f"({type(exc).__name__})", method=method, path=path) from None
        finally:
            with self._lock:  # counted once it went out (or may have)
                self.counts["read" if method == "GET" else "write"] += 1
        with response:
            status = response.status_code
            if 300 <= status < 400:
                raise self._redirect(response, method, path)
            content = self._read(response, method, path)
        if status < 300:
            if not content:
                return None
            try:
                return json.loads(content)
            except (ValueError, RecursionError):
                raise UnexpectedAnswer(f"{method} {path}: Grafana answered {status} with a body that is not JSON; "
                                       f"is grafana.url ({shown}) pointing at Grafana?", method=method, path=path,
                                       status=status) from None
        server = _server_message(content, self.redact)
        cls, message = _explain(status, method, path, server, shown)
        raise cls(message, method=method, path=path, status=status, server_message=server)

    def _redirect(self, response: requests.Response, method: str, path: str) -> GrafanaError:
        location = urljoin(response.url, response.headers.get("Location", ""))
        host = urlsplit(location).hostname or "(no Location given)"
        return Redirected(
            f"{method} {path}: Grafana answered {response.status_code} redirecting to host {one_line(host)}; "
            "redirects are never followed (the request carries the token and datasource credentials). "
            f"Set grafana.url (or GRAFANA_URL) to the address Grafana really serves, not "
            f"{self.redact(self.settings.url)} (check http vs https and the sub-path).",
            method=method, path=path, status=response.status_code)

    def _read(self, response: requests.Response, method: str, path: str) -> bytes:
        """The body, refusing more than MAX_ANSWER_BYTES without reading it all."""
        declared = response.headers.get("Content-Length", "")
        too_big = UnexpectedAnswer(f"{method} {path}: Grafana's answer is larger than {MAX_ANSWER_BYTES // 2**20} MiB; "
                                   "refused (no Grafana answer is that large)", method=method, path=path,
                                   status=response.status_code)
        if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
            raise too_big
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(chunk_size=1 << 16):
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise too_big
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            raise Unreachable(f"{method} {path}: the answer from {self.redact(self.settings.url)} broke off "
                              f"({type(exc).__name__})", method=method, path=path) from None
        return b"".join(chunks)

    def add_secret(self, value: str) -> None:
        """Also mask `value` (a resolved datasource credential) in every message from now on."""
        self.redact.add(value)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else f"a {type(value).__name__}"


def _server_message(content: bytes, redact) -> str:
    """Grafana's own explanation from an error body: redacted first, then cut (a cut could split a secret)."""
    text = content.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        text = str(data.get("message") or data.get("status") or data.get("error") or "")
    elif data is not None:
        text = ""
    text = one_line(redact(text.strip()))
    return text if len(text) <= MAX_SERVER_MESSAGE else text[:MAX_SERVER_MESSAGE] + "..."


def client_for(env: Environment, environ: Mapping[str, str] | None = None, pool_size: int = 8,
               **overrides: Any) -> GrafanaClient:
    return GrafanaClient(ClientSettings.from_environment(env, environ, **overrides), pool_size=pool_size)


__all__ = [
    "BadRequest", "ClientSettings", "Conflict", "Forbidden", "GrafanaClient", "GrafanaError", "NotAcceptable", "NotFound",
    "Provisioned", "Redirected", "ServerError", "TooLarge", "Unauthorized", "UnexpectedAnswer", "Unreachable",
    "VersionMismatch",
    "client_for",
]
