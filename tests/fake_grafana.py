"""A real HTTP server on 127.0.0.1 that behaves like Grafana's legacy HTTP API for what we provision.

Semantics follow ../shared/reference/grafana-facts.md section 6: 409 on a duplicate, 412 on a version
mismatch, 403 on a read-only datasource, 400 on a provisioned dashboard, folderUid (absent = root),
secureJsonData merged on update and never returned, versions. Faults can be injected (500/502/503,
connection resets before or after the work is done, slow answers), and every request is logged.
"""

from __future__ import annotations

import base64
import json
import random
import re
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from fake_grafana_apis import ApisRoutes, _lossy

READ_ONLY_ROLES = {"Viewer"}


@dataclass
class Logged:
    method: str
    path: str
    query: dict
    body: Any
    status: int  # 0 when the connection was reset
    fault: str = ""
    org_id: str = ""  # the X-Grafana-Org-Id header


@dataclass
class Faults:
    """Each request fails with probability `rate`, in one of `kinds`:
    500/502/503 (before doing anything), reset (before), lost (do it, then reset: the answer is lost),
    slow (answer after `slow_seconds`)."""

    rate: float = 0.0
    kinds: tuple = ("500", "502", "503", "reset", "lost", "slow")
    slow_seconds: float = 0.3
    seed: int = 1
    writes_only: bool = False
    rule: Callable[[str, str, Any], str] | None = None  # (method, path, body) -> a fault kind or "": always applied
    rng: random.Random = field(init=False)

    def __post_init__(self):
        self.rng = random.Random(self.seed)

    def pick(self, method: str, path: str, body: Any) -> str:
        forced = self.rule(method, path, body) if self.rule else ""
        if forced:
            return forced
        if self.writes_only and method == "GET":
            return ""
        if self.rate and self.rng.random() < self.rate:
            return self.rng.choice(self.kinds)
        return ""


@dataclass
class RawAnswer:
    """What a hostile or broken server sends instead of Grafana's answer: any status, headers and bytes.
    `chunks` streams the body in pieces without a Content-Length (to test answers too large to hold)."""

    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    chunks: int = 0


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # a client that hangs up on purpose (an oversized answer refused, a TLS handshake rejected) is no error
        import sys
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)


class ApiError(Exception):
    def __init__(self, code: int, message: str, **extra):
        self.code, self.body = code, {"message": message, **extra}


class FakeGrafana(ApisRoutes):
    ApiError = ApiError

    def __init__(self, tokens: dict[str, str] | None = None, basic: dict[tuple, str] | None = None,
                 latency: float = 0.0, faults: Faults | None = None, tls: tuple[str, str] | None = None,
                 version: str = "11.4.0"):
        self.tokens = {"test-token": "Admin"} if tokens is None else tokens  # token -> org role
        self.basic = basic or {}
        self.latency = latency
        self.version = version  # the personality: 11.x legacy only; 12.x and 13.x also serve /apis
        self.tls = tls  # (certificate file, key file): serve https
        self.faults = faults or Faults()
        self.lock = threading.RLock()
        self.log: list[Logged] = []
        self.folders: dict[str, dict] = {}
        self.datasources: dict[str, dict] = {}
        self.secure: dict[str, dict[str, str]] = {}  # datasource uid -> secret values (never returned)
        self.dashboards: dict[str, dict] = {}  # uid -> {"dashboard", "folderUid", "provisioned", ...}
        self.health_errors: dict[str, str] = {}
        # access: users (one service-account user per token unless given), teams, permissions
        self.users: dict[int, dict] = {}  # id -> {id, login, role (org role), isServiceAccount}
        self.token_users: dict[str, int] = {}
        self.teams: dict[int, dict] = {}  # id -> {id, uid, name, email, orgId, members: set of user ids}
        self.folder_permissions: dict[str, list[dict]] = {}  # folder uid -> [{teamId|userId|role, permission}]
        self.datasource_permissions: dict[str, dict[tuple, str]] = {}  # uid -> {(kind, id or role): level}
        self.internal_errors: list[str] = []
        # (method, path, query, body) -> RawAnswer or None: a hostile server's answer instead of Grafana's
        self.hostile: Callable[[str, str, dict, Any], RawAnswer | None] | None = None
        self._next_id = 1
        self._server: ThreadingHTTPServer | None = None
        self._routes = [
            ("GET", r"/api/health", self._health),
            ("GET", r"/api/folders", self._list_folders),
            ("POST", r"/api/folders", self._create_folder),
            ("GET", r"/api/folders/(?P<uid>[^/]+)", self._get_folder),
            ("PUT", r"/api/folders/(?P<uid>[^/]+)", self._update_folder),
            ("DELETE", r"/api/folders/(?P<uid>[^/]+)", self._delete_folder),
            ("GET", r"/api/datasources", self._list_datasources),
            ("POST", r"/api/datasources", self._create_datasource),
            ("GET", r"/api/datasources/uid/(?P<uid>[^/]+)", self._get_datasource),
            ("PUT", r"/api/datasources/uid/(?P<uid>[^/]+)", self._update_datasource),
            ("DELETE", r"/api/datasources/uid/(?P<uid>[^/]+)", self._delete_datasource),
            ("GET", r"/api/datasources/uid/(?P<uid>[^/]+)/health", self._datasource_health),
            ("POST", r"/api/dashboards/db", self._save_dashboard),
            ("GET", r"/api/dashboards/uid/(?P<uid>[^/]+)", self._get_dashboard),
            ("DELETE", r"/api/dashboards/uid/(?P<uid>[^/]+)", self._delete_dashboard),
            ("GET", r"/api/search", self._search),
            ("GET", r"/api/folders/(?P<uid>[^/]+)/permissions", self._get_folder_permissions),
            ("POST", r"/api/folders/(?P<uid>[^/]+)/permissions", self._set_folder_permissions),
            ("GET", r"/api/teams/search", self._search_teams),
            ("POST", r"/api/teams", self._create_team),
            ("GET", r"/api/user", self._user),
            ("GET", r"/api/user/orgs", self._user_orgs),
            ("GET", r"/api/user/teams", self._user_teams),
            ("GET", r"/api/org/users/lookup", self._lookup_org_users),
            ("GET", r"/api/access-control/datasources/(?P<uid>[^/]+)", self._get_datasource_permissions),
            ("POST", r"/api/access-control/datasources/(?P<uid>[^/]+)", self._set_datasource_permissions),
            ("POST", r"/api/folders/(?P<uid>[^/]+)/move", self._move_folder),
        ] + self.apis_routes()
        for token, role in self.tokens.items():
            self.add_user(f"sa-{role.lower()}-{len(self.users) + 1}", role, token=token, service_account=True)

    # ------------------------------------------------------------ lifecycle
    def start(self) -> "FakeGrafana":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def setup(self):
                super().setup()
                # headers and body go out as separate writes; without this, delayed ACKs add 40 ms each
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self):
                fake._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "FakeGrafana":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    # ------------------------------------------------------------ what tests look at
    def writes(self) -> list[Logged]:
        return [r for r in self.log if r.method != "GET"]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    def edit_dashboard(self, uid: str, **changes) -> None:
        """What a person saving in the UI does: change fields, bump the version."""
        with self.lock:
            entry = self.dashboards[uid]
            entry["dashboard"].update(changes)
            entry["dashboard"]["version"] += 1
            entry["rv"] = self._next_rv()

    def edit_datasource(self, uid: str, **changes) -> None:
        with self.lock:
            ds = self.datasources[uid]
            ds.update(changes)
            ds["version"] += 1

    def add_datasource(self, uid: str, name: str, read_only: bool = False, **fields) -> None:
        with self.lock:
            self.datasources[uid] = self._new_datasource({"uid": uid, "name": name, "type": "loki", **fields})
            self.datasources[uid]["readOnly"] = read_only

    def add_dashboard(self, uid: str, title: str, folder_uid: str = "", provisioned: bool = False, **fields) -> None:
        with self.lock:
            dash = {"uid": uid, "title": title, "id": self._id(), "version": 1, **fields}
            self.dashboards[uid] = {"dashboard": dash, "folderUid": folder_uid, "provisioned": provisioned,
                                    "annotations": {}, "stored": "v1", "rv": self._next_rv()}

    def add_user(self, login: str, role: str, token: str | None = None, service_account: bool = False) -> int:
        """A user of org 1 with an org role; with `token`, the identity that token authenticates."""
        with self.lock:
            uid = self._id()
            self.users[uid] = {"id": uid, "login": login, "role": role, "isServiceAccount": service_account}
            if token:
                self.tokens[token] = role
                self.token_users[token] = uid
            return uid

    def add_team(self, name: str, members: tuple[int, ...] = ()) -> int:
        with self.lock:
            tid = self._id()
            self.teams[tid] = {"id": tid, "uid": f"team{tid}", "name": name, "email": "", "orgId": 1,
                               "members": set(members)}
            return tid

    def team_id(self, name: str) -> int | None:
        return next((t["id"] for t in self.teams.values() if t["name"] == name), None)

    # ------------------------------------------------------------ dispatch
    def _id(self) -> int:
        with self.lock:
            self._next_id += 1
            return self._next_id

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(req.path)
        query = parse_qs(parts.query)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        fault = self.faults.pick(req.command, parts.path, body)
        entry = Logged(req.command, parts.path, query, body, 0, fault, req.headers.get("X-Grafana-Org-Id", ""))
        with self.lock:
            self.log.append(entry)
        if self.latency:
            time.sleep(self.latency)
        if fault == "slow":
            time.sleep(self.faults.slow_seconds)
        if fault == "reset":
            return self._reset(req)
        if fault in ("500", "502", "503"):
            return self._send(req, entry, int(fault), {"message": "injected failure"})
        answer = self.hostile(req.command, parts.path, query, body) if self.hostile else None
        if answer is not None:
            return self._send_raw(req, entry, answer)
        try:
            status, payload = self._dispatch(req, parts.path, query, body)
        except ApiError as exc:
            status, payload = exc.code, exc.body
        except Exception as exc:  # a bug in the fake: answer 500 and keep it for the test to see
            self.internal_errors.append(f"{req.command} {parts.path}: {exc!r}")
            status, payload = 500, {"message": "fake grafana bug"}
        if fault == "lost":
            return self._reset(req)
        self._send(req, entry, status, payload)

    def _dispatch(self, req, path, query, body):
        if not path.startswith("/api/health"):
            role = self._role(req.headers.get("Authorization", ""))
            if req.command != "GET" and role in READ_ONLY_ROLES:
                raise ApiError(403, "You'll need additional permissions to perform this action. "
                                    "Permissions needed: any of dashboards:write")
        for method, pattern, func in self._routes:
            match = re.fullmatch(pattern, path)
            if match and method == req.command:
                with self.lock:
                    return func(body=body, query=query, auth=req.headers.get("Authorization", ""),
                                **match.groupdict())
        raise ApiError(404, "Not found")

    def _role(self, header: str) -> str:
        if header.startswith("Bearer "):
            role = self.tokens.get(header[7:])
        elif header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            role = self.basic.get((user, password))
        else:
            role = None
        if role is None:
            raise ApiError(401, "Unauthorized", messageId="auth.unauthorized")
        return role

    def _send(self, req, entry: Logged, status: int, payload) -> None:
        data = json.dumps(payload).encode()
        entry.status = status
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        try:
            req.end_headers()
            req.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout): like Grafana, carry on
            req.close_connection = True

    @staticmethod
    def _send_raw(req, entry: Logged, answer: RawAnswer) -> None:
        entry.status = answer.status
        req.send_response(answer.status)
        for name, value in answer.headers.items():
            req.send_header(name, value)
        try:
            if answer.chunks:  # no length: the client must stop reading by itself
                req.send_header("Connection", "close")
                req.end_headers()
                for _ in range(answer.chunks):
                    req.wfile.write(answer.body)
                req.close_connection = True
                return
            if not any(k.lower() == "content-length" for k in answer.headers):
                req.send_header("Content-Length", str(len(answer.body)))
            req.end_headers()
            req.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            req.close_connection = True

    @staticmethod
    def _reset(req) -> None:
        req.close_connection = True
        req.wfile.flush()
        req.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    # ------------------------------------------------------------ health
    def _health(self, **_):
        return 200, {"commit": "fake", "database": "ok", "version": self.version}

    # ------------------------------------------------------------ folders
    def _folder_dto(self, f: dict) -> dict:
        dto = {k: v for k, v in f.items() if k not in ("annotations", "rv", "parentUid")}
        if f.get("parentUid"):
            dto["parentUid"] = f["parentUid"]
        return {**dto, "url": f"/dashboards/f/{f['uid']}/", "canSave": True, "canEdit": True, "hasAcl": False}

    def _list_folders(self, query, **_):
        limit, page = int(query.get("limit", ["1000"])[0]), int(query.get("page", ["1"])[0])
        items = sorted(self.folders.values(), key=lambda f: f["title"])[(page - 1) * limit: page * limit]
        return 200, [{"id": f["id"], "uid": f["uid"], "title": f["title"]} for f in items]

    def _get_folder(self, uid, **_):
        if uid not in self.folders:
            raise ApiError(404, "folder not found", status="not-found")
        return 200, self._folder_dto(self.folders[uid])

    def _create_folder(self, body, auth="", **_):
        uid = body.get("uid") or f"f{self._id()}"
        if not body.get("title"):
            raise ApiError(400, "folder title cannot be empty")
        if uid in self.folders or uid in self.dashboards:
            raise ApiError(409, "a folder with the same uid already exists")
        parent = body.get("parentUid") or ""
        if parent and parent not in self.folders:
            raise ApiError(400, "parent folder not found")
        self.folders[uid] = {"id": self._id(), "uid": uid, "title": body["title"], "version": 1,
                             "parentUid": parent, "annotations": {}, "rv": self._next_rv()}
        # what Grafana gives a new folder: its creator Admin, Editors Edit, Viewers View
        creator = self._caller(auth)
        self.folder_permissions[uid] = ([{"userId": creator["id"], "permission": 4}] if creator else []) + [
            {"role": "Editor", "permission": 2}, {"role": "Viewer", "permission": 1}]
        return 200, self._folder_dto(self.folders[uid])

    def _update_folder(self, uid, body, **_):
        folder = self.folders.get(uid)
        if folder is None:
            raise ApiError(404, "folder not found")
        if not body.get("overwrite") and body.get("version") != folder["version"]:
            raise ApiError(412, "the folder has been changed by someone else", status="version-mismatch")
        folder["title"] = body.get("title", folder["title"])
        folder["version"] += 1
        folder["rv"] = self._next_rv()
        return 200, self._folder_dto(folder)

    def _move_folder(self, uid, body, **_):
        folder = self.folders.get(uid)
        if folder is None:
            raise ApiError(404, "folder not found")
        parent = (body or {}).get("parentUid") or ""
        if parent and parent not in self.folders:
            raise ApiError(400, "parent folder not found")
        folder["parentUid"], folder["rv"] = parent, self._next_rv()
        return 200, self._folder_dto(folder)

    def _delete_folder(self, uid, **_):
        if uid not in self.folders:
            raise ApiError(404, "folder not found")
        for dash_uid in [u for u, d in self.dashboards.items() if d["folderUid"] == uid]:
            del self.dashboards[dash_uid]
        del self.folders[uid]
        return 200, {"message": "Folder deleted"}

    # ------------------------------------------------------------ datasources
    def _new_datasource(self, body: dict) -> dict:
        return {
            "id": self._id(), "uid": body.get("uid") or f"P{self._id():08X}", "orgId": 1,
            "name": body["name"], "type": body["type"], "typeLogoUrl": f"public/plugins/{body['type']}/logo.svg",
            "access": body.get("access", "proxy"), "url": body.get("url", ""), "user": body.get("user", ""),
            "database": body.get("database", ""), "basicAuth": bool(body.get("basicAuth")),
            "basicAuthUser": body.get("basicAuthUser", ""), "withCredentials": bool(body.get("withCredentials")),
            "isDefault": bool(body.get("isDefault")), "jsonData": body.get("jsonData") or {},
            "readOnly": False, "version": 1,
        }

    def _datasource_dto(self, ds: dict) -> dict:
        return {**ds, "secureJsonFields": {k: True for k in self.secure.get(ds["uid"], {})}}

    def _list_datasources(self, **_):
        keys = ("id", "uid", "orgId", "name", "type", "typeLogoUrl", "access", "url", "user", "database",
                "basicAuth", "isDefault", "jsonData", "readOnly")
        return 200, [{k: ds[k] for k in keys} for ds in sorted(self.datasources.values(), key=lambda d: d["name"])]

    def _get_datasource(self, uid, **_):
        if uid not in self.datasources:
            raise ApiError(404, "Data source not found")
        return 200, self._datasource_dto(self.datasources[uid])

    def _create_datasource(self, body, **_):
        if not body.get("name") or not body.get("type"):
            raise ApiError(400, "bad request data")
        if body.get("uid") in self.datasources:
            raise ApiError(409, "data source with the same uid already exists")
        if any(ds["name"] == body["name"] for ds in self.datasources.values()):
            raise ApiError(409, "data source with the same name already exists")
        ds = self._new_datasource(body)
        self.datasources[ds["uid"]] = ds
        self.secure[ds["uid"]] = dict(body.get("secureJsonData") or {})
        # Enterprise's defaults for a new datasource: Viewers and Editors may query it
        self.datasource_permissions[ds["uid"]] = {("builtInRole", "Viewer"): "Query",
                                                  ("builtInRole", "Editor"): "Query"}
        return 200, {"datasource": self._datasource_dto(ds), "id": ds["id"], "message": "Datasource added",
                     "name": ds["name"]}

    def _update_datasource(self, uid, body, **_):
        ds = self.datasources.get(uid)
        if ds is None:
            raise ApiError(404, "Data source not found")
        if ds["readOnly"]:
            raise ApiError(403, "Cannot update read-only data source")
        if any(o["name"] == body.get("name") and o["uid"] != uid for o in self.datasources.values()):
            raise ApiError(409, "data source with the same name already exists")
        sent = body.get("version") or 0
        if sent and sent < ds["version"]:
            raise ApiError(409, "Datasource has already been updated by someone else. Please reload and try again")
        fresh = self._new_datasource({**body, "uid": uid})
        fresh.update(id=ds["id"], version=sent + 1 if sent else 1)  # store.go: version 0 resets to 1
        self.datasources[uid] = fresh
        self.secure.setdefault(uid, {}).update(body.get("secureJsonData") or {})  # omitted keys keep values
        return 200, {"datasource": self._datasource_dto(fresh), "id": fresh["id"], "message": "Datasource updated",
                     "name": fresh["name"]}

    def _delete_datasource(self, uid, **_):
        ds = self.datasources.get(uid)
        if ds is None:
            raise ApiError(404, "Data source not found")
        if ds["readOnly"]:
            raise ApiError(403, "Cannot delete read-only data source")
        del self.datasources[uid]
        self.secure.pop(uid, None)
        return 200, {"id": ds["id"], "message": "Data source deleted"}

    def _datasource_health(self, uid, **_):
        if uid not in self.datasources:
            raise ApiError(404, "Data source not found")
        if uid in self.health_errors:
            raise ApiError(400, self.health_errors[uid], status="ERROR")
        return 200, {"status": "OK", "message": "Data source is working"}

    # ------------------------------------------------------------ dashboards
    def _save_dashboard(self, body, **_):
        dash = dict(body.get("dashboard") or {})
        folder_uid = body.get("folderUid") or ""  # absent: the root (General), also on update
        uid = dash.get("uid") or f"d{self._id()}"
        if not str(dash.get("title") or "").strip():
            raise ApiError(400, "Dashboard title cannot be empty", status="empty-name")
        if len(uid) > 40:
            raise ApiError(400, "uid too long, max 40 characters", status="bad-uid")
        if folder_uid and folder_uid not in self.folders:
            raise ApiError(400, "folder not found", status="folder-not-found")
        existing = self.dashboards.get(uid)
        if existing is not None and self._manager(existing.get("annotations") or {}):
            raise ApiError(400, "Cannot save provisioned dashboard", status="provisioned-dashboard")
        try:
            self._check_manager(existing.get("annotations") if existing else None,
                                (existing or {}).get("annotations") or {}, folder_uid)
        except ApiError as exc:
            raise ApiError(exc.code, exc.body["message"]) from None
        if existing is not None:
            if existing["provisioned"]:
                raise ApiError(400, "Cannot save provisioned dashboard", status="provisioned-dashboard")
            if not body.get("overwrite") and dash.get("version") != existing["dashboard"]["version"]:
                raise ApiError(412, "The dashboard has been changed by someone else", status="version-mismatch")
            dash.update(id=existing["dashboard"]["id"], version=existing["dashboard"]["version"] + 1)
        else:
            if uid in self.folders:
                raise ApiError(400, "a folder has this uid", status="bad-uid")
            dash.update(id=self._id(), version=1)
        dash["uid"] = uid
        self.dashboards[uid] = {"dashboard": dash, "folderUid": folder_uid, "provisioned": False,
                                "annotations": dict((existing or {}).get("annotations") or {}), "stored": "v1",
                                "rv": self._next_rv()}
        return 200, {"id": dash["id"], "uid": uid, "url": f"/d/{uid}/x", "status": "success",
                     "version": dash["version"], "slug": "x"}

    def _get_dashboard(self, uid, **_):
        entry = self.dashboards.get(uid)
        if entry is None:
            raise ApiError(404, "Dashboard not found")
        folder = self.folders.get(entry["folderUid"], {})
        dashboard, extra = entry["dashboard"], {}
        if entry.get("stored", "v1").startswith("v2"):
            if not self.version.startswith("13"):  # 12.x: 406 (pkg/api/dashboard.go GetDashboard)
                raise ApiError(406, "dashboard api version not supported, use /apis/dashboard.grafana.app/v2beta1/"
                                    f"namespaces/default/dashboards/{uid} instead")
            dashboard, extra = _lossy(dashboard), {"apiVersion": "v2"}  # 13: a lossy down-conversion
        return 200, {"dashboard": dashboard, "meta": {**extra,
            "version": entry["dashboard"]["version"], "folderUid": entry["folderUid"],
            "folderTitle": folder.get("title", "General"), "url": f"/d/{uid}/x", "slug": "x",
            "canSave": not entry["provisioned"], "canEdit": True, "provisioned": entry["provisioned"],
            "provisionedExternalId": "dash.json" if entry["provisioned"] else "",
            "created": "2024-01-01T00:00:00Z", "updated": "2024-01-01T00:00:00Z"}}

    def _delete_dashboard(self, uid, **_):
        entry = self.dashboards.get(uid)
        if entry is None:
            raise ApiError(404, "Dashboard not found")
        if entry["provisioned"]:
            raise ApiError(400, "provisioned dashboard cannot be deleted", status="provisioned-dashboard")
        del self.dashboards[uid]
        return 200, {"title": entry["dashboard"]["title"], "message": "Dashboard deleted", "uid": uid}

    def _search(self, query, **_):
        tags = set(query.get("tag", []))
        kind = query.get("type", [""])[0]
        folders = set(query.get("folderUIDs", []))
        limit, page = int(query.get("limit", ["1000"])[0]), int(query.get("page", ["1"])[0])
        hits = []
        if kind in ("", "dash-folder") and not tags:
            hits += [{"uid": f["uid"], "title": f["title"], "type": "dash-folder", "tags": []}
                     for f in self.folders.values()]
        if kind in ("", "dash-db"):
            for uid, entry in self.dashboards.items():
                dash_tags = entry["dashboard"].get("tags") or []
                if tags - set(dash_tags) or (folders and entry["folderUid"] not in folders):
                    continue
                hits.append({"uid": uid, "title": entry["dashboard"]["title"], "type": "dash-db", "tags": dash_tags,
                             "folderUid": entry["folderUid"],
                             "folderTitle": self.folders.get(entry["folderUid"], {}).get("title", "")})
        hits.sort(key=lambda h: (h["title"], h["uid"]))
        return 200, hits[(page - 1) * limit: page * limit]

    # ------------------------------------------------------------ access
    def _caller(self, auth: str) -> dict | None:
        token = auth[7:] if auth.startswith("Bearer ") else None
        return self.users.get(self.token_users.get(token)) if token else None

    def folder_level(self, uid: str, user: dict) -> int:
        """The user's effective permission on a folder (org Admins: everything)."""
        if user["role"] == "Admin":
            return 4
        rank = {"Viewer": 1, "Editor": 2, "Admin": 3}
        best = 0
        for item in self.folder_permissions.get(uid, []):
            if (item.get("userId") == user["id"]
                    or user["id"] in self.teams.get(item.get("teamId"), {}).get("members", ())
                    or rank.get(item.get("role"), 9) <= rank.get(user["role"], 0)):
                best = max(best, item["permission"])
        return best

    def _get_folder_permissions(self, uid, **_):
        if uid not in self.folders:
            raise ApiError(404, "folder not found")
        out = []
        for item in self.folder_permissions.get(uid, []):
            team = self.teams.get(item.get("teamId"), {})
            user = self.users.get(item.get("userId"), {})
            dto = {"folderUid": uid, "uid": uid, "title": self.folders[uid]["title"], "isFolder": True,
                   "inherited": False, "permission": item["permission"],
                   "permissionName": {1: "View", 2: "Edit", 4: "Admin"}[item["permission"]],
                   "userId": item.get("userId", 0), "userLogin": user.get("login", ""),
                   "teamId": item.get("teamId", 0), "team": team.get("name", "")}
            if item.get("role"):
                dto["role"] = item["role"]
            out.append(dto)
        return 200, out

    def _set_folder_permissions(self, uid, body, auth="", **_):
        if uid not in self.folders:
            raise ApiError(404, "folder not found")
        caller = self._caller(auth)
        if caller is None or self.folder_level(uid, caller) < 4:
            raise ApiError(403, "You'll need additional permissions to perform this action. "
                                "Permissions needed: folders.permissions:write")
        items = []
        for item in body.get("items") or []:
            keys = [k for k in ("teamId", "userId", "role") if item.get(k)]
            if len(keys) != 1 or item.get("permission") not in (1, 2, 4):
                raise ApiError(400, "invalid permission item")
            if item.get("teamId") and item["teamId"] not in self.teams:
                raise ApiError(400, "team not found")
            if item.get("userId") and item["userId"] not in self.users:
                raise ApiError(400, "user not found")
            items.append({keys[0]: item[keys[0]], "permission": item["permission"]})
        self.folder_permissions[uid] = items
        return 200, {"message": "Folder permissions updated"}

    def _search_teams(self, query, **_):
        name = query.get("name", [""])[0]
        text = query.get("query", [""])[0].lower()
        hits = [t for t in self.teams.values() if (not name or t["name"] == name) and text in t["name"].lower()]
        teams = [{k: v for k, v in t.items() if k != "members"} | {"memberCount": len(t["members"])}
                 for t in sorted(hits, key=lambda t: t["name"])]
        return 200, {"totalCount": len(teams), "teams": teams, "page": 1, "perPage": 1000}

    def _create_team(self, body, **_):
        if not body.get("name"):
            raise ApiError(400, "team name is required")
        if self.team_id(body["name"]) is not None:
            raise ApiError(409, "Team name taken")
        tid = self.add_team(body["name"])
        return 200, {"message": "Team created", "teamId": tid, "uid": self.teams[tid]["uid"]}

    def _user(self, auth="", **_):
        user = self._caller(auth)
        if user is None:
            raise ApiError(404, "user not found")
        return 200, {"id": user["id"], "uid": f"u{user['id']}", "login": user["login"], "email": "",
                     "name": user["login"], "orgId": 1, "isGrafanaAdmin": False}

    def _user_orgs(self, auth="", **_):
        user = self._caller(auth)
        return 200, [{"orgId": 1, "name": "Main Org.", "role": user["role"]}] if user else []

    def _user_teams(self, auth="", **_):
        user = self._caller(auth)
        return 200, [{k: v for k, v in t.items() if k != "members"} for t in self.teams.values()
                     if user and user["id"] in t["members"]]

    def _lookup_org_users(self, query, **_):
        text = query.get("query", [""])[0].lower()
        limit = int(query.get("limit", ["1000"])[0])
        hits = [u for u in self.users.values() if text in u["login"].lower() and not u["isServiceAccount"]]
        return 200, [{"userId": u["id"], "login": u["login"], "avatarUrl": ""} for u in hits][:limit]

    def _get_datasource_permissions(self, uid, **_):
        if uid not in self.datasources:
            raise ApiError(404, "Data source not found")
        out = []
        for (kind, key), level in sorted(self.datasource_permissions.get(uid, {}).items(), key=str):
            dto = {"id": len(out) + 1, "actions": [], "permission": level, "isManaged": True,
                   "isInherited": False, "isServiceAccount": False}
            if kind == "teamId":
                dto.update(teamId=key, team=self.teams[key]["name"])
            elif kind == "userId":
                dto.update(userId=key, userLogin=self.users[key]["login"])
            else:
                dto["builtInRole"] = key
            out.append(dto)
        return 200, out

    def _set_datasource_permissions(self, uid, body, **_):
        if uid not in self.datasources:
            raise ApiError(404, "Data source not found")
        current = self.datasource_permissions.setdefault(uid, {})
        for item in body.get("permissions") or []:
            kind = next(k for k in ("teamId", "userId", "builtInRole") if item.get(k))
            if item.get("permission") not in ("", "Query", "Edit", "Admin"):
                raise ApiError(400, "invalid permission")
            if item["permission"]:
                current[(kind, item[kind])] = item["permission"]
            else:
                current.pop((kind, item[kind]), None)
        return 200, {"message": "Permissions updated"}
