"""One settings object: CLI flags over ``EXOOWL_*`` environment variables over defaults.

Every setting is listed in ``SETTINGS`` with its variable, default and meaning; the README's
configuration table is this list.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import UsageError
from .isolation import Lanes
from .sparql_safety import Limits, Policy, RemoteAccess, named_node


def default_root() -> Path:
    """The project directory holding ontology/, data/ and queries/ (the source checkout)."""
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    root: Path = field(
        default_factory=default_root,
        metadata={"env": "EXOOWL_ROOT", "flag": False, "help": "project directory with ontology/, data/ and queries/"},
    )
    store: Path | str = field(
        default=Path("var/store"),
        metadata={
            "env": "EXOOWL_STORE",
            "help": "store location (relative paths are under the project directory), "
            "or a SPARQL server as `sparql+http://HOST/PATH` (docs/remote-store.md)",
        },
    )
    host: str = field(default="127.0.0.1", metadata={"env": "EXOOWL_HOST", "help": "address the server listens on"})
    port: int = field(default=8000, metadata={"env": "EXOOWL_PORT", "help": "port the server listens on"})
    query_timeout: float = field(
        default=30.0, metadata={"env": "EXOOWL_QUERY_TIMEOUT", "help": "seconds before a query is stopped"}
    )
    workers: int = field(default=2, metadata={"env": "EXOOWL_WORKERS", "help": "server worker processes"})
    threads: int = field(
        default=16,
        metadata={"env": "EXOOWL_THREADS", "help": "threads per worker: requests a worker serves at once"},
    )
    fast_processes: int = field(
        default=1,
        metadata={
            "env": "EXOOWL_FAST_PROCESSES",
            "flag": False,
            "help": "query processes per worker in the fast lane, where every query of a client not known to be "
            "slow starts (0: none)",
        },
    )
    fast_seconds: float = field(
        default=0.25,
        metadata={
            "env": "EXOOWL_FAST_SECONDS",
            "flag": False,
            "help": "a query's budget of CPU seconds in the fast lane (a fifth for a client not yet seen to be "
            "quick); past it the query goes on in the slow lane and its client counts as slow for a minute",
        },
    )
    slow_processes: int = field(
        default=1,
        metadata={
            "env": "EXOOWL_SLOW_PROCESSES",
            "flag": False,
            "help": "query processes per worker in the slow lane (lower CPU priority)",
        },
    )
    query_queue: int = field(
        default=8,
        metadata={
            "env": "EXOOWL_QUERY_QUEUE",
            "flag": False,
            "help": "queries per worker that may wait for the slow lane; more get 503 with Retry-After",
        },
    )
    client_queries: int = field(
        default=2,
        metadata={
            "env": "EXOOWL_CLIENT_QUERIES",
            "flag": False,
            "help": "slow-lane queries (running or waiting) one client address may have per worker; more get 429",
        },
    )
    update_token: str | None = field(
        default=None,
        repr=False,
        metadata={
            "env": "EXOOWL_UPDATE_TOKEN",
            "flag": False,
            "help": "bearer token enabling writes (at least 16 characters); unset means read-only",
        },
    )
    cors_origins: str = field(
        default="*",
        metadata={
            "env": "EXOOWL_CORS_ORIGINS",
            "flag": False,
            "help": "origins browsers may call the endpoint from (CORS): `*` or a space-separated list",
        },
    )
    allow_remote: str = field(
        default="",
        metadata={
            "env": "EXOOWL_ALLOW_REMOTE",
            "flag": False,
            "help": "allow-list of what the endpoint may reach: SERVICE endpoints, LOAD sources and FROM graphs not in "
            "the store; space-separated IRI prefixes, `*` for any; empty: none",
        },
    )
    public_url: str | None = field(
        default=None,
        metadata={
            "env": "EXOOWL_PUBLIC_URL",
            "flag": False,
            "help": "the server's public URL (e.g. `https://exoowl.example.org/`): graphs made by Graph Store writes "
            "are named under it, and relative IRIs in updates resolve against it; unset: "
            "`http://HOST:PORT/` of the settings, never a request's Host header",
        },
    )
    max_request_bytes: int = field(
        default=1048576,
        metadata={
            "env": "EXOOWL_MAX_REQUEST_BYTES",
            "flag": False,
            "help": "largest request body the server reads (1 MiB); larger ones get 413",
        },
    )
    max_result_bytes: int = field(
        default=268435456,
        metadata={
            "env": "EXOOWL_MAX_RESULT_BYTES",
            "flag": False,
            "help": "largest answer the endpoint writes (256 MiB); a query whose answer is longer gets 422, "
            "stopped as soon as it gets there",
        },
    )

    @cached_property
    def remote_access(self) -> RemoteAccess:
        """The allow-list of EXOOWL_ALLOW_REMOTE, read once."""
        return RemoteAccess.parse(self.allow_remote)

    @cached_property
    def safety(self) -> Policy:
        """The rules every query and update passes (CLI, Python API and server alike), made once."""
        return Policy(self.remote_access, Limits())

    @property
    def lanes(self) -> Lanes:
        """How each server worker runs queries from outside (``exoowl.isolation``)."""
        return Lanes(self.fast_processes, self.slow_processes, self.query_queue, self.client_queries, self.fast_seconds)

    @property
    def public_base(self) -> str:
        """Where the server's own IRIs live (graphs it names, the base of updates), ending in '/'."""
        if self.public_url:
            return self.public_url.rstrip("/") + "/"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    @property
    def remote_store(self) -> str | None:
        """The SPARQL server's location when the store is one (``sparql+http://…``), else None."""
        return self.store if isinstance(self.store, str) else None

    @property
    def var_dir(self) -> Path:
        """Where the server keeps caches and metrics: beside the local store, or var/ in the project."""
        return self.root / "var" if self.remote_store else self.store_path.parent

    @property
    def store_path(self) -> Path:
        if isinstance(self.store, str):
            raise UsageError(f"this works on a local store only, not on the SPARQL server {self.store.split('@')[-1]}")
        return self.store if self.store.is_absolute() else self.root / self.store

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def edit_file(self) -> Path:
        return self.ontology_dir / "exoowl-edit.ttl"

    @property
    def ontology_mappings(self) -> Path:
        """The SSSOM mapping set of exoowl classes to OBO terms, merged into the release."""
        return self.mappings_dir / "exoowl_obo.sssom.tsv"

    @property
    def release_file(self) -> Path:
        return self.ontology_dir / "exoowl.owl"

    @property
    def shapes_dir(self) -> Path:
        return self.ontology_dir / "shapes"

    @property
    def rules_dir(self) -> Path:
        return self.ontology_dir / "rules"

    @property
    def curated_dir(self) -> Path:
        return self.root / "data" / "curated"

    @property
    def mappings_dir(self) -> Path:
        return self.root / "data" / "mappings"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"


MIN_TOKEN_LENGTH = 16
_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _convert(name: str, raw: str, kind: Any) -> Any:
    if kind in (bool, "bool"):
        if raw.strip().lower() not in _BOOLEANS:
            raise UsageError(f"setting {name}: {raw!r} is not a boolean (true/false, 1/0, yes/no)")
        return _BOOLEANS[raw.strip().lower()]
    try:
        if kind in (Path, "Path"):
            return raw if raw.startswith("sparql+") else Path(raw).expanduser()
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
    except ValueError as exc:
        raise UsageError(f"setting {name}: {raw!r} is not a valid value ({exc})") from exc
    return raw


def _kind(f: Any) -> Any:
    """The settings field's type without ``| None`` (annotations are strings here)."""
    return f.type.split(" |")[0] if isinstance(f.type, str) else f.type


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then ``EXOOWL_*`` variables, then explicit overrides (CLI flags); ``None`` means unset."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        var = f.metadata["env"]
        if env.get(var):
            values[f.name] = _convert(var, env[var], _kind(f))
    settings = replace(Settings(), **values)
    kinds = {f.name: _kind(f) for f in fields(Settings)}
    given = {
        k: _convert(k, v, kinds[k]) if isinstance(v, str) else v for k, v in (overrides or {}).items() if v is not None
    }
    settings = replace(settings, **given)
    if settings.query_timeout <= 0:
        raise UsageError(f"query timeout must be positive, got {settings.query_timeout}")
    for name in ("workers", "threads", "slow_processes", "query_queue", "client_queries"):
        if getattr(settings, name) < 1:
            raise UsageError(f"{name.replace('_', ' ')} must be at least 1, got {getattr(settings, name)}")
    if settings.fast_processes < 0 or settings.fast_seconds <= 0:
        raise UsageError("fast processes must be 0 or more and fast seconds positive")
    if settings.max_request_bytes <= 0:
        raise UsageError(f"max request bytes must be positive, got {settings.max_request_bytes}")
    if settings.max_result_bytes <= 0:
        raise UsageError(f"max result bytes must be positive, got {settings.max_result_bytes}")
    if settings.public_url is not None:
        named_node(settings.public_url, "EXOOWL_PUBLIC_URL")
    if settings.update_token is not None and len(settings.update_token) < MIN_TOKEN_LENGTH:
        raise UsageError(
            f"EXOOWL_UPDATE_TOKEN must be at least {MIN_TOKEN_LENGTH} characters "
            f"(it has {len(settings.update_token)}); e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`"
        )
    return settings


def describe_settings() -> list[tuple[str, str, str, str]]:
    """(flag, variable, default, meaning) for the README's configuration table."""
    rows = []
    for f in fields(Settings):
        default = f.default if f.default_factory is MISSING else "the source checkout"
        flag = f"--{f.name.replace('_', '-')}" if f.metadata.get("flag", True) else "(none)"
        shown = (
            "unset"
            if default is None
            else "empty"
            if default == ""
            else str(default).lower()
            if isinstance(default, bool)
            else str(default)
        )
        rows.append((flag, f.metadata["env"], shown, f.metadata["help"]))
    return rows
