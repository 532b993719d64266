"""Written notices as printable pages: one A4 sheet in Chinese for each notice of a case.

Everything the sheet states comes from the notice's event and the case
(``projections.notices``); dates are the center's, written the Chinese way
(2026年11月27日). The applicant's ID number appears masked only, the phone never. Drawn for
the applicant's public link (``NoticeCase.public``), a notice names no one: neither the
applicant nor the staff who issued it.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from documents.masking import mask
from documents.qr import qr_svg
from projections.notices import COMPLETION, RECEIPT, Notice, NoticeCase
from workflows.events import (
    CaseCompleted,
    CaseReceived,
    CaseReturned,
    ClockPaused,
    DeadlineExtended,
    MaterialsRequested,
)
from workflows.model import Kind

# Days to ask the director to review a return when its event names none (篇11: 申请复核): a
# return recorded before returns could be reviewed.
REVIEW_DAYS = 15
_CLOCKS = {"promised": "承诺办理时限", "legal": "法定办理时限"}
_OUTCOMES = {"approved": "准予办理", "denied": "不予办理"}
# The notices that carry the applicant's link: rate the service at receipt and at completion.
_LINKED = {RECEIPT, COMPLETION}
_STYLE = """
@page { size: A4; margin: 25mm 22mm; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", SimSun, serif;
       font-size: 12pt; line-height: 1.9; color: #000; max-width: 170mm; margin: 2em auto; }
.center { text-align: center; font-size: 15pt; margin: 0; }
h1 { text-align: center; font-size: 20pt; letter-spacing: 0.2em; margin: 0.3em 0; }
.no { text-align: right; font-size: 10.5pt; margin: 0 0 1em; }
p { text-indent: 2em; margin: 0.4em 0; } p.flat { text-indent: 0; }
table { border-collapse: collapse; width: 100%; margin: 0.8em 0; font-size: 11pt; }
th, td { border: 1px solid #000; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { font-weight: normal; background: #f2f2f2; } table.facts th { width: 7em; }
.sign { text-align: right; margin-top: 3em; } .sign p { text-indent: 0; margin: 0.2em 0; }
.qr { float: right; margin: 0 0 0.5em 1em; } .link { word-break: break-all; }
@media print { body { margin: 0; max-width: none; } th { background: none; } }
"""


def chinese_date(at: datetime) -> str:
    """The date of ``at`` as it stands (convert to the center's zone first): 2026年11月27日."""
    return f"{at.year}年{at.month}月{at.day}日"


def render_notice(case: NoticeCase, notice: Notice, tz: ZoneInfo) -> str:
    body = _body(case, notice, tz)
    issued = chinese_date(notice.issued_at.astimezone(tz))
    clerk = case.staff_names.get(notice.actor, notice.actor)
    particulars = [
        ("办件编号", case.case_id),
        ("申请事项", f"{case.service_name}（{case.service_code}）"),
    ]
    if not case.public:
        particulars.append(("申请人", case.applicant_name))
        particulars.append(("证件号码", mask(case.applicant_id_number)))
    addressee = "申请人" if case.public else case.applicant_name
    signed = [] if case.public else [f"<p>经办人：{escape(clerk)}</p>"]
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="zh-CN"><head><meta charset="utf-8">',
            f"<title>{escape(notice.title)} {escape(notice.id)}</title>",
            f"<style>{_STYLE}</style></head><body>",
            f'<p class="center flat">{escape(case.center_name)}</p>',
            f"<h1>{escape(notice.title)}</h1>",
            f'<p class="no flat">编号：{escape(notice.id)}</p>',
            f'<p class="flat">{escape(addressee)}：</p>',
            *body,
            *_link(case, notice),
            _table(particulars),
            '<div class="sign">',
            *signed,
            f"<p>{escape(case.center_name)}（盖章）</p>",
            f"<p>{issued}</p>",
            "</div>",
            "</body></html>",
        ]
    )


def _body(case: NoticeCase, n: Notice, tz: ZoneInfo) -> list[str]:
    issued = chinese_date(n.issued_at.astimezone(tz))
    match n.event:
        case CaseReceived() as e:
            return _receipt(case, e, issued, tz)
        case MaterialsRequested() as e:
            return _materials(case, e, tz)
        case CaseReturned() as e:
            return _return(case, e, issued, tz)
        case DeadlineExtended() as e:
            return _extension(case, e, tz)
        case ClockPaused() as e:
            return _suspension(case, e, issued)
        case CaseCompleted() as e:
            return _completion(case, e, issued, tz)
    raise ValueError(f"{n.event.TYPE} gives no notice")


def _receipt(case: NoticeCase, e: CaseReceived, received: str, tz: ZoneInfo) -> list[str]:
    parts = [
        _p(
            f"您于{received}提交的“{case.service_name}”申请，经审查，本中心已予受理，"
            f"办件编号为{case.case_id}。"
        ),
    ]
    promised, due = e.promised_days, _date(e.due_at, tz)
    if e.kind is Kind.IMMEDIATE or promised == 0:
        parts.append(_p("本事项为即办件，当场办结。"))
    elif due is not None:
        parts.append(_p(f"本中心承诺在{promised}个工作日内办结，即于{due}前办结。"))
    legal, legal_due = e.legal_days, _date(e.legal_due_at, tz)
    if legal and legal_due is not None:
        parts.append(_p(f"本事项法定办理时限为{legal}个工作日，至{legal_due}止。"))
    if promised or legal:
        parts.append(
            _p(
                "办理时限自受理之日的次日起按工作日计算，法定节假日不计算在内；"
                "补正材料和依法中止的期间不计入办理时限。"
            )
        )
    if e.provisional:
        parts.append(
            _p("该期限所涉年度的节假日安排尚未公布，上述日期为暂定，公布后如有变动将另行告知。")
        )
    missing = [_name(case, code) for code in e.materials_missing]
    if missing:
        parts.append(_p(f"尚需补正的材料：{'、'.join(missing)}，本中心将一次性书面告知。"))
    if not case.public:
        name = case.staff_names.get(e.first_receiver, e.first_receiver)
        parts.append(_p(f"首问责任人：{name}。办理过程中如有疑问，可向首问责任人咨询。"))
    return parts


def _completion(case: NoticeCase, e: CaseCompleted, done: str, tz: ZoneInfo) -> list[str]:
    received = chinese_date(case.received_at.astimezone(tz))
    outcome = e.outcome.value
    parts = [
        _p(
            f"您于{received}申请办理的“{case.service_name}”（办件编号{case.case_id}），"
            f"已于{done}办结。"
        ),
        _p(f"办理结果：{_OUTCOMES.get(outcome, outcome)}。"),
    ]
    # The note is the clerk's record of the decision: on paper the clerk hands it over; the
    # public link shows no staff note.
    if e.note.strip() and not case.public:
        parts.append(_p(f"说明：{e.note.strip()}"))
    return parts


def _link(case: NoticeCase, n: Notice) -> list[str]:
    """The applicant's link and its QR code: rate the service, follow the case (好差评)."""
    if case.rating_url is None or n.kind not in _LINKED:
        return []
    url = escape(case.rating_url)
    return [
        f'<div class="qr" data-link="{url}">{qr_svg(case.rating_url)}</div>',
        _p("欢迎对本次服务作出评价（好差评），也可随时查询办件进度：请用手机扫描二维码，或访问"),
        f'<p class="flat link">{url}</p>',
    ]


def _materials(case: NoticeCase, e: MaterialsRequested, tz: ZoneInfo) -> list[str]:
    flawed = set(e.missing) if e.defective else set()
    received = chinese_date(case.received_at.astimezone(tz))
    parts = [
        _p(
            f"您于{received}申请办理的“{case.service_name}”（办件编号{case.case_id}），"
            f"经审查，需补正下列材料。根据一次性告知制度，现将需补正的全部材料告知如下："
        ),
    ]
    if flawed:
        parts.append(_p("其中注明“已提交但经审查不符合要求”的材料，请按要求重新提交。"))
    rows = "".join(
        f"<tr><td>{i}</td><td>{escape(_name(case, code))}</td>"
        f"<td>{escape(_material_note(case, code, code in flawed))}</td></tr>"
        for i, code in enumerate(e.missing, 1)
    )
    parts.append(
        "<table><thead><tr><th>序号</th><th>材料名称</th><th>说明</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    if e.note.strip():
        parts.append(_p(f"补正说明：{e.note.strip()}"))
    parts.append(_p("请一次性补齐上述材料后到原窗口提交。补正材料期间不计入办理时限。"))
    return parts


def _return(case: NoticeCase, e: CaseReturned, issued: str, tz: ZoneInfo) -> list[str]:
    received = chinese_date(case.received_at.astimezone(tz))
    days = e.review_days or REVIEW_DAYS
    return [
        _p(
            f"您于{received}申请办理的“{case.service_name}”（办件编号{case.case_id}），"
            "经审查，本中心决定予以退回。"
        ),
        _p(f"退回理由：{e.reason.strip()}"),
        _p(
            f"如对退回决定有异议，可自本通知书出具之日（{issued}）起{days}日内，"
            "持本通知书向本中心主任申请复核。"
        ),
    ]


def _extension(case: NoticeCase, e: DeadlineExtended, tz: ZoneInfo) -> list[str]:
    clock = _CLOCKS.get(e.clock, "办理时限")
    before, after = _date(e.due_at_before, tz), _date(e.due_at, tz)
    moved = f"，办结期限延至{after}" if after else ""
    if before and after:
        moved = f"，办结期限由{before}延至{after}"
    return [
        _p(
            f"您申请办理的“{case.service_name}”（办件编号{case.case_id}），"
            f"因{e.reason.strip()}，不能在原定期限内办结。"
        ),
        _p(f"经本中心主任批准，该事项{clock}延长{e.days}个工作日{moved}。"),
        _p("特此告知。"),
    ]


def _suspension(case: NoticeCase, e: ClockPaused, since: str) -> list[str]:
    parts = [
        _p(
            f"您申请办理的“{case.service_name}”（办件编号{case.case_id}），"
            f"因{(e.note or '').strip()}，自{since}起中止计时。"
        ),
    ]
    if e.expected_days:
        parts.append(_p(f"预计中止{e.expected_days}日。"))
    parts.append(_p("中止期间不计入办理时限；恢复计时后，本中心将继续办理并告知办结期限。"))
    return parts


def _p(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="facts"><tbody>{body}</tbody></table>'


def _name(case: NoticeCase, code: str) -> str:
    m = case.catalog.get(code)
    return m.name if m is not None else code


def _material_note(case: NoticeCase, code: str, flawed: bool) -> str:
    if flawed:
        return "已提交但经审查不符合要求，请重新提交"
    m = case.catalog.get(code)
    if m is None:
        return ""
    return "必要材料" if m.required else "非必要材料"


def _date(at: datetime | None, tz: ZoneInfo) -> str | None:
    """An event's instant as the center's date; None when the event names none."""
    return chinese_date(at.astimezone(tz)) if at is not None else None
