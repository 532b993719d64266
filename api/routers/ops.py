"""Operations endpoints, outside the API prefix and without auth: health, readiness, metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api import metrics as read_model_metrics
from api.deps import Context

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(ctx: Context) -> Response:
    async def postgres() -> bool:
        try:
            await asyncio.wait_for(ctx.pool.fetchval("select 1"), timeout=2)
        except Exception:
            return False
        return True

    async def temporal() -> bool:
        try:
            return await asyncio.wait_for(ctx.client.service_client.check_health(), timeout=2)
        except Exception:
            return False

    pg_ok, temporal_ok = await asyncio.gather(postgres(), temporal())
    checks = {"postgres": "ok" if pg_ok else "down", "temporal": "ok" if temporal_ok else "down"}
    return JSONResponse(
        {"status": "ready" if pg_ok and temporal_ok else "not_ready", "checks": checks},
        status_code=200 if pg_ok and temporal_ok else 503,
    )


@router.get("/metrics")
async def metrics(ctx: Context) -> Response:
    await read_model_metrics.refresh(ctx.pool)
    return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)
