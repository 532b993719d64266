"""Operations endpoints: liveness, readiness with the failing dependency named, metrics."""

from __future__ import annotations

from banjian.embedded import EmbeddedPostgres
from tests.api.conftest import Api


async def test_healthz_and_readyz_answer_when_everything_is_up(api: Api) -> None:
    assert (await api.root.get("/healthz")).status_code == 200
    r = await api.root.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"postgres": "ok", "temporal": "ok"}


async def test_readyz_names_postgres_when_it_is_down(api: Api, postgres: EmbeddedPostgres) -> None:
    await postgres.stop()
    try:
        r = await api.root.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"] == {"postgres": "down", "temporal": "ok"}
    finally:
        await postgres.start()


async def test_metrics_count_staff_actions_by_outcome(api: Api) -> None:
    await api.http.post("/cases/BJ-NOSUCHCASE/start-review", json={}, headers=api.auth("mz-a"))
    r = await api.root.get("/metrics")
    assert r.status_code == 200
    assert 'banjian_actions_total{action="start-review",outcome="rejected"}' in r.text
    assert "banjian_action_seconds_bucket" in r.text
