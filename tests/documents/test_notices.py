"""The printable notices from hand-made events: Chinese dates, full lists, masked ID numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from documents.notices import chinese_date, render_notice
from projections.notices import CatalogMaterial, Notice, NoticeCase, collect_notices
from workflows.event_data import DomainEvent
from workflows.event_log import recorded
from workflows.events import (
    CaseReceived,
    CaseReturned,
    ClockPaused,
    DeadlineExtended,
    MaterialsRequested,
)
from workflows.model import Event, Kind

TZ = ZoneInfo("Asia/Shanghai")
ID_NUMBER = "11010519491231002X"
# 2026-11-26 17:00 UTC is already the 27th in the center.
AT = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
RECEIVED = CaseReceived(
    service_code="MZ-001",
    kind=Kind.PROMISED,
    window="minzheng",
    urgent=False,
    materials=["id_card"],
    materials_missing=["hukou_book"],
    promised_days=5,
    legal_days=20,
    due_at=datetime.fromisoformat("2026-12-04T17:30:00+08:00"),
    legal_due_at=datetime.fromisoformat("2026-12-25T09:30:00+00:00"),
    provisional=False,
    clock_policy=None,
    notice_due_at=None,
    first_receiver="mz-a",
)


def _case(*notices: Notice) -> NoticeCase:
    return NoticeCase(
        case_id="BJ-20261127-0001",
        center_name="示范镇便民服务中心",
        service_code="MZ-001",
        service_name="临时救助申请",
        applicant_name="王小明",
        applicant_id_number=ID_NUMBER,
        received_at=AT,
        catalog={
            "id_card": CatalogMaterial("申请人身份证", True),
            "hukou_book": CatalogMaterial("户口簿", True),
            "bank_card": CatalogMaterial("本人银行卡（折）复印件", False),
        },
        staff_names={"mz-a": "王秀兰", "director": "周主任"},
        notices=list(notices),
    )


def _render(event: DomainEvent, actor: str = "mz-a") -> str:
    return _render_recorded(recorded(3, AT, actor, event))


def _render_recorded(e: Event) -> str:
    (notice,) = collect_notices("BJ-20261127-0001", [e])
    return render_notice(_case(notice), notice, TZ)


def _returned(reason: str, review_days: int | None = None) -> CaseReturned:
    return CaseReturned(True, reason, False, review_days, None)


def test_dates_are_written_the_chinese_way_in_the_centers_zone() -> None:
    assert chinese_date(datetime(2026, 1, 5, tzinfo=TZ)) == "2026年1月5日"
    assert chinese_date(AT.astimezone(TZ)) == "2026年11月27日"


def test_the_receipt_notice_states_both_limits_and_the_first_receiver() -> None:
    page = _render(RECEIVED)
    assert "受理通知书" in page and "示范镇便民服务中心" in page and "BJ-20261127-0001-N3" in page
    assert "您于2026年11月27日提交" in page
    assert "5个工作日内办结，即于2026年12月4日前办结" in page
    assert "法定办理时限为20个工作日，至2026年12月25日止" in page
    assert "首问责任人：王秀兰" in page and "户口簿" in page
    assert ID_NUMBER not in page and "110***********002X" in page
    assert "@page { size: A4" in page


def test_the_materials_notice_lists_every_material_by_its_catalog_name() -> None:
    missing = ["hukou_book", "id_card", "bank_card"]
    page = _render(MaterialsRequested(missing, "请带原件", late_notice=False, defective=False))
    assert page.index("户口簿") < page.index("申请人身份证") < page.index("本人银行卡（折）复印件")
    assert "一次性告知" in page and "补正说明：请带原件" in page
    assert "已提交但经审查不符合要求" not in page


def test_a_later_request_for_defective_materials_says_so() -> None:
    page = _render(
        MaterialsRequested(["id_card"], "复印件不清晰", late_notice=False, defective=True)
    )
    assert "申请人身份证" in page and "已提交但经审查不符合要求，请重新提交" in page


def test_the_return_notice_gives_the_reason_and_the_review_period_from_its_date() -> None:
    page = _render(_returned("申请人不符合临时救助条件"))
    assert "退回理由：申请人不符合临时救助条件" in page
    assert "自本通知书出具之日（2026年11月27日）起15日内" in page and "中心主任申请复核" in page
    assert "起10日内" in _render(_returned("x", review_days=10))


def test_the_extension_notice_names_the_clock_days_and_new_due_date() -> None:
    before = datetime.fromisoformat("2026-12-25T17:30:00+08:00")
    after = datetime.fromisoformat("2027-01-11T17:30:00+08:00")
    page = _render(DeadlineExtended("legal", 10, "需组织专家评审", before, after), "director")
    assert "法定办理时限延长10个工作日，办结期限由2026年12月25日延至2027年1月11日" in page
    assert "因需组织专家评审" in page and "经办人：周主任" in page


def test_the_suspension_notice_gives_the_reason_and_expected_days() -> None:
    page = _render(ClockPaused("suspended", "需现场勘查", 7))
    assert "因需现场勘查，自2026年11月27日起中止计时" in page and "预计中止7日" in page


def test_text_from_staff_is_escaped_and_odd_fields_are_tolerated() -> None:
    """Odd fields: a key this code does not know, and events in the shapes older code
    recorded (a return without a review period, an extension naming no clock)."""
    returned: dict[str, Any] = {"on_time": True, "reason": "<script>alert(1)</script>"}
    page = _render_recorded(Event(3, "case.returned", AT, "mz-a", {**returned, "extra": [1]}))
    assert "<script>" not in page and "&lt;script&gt;" in page and "起15日内" in page
    extended = {"days": 0, "reason": "", "due_at_before": None, "due_at": None}
    page = _render_recorded(Event(3, "deadline.extended", AT, "director", extended))
    assert "延期通知书" in page
