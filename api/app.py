"""The FastAPI application: routers under ``/api/v1``, operations endpoints at the root."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from api.context import AppContext
from api.errors import install_error_handlers
from api.routers import cases, catalog, ops, sandbox

PREFIX = "/api/v1"


def create_app(ctx: AppContext) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        refresher = asyncio.create_task(ctx.keep_directory_fresh())
        try:
            yield
        finally:
            refresher.cancel()

    app = FastAPI(
        title="banjian",
        summary="Case workflows for one-stop service centers (便民服务中心)",
        version="1",
        lifespan=lifespan,
    )
    app.state.context = ctx
    install_error_handlers(app)
    app.include_router(cases.router, prefix=PREFIX)
    app.include_router(catalog.router, prefix=PREFIX)
    app.include_router(sandbox.router, prefix=PREFIX)
    app.include_router(ops.router)
    return app
