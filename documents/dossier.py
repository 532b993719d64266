"""The case dossier (办件档案): one printable HTML page an inspector takes away.

It is drawn from a replay, so it shows the record that drove the decisions,
says whether the read model still agrees with it, and carries the archive's
hashes when the case is archived. The applicant appears masked.
"""

from __future__ import annotations

from html import escape
from typing import Any

from documents.notices import chinese_date
from documents.replay_report import ReplayReport
from documents.timeline import clock_label
from projections.notices import collect_notices

_STATUS = {
    "received": "已受理",
    "needs_materials": "待补正",
    "under_review": "审核中",
    "joint_signoff": "联办会签中",
    "completed": "已办结",
}
_OUTCOME = {"approved": "准予", "denied": "不予", "returned": "退件", "withdrawn": "撤回"}
_KIND = {
    "immediate": "即办件",
    "promised": "承诺件",
    "joint": "联办件",
    "upward": "上报件",
    "orphan": "不管件",
}
_STYLE = """
body { font-family: "Noto Serif CJK SC", "Songti SC", serif; margin: 2em; color: #111; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #888; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #eee; } code { font-size: 0.8em; word-break: break-all; }
.bad { color: #a00; font-weight: bold; } .ok { color: #060; }
@media print { body { margin: 0; } }
"""


def render_dossier(report: ReplayReport) -> str:
    c = report.case
    rows = [
        ("办件编号", report.case_id),
        ("事项", f"{c.get('service_code', '')} {c.get('service_name', '')}"),
        ("办件类型", _KIND.get(c.get("kind", ""), c.get("kind", ""))),
        ("窗口", c.get("window", "")),
        ("申请人", _applicant(c)),
        ("状态", _STATUS.get(report.status or "", report.status or "")),
        ("办理结果", _OUTCOME.get(c.get("outcome") or "", c.get("outcome") or "—")),
        ("受理时间", c.get("received_at") or "—"),
        ("承诺时限", c.get("due_at") or "—"),
        ("法定时限", c.get("legal_due_at") or "—"),
        ("办结时间", c.get("completed_at") or "—"),
        ("首问责任人", c.get("first_receiver", "")),
    ]
    parts = [
        "<!doctype html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>办件档案 {escape(report.case_id)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>办件档案 · {escape(report.case_id)}</h1>",
        _table(["项目", "内容"], [[k, v] for k, v in rows]),
        "<h2>办理过程</h2>",
        _table(
            ["序号", "时间", "办理人", "环节", "时限", "时限（前 → 后）", "内容"],
            [
                [
                    str(s.seq),
                    f"{s.at:%Y-%m-%d %H:%M:%S}",
                    s.actor,
                    f"{s.label_zh}（{s.type}）",
                    clock_label(s.clock)[0],
                    f"{_at(s.due_before)} → {_at(s.due_after)}",
                    _data(s.data),
                ]
                for s in report.timeline
            ],
        ),
        "<h2>书面通知</h2>",
        _notices(report),
        "<h2>核验</h2>",
        _verdict(report),
        _archive(report.archive),
        "</body></html>",
    ]
    return "\n".join(parts)


def _applicant(c: dict[str, Any]) -> str:
    a = c.get("applicant") or {}
    return f"{a.get('name', '')}（证件号 {a.get('id_number_masked', '')}）"


def _at(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else "—"


def _data(data: dict[str, Any]) -> str:
    return "；".join(f"{k}: {v}" for k, v in data.items() if v not in (None, "", []))


def _table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _notices(report: ReplayReport) -> str:
    notices = collect_notices(report.case_id, report.timeline)
    if not notices:
        return "<p>无。</p>"
    rows = [[n.id, n.title, n.kind, chinese_date(n.issued_at)] for n in notices]
    return _table(["编号", "文书", "类别", "出具日期"], rows)


def _verdict(report: ReplayReport) -> str:
    source = "Temporal 工作流历史" if report.source == "temporal" else "归档历史"
    replayed = "与现行代码重放一致" if report.replay_ok else "与现行代码重放不一致"
    if report.consistent:
        return f'<p class="ok">依据{source}核验：{replayed}；数据库记录与历史一致。</p>'
    items = "".join(f"<li>{escape(f.describe())}</li>" for f in report.findings)
    return (
        f'<p class="bad">依据{source}核验：{replayed}；发现 {len(report.findings)} 处差异：</p>'
        f"<ul>{items}</ul>"
    )


def _archive(archive: dict[str, Any] | None) -> str:
    if archive is None:
        return "<p>尚未归档。</p>"
    return (
        f"<p>归档序号 {archive['position']}，归档时间 {escape(archive['archived_at'])}</p>"
        f"<p>历史 SHA-256：<code>{archive['history_sha256']}</code></p>"
        f"<p>链哈希：<code>{archive['chain_hash']}</code></p>"
    )
