"""The rule every URL we are given must follow: http(s), a host, and no credentials inside it.

A password in `http://user:pass@host` would be copied into provisioning files, ConfigMaps and Helm
values, printed in plan headers and error messages, and would silently take the place of the token.
Credentials have their own, referenced places (auth.token, auth.basic, basic_auth, headers).
"""

from __future__ import annotations

from urllib.parse import urlsplit

CREDENTIALS_HINT = ("put credentials in their own place instead: grafana.auth (token or basic) or GRAFANA_TOKEN "
                    "for Grafana; basic_auth or headers for a datasource; each as {env: VAR} or {file: PATH}")


def url_problem(url: object) -> str | None:
    """Why `url` is not a usable http(s) URL without credentials, or None. Never repeats a password."""
    if not isinstance(url, str) or not url:
        return "must be a non-empty string"
    if any(c.isspace() for c in url) or any(ord(c) < 32 for c in url):
        return "contains white space or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if "@" in parts.netloc:
        return "contains credentials (user:password@); they would be copied into every file and message"
    if not parts.hostname:
        return "has no host"
    return None
