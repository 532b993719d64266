"""Named API errors, and the one place they become the contract's error body.

It is also where a request that needs a server which is down gets its answer:
PostgreSQL (the read model, the staff directory) or Temporal (the cases'
workflows), whichever route was using it, is named in a ``503 service_unavailable``.
"""

from __future__ import annotations

import traceback
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError, RPCStatusCode

from api.context import DatabaseUnavailable

log = structlog.get_logger(__name__)


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        if details is None and code == "validation_error":
            details = []  # the contract's validation errors always carry their details
        self.status, self.code, self.message, self.details = status, code, message, details


def unauthorized(message: str = "a valid bearer token is required") -> ApiError:
    return ApiError(401, "unauthorized", message)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def not_found(what: str, key: str) -> ApiError:
    return ApiError(404, f"{what}_not_found", f"{what.replace('_', ' ')} {key!r} not found")


def validation_error(message: str, details: list[dict[str, Any]] | None = None) -> ApiError:
    return ApiError(422, "validation_error", message, details or [])


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
}


def _body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def _safe_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Never echo the submitted value back: it may be an ID number or a phone.
    return [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type")}
        for e in exc.errors()
    ]


POSTGRES_DOWN = "PostgreSQL cannot be reached; try again shortly"
TEMPORAL_DOWN = "Temporal cannot be reached; try again shortly"

# What asyncpg raises when the server is gone, refuses connections or is shutting down. An
# OSError (refused, reset, timed out: a pool's acquire too) or a bare InterfaceError ("connection
# is closed") counts only when it came out of asyncpg.
_POSTGRES_DOWN_ERRORS = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
)
_POSTGRES_HANDLED = (
    DatabaseUnavailable,
    OSError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)


def _raised_in_asyncpg(exc: BaseException) -> bool:
    return any(
        str(frame.f_globals.get("__name__", "")).startswith("asyncpg")
        for frame, _ in traceback.walk_tb(exc.__traceback__)
    )


def postgres_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says PostgreSQL is down or refusing connections (not a bad query)."""
    if isinstance(exc, (DatabaseUnavailable, *_POSTGRES_DOWN_ERRORS)):
        return True
    if isinstance(exc, OSError) or type(exc) is asyncpg.InterfaceError:
        return _raised_in_asyncpg(exc)
    return False


def temporal_unreachable(exc: BaseException) -> bool:
    return isinstance(exc, RPCError) and exc.status == RPCStatusCode.UNAVAILABLE


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(
            _body(exc.code, exc.message, exc.details), status_code=exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            _body("validation_error", "the request is not valid", _safe_details(exc)),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return JSONResponse(_body(code, str(exc.detail)), status_code=exc.status_code)

    async def _postgres_down(request: Request, exc: Exception) -> JSONResponse:
        if not postgres_unreachable(exc):
            raise exc  # not an outage: the server error it always was
        # The type only: a driver's message may quote what the request sent.
        log.warning("postgres.unreachable", path=request.url.path, error=type(exc).__name__)
        return JSONResponse(_body("service_unavailable", POSTGRES_DOWN), status_code=503)

    async def _temporal_down(request: Request, exc: Exception) -> JSONResponse:
        if not temporal_unreachable(exc):
            raise exc
        log.warning("temporal.unreachable", path=request.url.path, error=type(exc).__name__)
        return JSONResponse(_body("service_unavailable", TEMPORAL_DOWN), status_code=503)

    for kind in _POSTGRES_HANDLED:
        app.add_exception_handler(kind, _postgres_down)
    app.add_exception_handler(RPCError, _temporal_down)
