"""The FastAPI application: routers under ``/api/v1``, operations endpoints at the root."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import structlog
from fastapi import Depends, FastAPI, Request, Response

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

    @app.middleware("http")
    async def bind_request(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Each request's log lines carry its id; handlers add staff and case ids.
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=secrets.token_hex(6))
        started = time.perf_counter()
        response = await call_next(request)
        log.info(
            "http.request",
            method=request.method,
            path=public.loggable_path(request.url.path),
            status=response.status_code,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response

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
