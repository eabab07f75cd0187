"""One settings object: CLI flags over ``EXOOWL_*`` environment variables over defaults.

Every setting is listed in ``SETTINGS`` with its variable, default and meaning; the README's
configuration table is this list.
"""
from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import UsageError


def _default_root() -> Path:
    """The project directory holding ontology/, data/ and queries/ (the source checkout)."""
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=_default_root,
                       metadata={"env": "EXOOWL_ROOT", "flag": False,
                                 "help": "project directory with ontology/, data/ and queries/"})
    store: Path = field(default=Path("var/store"),
                        metadata={"env": "EXOOWL_STORE", "help": "store location (relative paths are under the project directory)"})
    host: str = field(default="127.0.0.1", metadata={"env": "EXOOWL_HOST", "help": "address the server listens on"})
    port: int = field(default=8000, metadata={"env": "EXOOWL_PORT", "help": "port the server listens on"})
    query_timeout: float = field(default=30.0, metadata={"env": "EXOOWL_QUERY_TIMEOUT", "help": "seconds before a query is stopped"})
    workers: int = field(default=2, metadata={"env": "EXOOWL_WORKERS", "help": "server worker processes"})
    update_token: str | None = field(default=None, repr=False,
                                     metadata={"env": "EXOOWL_UPDATE_TOKEN", "flag": False,
                                               "help": "bearer token enabling writes; unset means read-only"})

    @property
    def store_path(self) -> Path:
        return self.store if self.store.is_absolute() else self.root / self.store

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def edit_file(self) -> Path:
        return self.ontology_dir / "exoowl-edit.ttl"

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


def _convert(name: str, raw: str, kind: Any) -> Any:
    try:
        if kind in (Path, "Path"):
            return Path(raw).expanduser()
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
    except ValueError as exc:
        raise UsageError(f"setting {name}: {raw!r} is not a valid value ({exc})") from exc
    return raw


def load_settings(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then ``EXOOWL_*`` variables, then explicit overrides (CLI flags); ``None`` means unset."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        var = f.metadata["env"]
        if env.get(var):
            kind = f.type.split(" |")[0] if isinstance(f.type, str) else f.type
            values[f.name] = _convert(var, env[var], kind)
    settings = replace(Settings(), **values)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    settings = replace(settings, **given)
    if settings.query_timeout <= 0:
        raise UsageError(f"query timeout must be positive, got {settings.query_timeout}")
    return settings


def describe_settings() -> list[tuple[str, str, str, str]]:
    """(flag, variable, default, meaning) for the README's configuration table."""
    rows = []
    for f in fields(Settings):
        default = f.default if f.default_factory is MISSING else "the source checkout"
        flag = f"--{f.name.replace('_', '-')}" if f.metadata.get("flag", True) else "(none)"
        rows.append((flag, f.metadata["env"], "unset" if default is None else str(default), f.metadata["help"]))
    return rows
