"""The fields every datasource shares: where it is, how Grafana authenticates to it."""

from __future__ import annotations

from typing import Any

from .definitions import BuildContext


def datasource(ctx: BuildContext, role: str, *, uid: str, name: str, type: str,
               json_data: dict[str, Any]) -> dict[str, Any]:
    """A datasource in API form for the endpoint of `role` in the context's environment.

    Credentials stay SecretRef objects: the provisioning writer turns them into $VAR references and
    the push resolves them from the environment at the last moment.
    """
    endpoint = ctx.endpoint(role)
    json_data = dict(json_data)
    secure: dict[str, Any] = {}
    headers = list(endpoint.headers)
    if endpoint.tenant:
        headers.insert(0, ("X-Scope-OrgID", endpoint.tenant))
    for number, (header, value) in enumerate(headers, start=1):
        json_data[f"httpHeaderName{number}"] = header
        secure[f"httpHeaderValue{number}"] = value
    if endpoint.timeout:
        json_data["timeout"] = endpoint.timeout
    spec: dict[str, Any] = {
        "uid": uid,
        "name": name,
        "type": type,
        "access": "proxy",
        "url": endpoint.url,
        "isDefault": False,
        "basicAuth": endpoint.basic_auth_user is not None,
        "jsonData": json_data,
    }
    if endpoint.basic_auth_user is not None:
        spec["basicAuthUser"] = endpoint.basic_auth_user
        secure["basicAuthPassword"] = endpoint.basic_auth_password
    if secure:
        spec["secureJsonData"] = secure
    return spec
