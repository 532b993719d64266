"""Where a case stands, as the applicant reads it on the public link (办件进度查询), in Chinese.

Only what the applicant may see: the service, the dates, the status, what is still missing
and which notices were issued; never a person's name, a staff note or anyone's data.
"""

from __future__ import annotations

from applicant.ratings import Stage

STATUS_TEXT = {
    "received": "已受理，等待审核",
    "needs_materials": "待补正材料",
    "under_review": "审核中",
    "joint_signoff": "联合审批中",
    "completed": "已办结",
}
OUTCOME_TEXT = {
    "approved": "准予办理",
    "denied": "不予办理",
    "returned": "已退回",
    "withdrawn": "已撤回",
}


def status_text(status: str, outcome: str | None, paused: bool) -> str:
    """The case's status in the applicant's words: 已办结（准予办理）, 审核中（暂停计时）."""
    text = STATUS_TEXT.get(status, status)
    if status == "completed" and outcome is not None:
        return f"{text}（{OUTCOME_TEXT.get(outcome, outcome)}）"
    if paused and status != "needs_materials":
        return f"{text}（依法暂停计时）"
    return text


def stages_open(status: str, rated: set[str], answered_rectification: bool) -> list[Stage]:
    """The stages the applicant may rate now, in order."""
    open_ = [Stage.RECEIVED]
    if status == "completed":
        open_.append(Stage.COMPLETED)
    if answered_rectification:
        open_.append(Stage.FOLLOWUP)
    return [s for s in open_ if s.value not in rated]
