"""Typed exceptions. The CLI maps them to exit codes and the server to HTTP problem responses,
each in one place (``exoowl.cli.main`` and ``server.errors``)."""

from __future__ import annotations

import re
from pathlib import Path


class ExoowlError(Exception):
    """Base of every error exoowl raises on purpose."""

    exit_code = 2
    http_status = 400
    title = "exoowl error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def one_line(self) -> str:
        """The cause on one line, as printed by the CLI."""
        return " ".join(self.message.split())

    def extensions(self) -> dict[str, object]:
        """Extra members of the HTTP problem response (RFC 9457 extension members)."""
        return {}

    def headers(self) -> dict[str, str]:
        """Extra HTTP headers of the problem response (``WWW-Authenticate``, ``Retry-After``)."""
        return {}


class UsageError(ExoowlError):
    """The caller asked for something that does not exist or is malformed (exit 2, HTTP 400)."""

    title = "Bad request"


class InputError(ExoowlError):
    """A file the user gave or curated is malformed; names the file, line and column."""

    title = "Malformed input"

    def __init__(
        self, message: str, path: Path | str | None = None, line: int | None = None, column: int | str | None = None
    ) -> None:
        self.path, self.line, self.column = path, line, column
        where = ":".join(str(p) for p in (path, line, column) if p is not None)
        super().__init__(f"{where}: {message}" if where else message)


class QuerySyntaxError(UsageError):
    """A SPARQL query or update does not parse; the parser's ``error at LINE:COLUMN`` is kept."""

    title = "Malformed query"

    def extensions(self) -> dict[str, object]:
        found = re.search(r"error at (\d+):(\d+)", self.message)
        return {"line": int(found.group(1)), "column": int(found.group(2))} if found else {}


class UpdateFailed(UsageError):
    """A SPARQL Update that parses but cannot be applied, e.g. CREATE of a graph that exists (HTTP 400)."""

    title = "Update failed"


class NotFound(UsageError):
    """A named query, graph or resource that does not exist."""

    http_status = 404
    title = "Not found"


class ValidationFailed(ExoowlError):
    """SHACL validation found violations (exit 1, HTTP 422). Carries the report."""

    exit_code = 1
    http_status = 422
    title = "Validation failed"

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report
        self.printed = False

    def extensions(self) -> dict[str, object]:
        """The SHACL report: ``conforms``, counts and every result (focus, path, value, message)."""
        as_dict = getattr(self.report, "as_dict", None)
        return {"report": as_dict()} if as_dict else {}


class ReasoningFailed(ExoowlError):
    """The ontology or data is inconsistent, or a class is unsatisfiable (exit 1)."""

    exit_code = 1
    http_status = 422
    title = "Reasoning failed"


class StoreError(ExoowlError):
    """The store is missing, locked or was built by an interrupted run (exit 2, HTTP 503)."""

    http_status = 503
    title = "Store unavailable"


class Unavailable(ExoowlError):
    """Something the server offers cannot be made from what it serves, e.g. the ontology's
    documentation (HTTP 503)."""

    http_status = 503
    title = "Service unavailable"


class StoreBusy(StoreError):
    """Another build or write held the store's write lock for longer than the caller waits (HTTP 503)."""

    title = "Store busy"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}


class Overloaded(ExoowlError):
    """Every query process is busy and the queue is full, or a query waited in it past its
    deadline without starting (HTTP 503); ``Retry-After`` says when a process will be free."""

    http_status = 503
    title = "Server busy"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class QueryTimeout(Overloaded):
    """A query ran past the query timeout and its process was stopped (HTTP 503)."""

    title = "Query timeout"


class TooManyQueries(Overloaded):
    """One client already has as many queries running or queued as it may (HTTP 429)."""

    http_status = 429
    title = "Too many requests"


class ResultTooLarge(ExoowlError):
    """An answer longer than the server writes (EXOOWL_MAX_RESULT_BYTES); caught while streaming,
    so it costs no more than the limit (HTTP 422)."""

    http_status = 422
    title = "Result too large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the answer is over {limit} bytes, the most this server writes (setting "
            "EXOOWL_MAX_RESULT_BYTES): add a LIMIT, or ask for less"
        )
        self.limit = limit

    def extensions(self) -> dict[str, object]:
        return {"limit": self.limit}


class Unauthorized(ExoowlError):
    """A write without the bearer token the server expects (HTTP 401)."""

    http_status = 401
    title = "Unauthorized"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="exoowl"'}


class Forbidden(ExoowlError):
    """A write to a read-only server (no update token configured) (HTTP 403)."""

    http_status = 403
    title = "Forbidden"


class RefusedQuery(UsageError):
    """A query the endpoint will not run: SERVICE calls, FROM of graphs it does not hold (HTTP 400)."""

    title = "Query refused"


class UnsupportedFunction(UsageError):
    """A query calls a function (by IRI) that neither SPARQL 1.1 nor this endpoint defines (HTTP 400)."""

    title = "Unsupported function"


class UnsupportedMediaType(UsageError):
    """A request body in a media type or charset the endpoint does not read (HTTP 415)."""

    http_status = 415
    title = "Unsupported media type"


class NotAcceptable(ExoowlError):
    """No format the client accepts can carry the answer (HTTP 406); lists the formats that can."""

    http_status = 406
    title = "Not acceptable"

    def __init__(self, message: str, supported: list[str]) -> None:
        super().__init__(f"{message}; supported: {', '.join(supported)}")
        self.supported = supported

    def extensions(self) -> dict[str, object]:
        return {"supported": self.supported}
