"""Who may write: a request carrying ``Authorization: Bearer <EXOOWL_UPDATE_TOKEN>``.

Without a configured token the server is read-only. The token is compared in constant time and
never echoed: not in problem bodies, not in logs."""

from __future__ import annotations

import hmac

from flask import Request

from exoowl.config import Settings
from exoowl.errors import Forbidden, Unauthorized


def require_writer(request: Request, settings: Settings) -> None:
    """Return when the request may write; else Forbidden (read-only server) or Unauthorized."""
    if settings.remote_store:
        raise Forbidden(
            "this server serves a SPARQL server's data read-only: write at that server's own "
            "update and Graph Store endpoints"
        )
    if not settings.update_token:
        raise Forbidden("this server is read-only: writes are enabled by starting it with EXOOWL_UPDATE_TOKEN set")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized("writes need an 'Authorization: Bearer <token>' header")
    if not hmac.compare_digest(given.strip().encode("utf-8"), settings.update_token.encode("utf-8")):
        raise Unauthorized("the bearer token is not the one this server accepts")
