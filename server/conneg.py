"""Content negotiation: the ``format`` / ``output`` parameter, else Accept with its q-values."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Request

from exoowl.errors import NotAcceptable
from exoowl.formats import Format

OVERRIDES = ("format", "output")


def choose_format(formats: Sequence[Format], request: Request) -> tuple[Format, str]:
    """The format to answer in and the media type to label it with: the one the client named
    (an alias such as ``application/json`` included), ``formats[0]`` when it accepts anything."""
    requested = next((request.values[p] for p in OVERRIDES if request.values.get(p)), None)
    if requested is not None:
        return _by_name(formats, requested)
    if not request.headers.get("Accept", "").strip():
        return formats[0], formats[0].media_type
    by_type = {f.media_type: f for f in formats}
    by_type.update({t: f for f in formats for t in f.media_types if t not in by_type})
    best = request.accept_mimetypes.best_match(list(by_type))
    if best is None:
        raise NotAcceptable(
            f"none of the accepted types ({request.headers['Accept']}) fits this answer", supported(formats)
        )
    return by_type[best], best


def _by_name(formats: Sequence[Format], requested: str) -> tuple[Format, str]:
    for f in formats:
        if f.answers_to(requested):
            return f, f.media_type
    raise NotAcceptable(f"format {requested!r} cannot carry this answer", supported(formats))


def supported(formats: Sequence[Format]) -> list[str]:
    return [f.media_type for f in formats]
