"""A whole scenario on the embedded stack, run as processes, leaves no ID number or phone in any
process's log: the stack's own (API and worker), the CLI's, Temporal's and PostgreSQL's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from tests.api.test_cases import ID_NUMBER, PHONE
from tests.banjian.test_stack import BANJIAN, Running, stack_env

__all__ = ["stack_env"]

MZ_001_REQUIRED = ["id_card", "hukou_book", "application_form", "hardship_proof"]


def scenario(stack: Running) -> list[str]:
    """Intake with a material missing, the one-time notice, supply, review, completion; a refused
    action and a refused intake; a second case left open. The case ids, in order."""
    h = {"Authorization": f"Bearer {stack.tokens['mz-a']}"}
    with httpx.Client(base_url=stack.url, headers=h, timeout=60) as api:
        applicant = {"name": "欧阳明月", "id_number": ID_NUMBER, "phone": PHONE}
        r = api.post(
            "/cases",
            json={"service_code": "MZ-001", "applicant": applicant, "materials": ["id_card"]},
        )
        assert r.status_code == 201, r.text
        first = r.json()["case_id"]
        missing = MZ_001_REQUIRED[1:]
        for action, body in [
            ("request-materials", {"missing": missing, "note": "一次性告知"}),
            ("supply-materials", {"materials": missing}),
            ("start-review", {}),
            ("complete", {"outcome": "approved", "note": "符合条件"}),
        ]:
            r = api.post(f"/cases/{first}/{action}", json=body)
            assert r.status_code == 200, r.text
        assert api.post(f"/cases/{first}/start-review", json={}).status_code == 409
        bad = {**applicant, "phone": PHONE + "0"}
        refused = api.post("/cases", json={"service_code": "MZ-001", "applicant": bad})
        assert refused.status_code == 422
        r = api.post(
            "/cases",
            json={"service_code": "MZ-001", "applicant": applicant, "materials": MZ_001_REQUIRED},
        )
        assert r.status_code == 201, r.text
        return [first, r.json()["case_id"]]


def alerts_raised(stack: Running, case_id: str) -> None:
    """The sandbox's clock moved on until the open case breaches and climbs the ladder; the
    window head acknowledges the first alert."""
    h = {"Authorization": f"Bearer {stack.tokens['mz-head']}"}
    with httpx.Client(base_url=stack.url, headers=h, timeout=120) as api:
        r = api.post("/sandbox/clock/advance", json={"days": 15})
        assert r.status_code == 200, r.text
        alerts = [a for a in api.get("/alerts?status=open").json() if a["case_id"] == case_id]
        assert {a["kind"] for a in alerts} == {"warning", "overdue", "escalation"}
        warning = next(a for a in alerts if a["kind"] == "warning")
        assert api.post(f"/alerts/{warning['id']}/ack").status_code == 200


def cli_logs(env: dict[str, str], case_id: str, folder: Path) -> str:
    """Replay and the dossier as a user runs them beside the stack; what they logged."""
    logged = []
    for args in (["replay", case_id], ["dossier", case_id, "--output", str(folder / "d.html")]):
        done = subprocess.run([BANJIAN, *args], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        logged.append(done.stderr)
    return "\n".join(logged)


def leaks(logs: dict[str, str]) -> dict[str, list[str]]:
    """For each log, the applicant's ID number and phone wherever they appear in it."""
    return {name: [v for v in (ID_NUMBER, PHONE) if v in text] for name, text in logs.items()}


def test_a_whole_scenario_on_the_embedded_stack_logs_no_id_number_or_phone(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**stack_env, "BANJIAN_LOG_LEVEL": "debug", "BANJIAN_LOG_FORMAT": "json"}
    data = Path(env["BANJIAN_DATA_DIR"])
    stack = Running(env, log=tmp_path / "stack.log")
    try:
        first, _ = scenario(stack)
        logs = {"cli": cli_logs(env, first, tmp_path)}
    finally:
        stack.stop()
    logs["stack.log"] = (tmp_path / "stack.log").read_text(encoding="utf-8")
    for name in ("temporal.log", "postgres.log"):
        logs[name] = (data / name).read_text(encoding="utf-8", errors="replace")
    assert first in logs["stack.log"]  # the logs did follow the case
    assert leaks(logs) == {name: [] for name in logs}


def test_a_scenario_with_alerts_on_the_sandbox_logs_no_id_number_or_phone(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"  # where the sandbox keeps its throwaway PostgreSQL
    temp.mkdir()
    env = {
        **stack_env,
        "BANJIAN_LOG_LEVEL": "debug",
        "BANJIAN_LOG_FORMAT": "json",
        "TMPDIR": str(temp),
    }
    stack = Running(env, "--sandbox", log=tmp_path / "stack.log")
    try:
        first, second = scenario(stack)
        alerts_raised(stack, second)
        [postgres_log] = temp.glob("banjian-sandbox-*/postgres.log")
        logs = {"postgres.log": postgres_log.read_text(encoding="utf-8", errors="replace")}
    finally:
        stack.stop()
    logs["stack.log"] = (tmp_path / "stack.log").read_text(encoding="utf-8")
    assert first in logs["stack.log"] and second in logs["stack.log"]
    assert leaks(logs) == {name: [] for name in logs}
