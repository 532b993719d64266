"""The FastAPI application: routers under ``/api/v1``, operations endpoints at the root."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator

import structlog
from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.context import AppContext
from api.deps import storable_url
from api.errors import install_error_handlers
from api.idempotency import forget_old_keys
from api.routers import (
    alerts,
    calendar,
    cases,
    catalog,
    centers,
    complaints,
    dashboard,
    followups,
    inquiries,
    leave,
    notices,
    ops,
    pages,
    public,
    ratings,
    replay,
    sandbox,
)

PREFIX = "/api/v1"

log = structlog.get_logger(__name__)


class RequestLog:
    """Each request's log lines carry its id (handlers add staff and case ids), and the
    request ends with one line: method, path (without tokens), status, milliseconds. Plain
    ASGI: the answer passes through as it is, without a task or a buffer of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=secrets.token_hex(6))
        started = time.perf_counter()
        status = 500  # unless an answer starts: an error no handler turned into one

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            log.info(
                "http.request",
                method=scope["method"],
                path=public.loggable_path(scope["path"]),
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )


def create_app(ctx: AppContext) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        background = [
            asyncio.create_task(ctx.keep_directory_fresh()),
            asyncio.create_task(forget_old_keys(ctx.pool)),
        ]
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            await ctx.projections.close()

    app = FastAPI(
        title="banjian",
        summary="Case workflows for one-stop service centers (便民服务中心)",
        version="1",
        lifespan=lifespan,
        dependencies=[Depends(storable_url)],
    )
    app.state.context = ctx

    app.add_middleware(RequestLog)
    install_error_handlers(app)
    app.include_router(cases.router, prefix=PREFIX)
    app.include_router(replay.router, prefix=PREFIX)
    app.include_router(catalog.router, prefix=PREFIX)
    app.include_router(alerts.router, prefix=PREFIX)
    app.include_router(alerts.channels, prefix=PREFIX)
    app.include_router(calendar.router, prefix=PREFIX)
    app.include_router(sandbox.router, prefix=PREFIX)
    app.include_router(ops.router)
    app.include_router(dashboard.router, prefix=PREFIX)
    app.include_router(centers.router, prefix=PREFIX)
    app.include_router(notices.router, prefix=PREFIX)
    app.include_router(leave.router, prefix=PREFIX)
    app.include_router(complaints.router, prefix=PREFIX)
    app.include_router(inquiries.router, prefix=PREFIX)
    app.include_router(followups.router, prefix=PREFIX)
    ratings.install(app, PREFIX)  # the applicant's side: public routes and page, ratings
    pages.install(app)  # the supervisors' page at / and /dashboard
    return app
