"""The projection lag at /metrics: events open cases decided that the read model lacks yet."""

from __future__ import annotations

import re

from tests.api.conftest import Api
from tests.api.test_cases import projected, receive


async def test_metrics_show_the_projection_lag_of_open_cases(api: Api) -> None:
    case = await receive(api)
    await projected(api, case["case_id"], case["last_seq"])
    text = (await api.root.get("/metrics")).text
    sampled = re.search(r"^banjian_projection_lag_sampled_cases (\S+)$", text, re.M)
    lag = re.search(r"^banjian_projection_lag_events (\S+)$", text, re.M)
    assert sampled is not None and float(sampled.group(1)) >= 1
    assert lag is not None and float(lag.group(1)) >= 0
