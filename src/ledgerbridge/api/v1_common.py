"""What every ``/api/v1`` route shares: who may call it, how its inputs are bounded, and how its
errors are documented.

Bounds are part of the contract, not decoration: an input the store cannot hold must be a 400
naming the field, never a 500 from deep inside a service. So ids fit a 32-bit integer column,
dates stay where date arithmetic cannot overflow (a reconciliation widens its period by a week
on each side), and free text holds nothing PostgreSQL refuses (NUL) or UTF-8 cannot encode (an
unpaired surrogate, which JSON's ``\\ud800`` escape can smuggle in).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from annotated_types import Interval
from fastapi import Depends, Path, Request
from pydantic import AfterValidator, BaseModel, ConfigDict

from ledgerbridge.api.auth import require
from ledgerbridge.apikeys import Principal, Scope
from ledgerbridge.errors import InvalidInput

if TYPE_CHECKING:  # the app module includes these routes, so it is imported after them
    from ledgerbridge.api.app import AppState

Reader = Annotated[Principal, Depends(require(Scope.READ))]
Writer = Annotated[Principal, Depends(require(Scope.WRITE))]
Admin = Annotated[Principal, Depends(require(Scope.ADMIN))]

MAX_ID = 2**31 - 1
"""Ids are 32-bit integer columns; a larger number cannot name anything, and SQLite and
PostgreSQL would both fail on it rather than answer "not found"."""

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2999, 12, 31)

RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id.")]
BookDate = Annotated[dt.date, Interval(ge=EARLIEST, le=LATEST)]


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no unpaired surrogates)") from None
    return value


Storable = AfterValidator(_storable)
"""Refuses text that either database cannot store. Put it after any ``Field`` constraints
(``Annotated[str, Field(pattern=...), Storable]``): constraints placed after a validator still
apply but drop out of the OpenAPI document."""


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.ledgerbridge
    return state


def check_period(date_from: dt.date | None, date_to: dt.date | None) -> None:
    """Raises InvalidInput (field ``from``) for a period that ends before it starts."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidInput(f"from ({date_from}) is after to ({date_to})", field="from")


class ErrorDetail(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)

    code: str
    """Stable, for scripts to match on (``not_found``, ``invalid_input``, ...)."""
    message: str
    field: str | None
    """The parameter, body field, header or file position at fault, when there is one."""


class ErrorBody(BaseModel):
    """Every error of the API has this shape."""

    error: ErrorDetail


class Shape(BaseModel):
    """A response shape. Fields the services add later pass through (``extra="allow"``), so
    the document describes what is promised without hiding what is new."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)


ShapeT = TypeVar("ShapeT", bound=Shape)


def shaped(model: type[ShapeT], data: Any) -> dict[str, Any]:
    """``data`` checked against ``model`` and dumped as JSON, keys as the services wrote them.

    What FastAPI does for a ``response_model``, for the routes that build their own response
    (the idempotent writes, which must store exactly what they answer).
    """
    dumped: dict[str, Any] = model.model_validate(data).model_dump(
        mode="json", by_alias=True, exclude_unset=True
    )
    return dumped


_DESCRIPTIONS = {
    400: "Bad input: `error.field` names the parameter, body field or file position at fault.",
    401: "No API key, or an unknown, malformed or revoked one.",
    403: "The key's scope is below what this route needs.",
    404: "The id or name does not exist.",
    409: "Conflicts with the current state, or an Idempotency-Key reused for another request.",
    413: "The body is over the limit.",
    503: "The database cannot be reached; retry later.",
    "4XX": "Any other client error, in the same shape.",
}


def failures(*statuses: int | str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses, all in the ``ErrorBody`` shape."""
    return {s: {"model": ErrorBody, "description": _DESCRIPTIONS[s]} for s in statuses}
