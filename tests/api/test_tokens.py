"""Tokens over their lifetime: a revoked or expired token, or a deactivated staff member's,
is refused at its next request, not a minute later."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from projections.center import (
    StaffError,
    StaffMember,
    add_staff,
    deactivate_staff,
    issue_token,
    list_tokens,
    move_staff,
    revoke_token,
)
from tests.api.conftest import Api
from tests.api.test_cases import assert_error
from workflows.model import Role


async def new_clerk(api: Api) -> StaffMember:
    member = StaffMember("t-" + uuid.uuid4().hex[:8], "测试员", Role.CLERK, "zonghe", "A", "SFZ")
    async with api.ctx.pool.acquire() as conn:
        await add_staff(conn, member)
    return member


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_revoked_token_is_refused_at_its_next_request(api: Api) -> None:
    clerk = await new_clerk(api)
    issued = await issue_token(api.ctx.pool, "SFZ", clerk.id)
    assert (await api.http.get("/cases", headers=bearer(issued.token))).status_code == 200
    assert await revoke_token(api.ctx.pool, issued.id) is True
    assert_error(await api.http.get("/cases", headers=bearer(issued.token)), 401, "unauthorized")
    assert await revoke_token(api.ctx.pool, issued.id) is False  # already
    assert await revoke_token(api.ctx.pool, "no-such-id") is None


async def test_a_deactivated_staff_members_tokens_stop_working_at_once(api: Api) -> None:
    clerk = await new_clerk(api)
    token = (await issue_token(api.ctx.pool, "SFZ", clerk.id)).token
    assert (await api.http.get("/cases", headers=bearer(token))).status_code == 200
    async with api.ctx.pool.acquire() as conn:
        assert await deactivate_staff(conn, "SFZ", clerk.id)
        assert not await deactivate_staff(conn, "SFZ", clerk.id)
    assert_error(await api.http.get("/cases", headers=bearer(token)), 401, "unauthorized")


async def test_an_expired_token_is_refused_and_listed_as_expired(api: Api) -> None:
    clerk = await new_clerk(api)
    issued = await issue_token(api.ctx.pool, "SFZ", clerk.id, timedelta(days=30))
    assert issued.expires_at is not None
    assert (await api.http.get("/cases", headers=bearer(issued.token))).status_code == 200
    # A month later, as far as the database can tell.
    await api.ctx.pool.execute(
        "update tokens set expires_at = now() - interval '1 second' where id = $1", issued.id
    )
    assert_error(await api.http.get("/cases", headers=bearer(issued.token)), 401, "unauthorized")
    [record] = await list_tokens(api.ctx.pool, "SFZ", clerk.id)
    assert record.state(datetime.now(UTC)) == "expired"


async def test_staff_changes_that_do_not_fit_the_center_are_refused(api: Api) -> None:
    clerk = await new_clerk(api)
    async with api.ctx.pool.acquire() as conn:
        with pytest.raises(StaffError, match="exists already"):
            await add_staff(conn, clerk)
        with pytest.raises(StaffError, match="no window"):
            await move_staff(conn, "SFZ", clerk.id, "nowhere", "A")
        with pytest.raises(StaffError, match="belongs to a window"):
            await move_staff(conn, "SFZ", clerk.id, None, None)
        moved = await move_staff(conn, "SFZ", clerk.id, "minzheng", "B")
    assert (moved.window, moved.post) == ("minzheng", "B")
