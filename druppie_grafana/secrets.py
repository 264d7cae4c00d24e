"""Credentials by reference: an environment variable or a file, resolved only when pushing."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import DruppieError
from .redaction import MASK


class SecretUnavailable(DruppieError):
    pass


@dataclass(frozen=True)
class SecretRef:
    """A credential named, never held: `env` (variable name) or `file` (path)."""

    env: str | None = None
    file: str | None = None
    where: str = field(default="", compare=False)  # where it is written: "environments.yaml: $.environments..."

    @classmethod
    def from_mapping(cls, data: Mapping[str, str], where: str = "") -> "SecretRef":
        return cls(env=data.get("env"), file=data.get("file"), where=where)

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env else f"file {self.file}"

    def provisioning_text(self) -> str:
        """How Grafana's provisioning interpolation spells this reference."""
        return f"${{{self.env}}}" if self.env else f"$__file{{{self.file}}}"

    def to_json(self) -> dict:
        """How the built API form records the reference (never the value)."""
        return {"secretRef": {"env": self.env} if self.env else {"file": self.file}}

    def resolve(self, environ: Mapping[str, str] | None = None) -> str:
        environ = os.environ if environ is None else environ
        if self.env:
            if self.env not in environ:
                raise SecretUnavailable(f"credential missing: set the environment variable {self.env}")
            return environ[self.env]
        try:
            with open(self.file, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as exc:
            raise SecretUnavailable(f"credential file {self.file} cannot be read: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise SecretUnavailable(f"credential file {self.file} is not UTF-8 text; store the credential as "
                                    "text (a token or password, not a binary key file)") from None


def secret_ref_from_json(value: Any) -> SecretRef | None:
    """The SecretRef that an API-form value records, or None for an ordinary value."""
    if isinstance(value, dict) and set(value) == {"secretRef"} and isinstance(value["secretRef"], dict):
        ref = value["secretRef"]
        return SecretRef(env=ref.get("env"), file=ref.get("file"))
    return None


def resolve_secrets(value: Any, environ: Mapping[str, str] | None = None) -> Any:
    """Replace every SecretRef (object or recorded form) inside value by its resolved text."""
    if isinstance(value, SecretRef):
        return value.resolve(environ)
    ref = secret_ref_from_json(value)
    if ref is not None:
        return ref.resolve(environ)
    if isinstance(value, dict):
        return {k: resolve_secrets(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_secrets(v, environ) for v in value]
    return value
