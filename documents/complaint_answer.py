"""The written answer to a written complaint (书面投诉必须书面答复, 篇11): one A4 sheet in Chinese.

Addressed to the complainant by name, it states when the complaint came, what it was
about, the finding and the answer, signed by the center; dates are the center's. It
names the complainant, so only the director and discipline inspection may open it.
"""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from applicant.complaints import Finding
from documents.notices import chinese_date
from projections.complaints import WrittenAnswer

TITLE = "投诉处理答复书"
_FINDINGS = {
    Finding.UPHELD: "经调查核实，您反映的问题属实。本中心已按规定对相关窗口及责任人作出处理。",
    Finding.NOT_UPHELD: "经调查核实，您反映的问题不属实。",
}
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
th { font-weight: normal; background: #f2f2f2; width: 7em; }
.sign { text-align: right; margin-top: 3em; } .sign p { text-indent: 0; margin: 0.2em 0; }
@media print { body { margin: 0; max-width: none; } th { background: none; } }
"""


def render_written_answer(a: WrittenAnswer, tz: ZoneInfo) -> str:
    received = chinese_date(a.received_at.astimezone(tz))
    answered = chinese_date(a.answered_at.astimezone(tz))
    rows = [("投诉编号", a.complaint_id), ("收件日期", received), *a.about]
    facts = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    answer = [f"<p>{escape(line.strip())}</p>" for line in a.answer.splitlines() if line.strip()]
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="zh-CN"><head><meta charset="utf-8">',
            f"<title>{TITLE} {escape(a.number)}</title>",
            f"<style>{_STYLE}</style></head><body>",
            f'<p class="center flat">{escape(a.center_name)}</p>',
            f"<h1>{TITLE}</h1>",
            f'<p class="no flat">编号：{escape(a.number)}</p>',
            f'<p class="flat">{escape(a.complainant_name)}：</p>',
            f"<p>您于{received}寄送本中心的书面投诉（投诉编号{escape(a.complaint_id)}）已收悉。"
            "本中心对投诉事项进行了调查核实，现将处理结果答复如下：</p>",
            f"<p>{_FINDINGS[a.finding]}</p>",
            *answer,
            "<p>本中心对投诉人及投诉事项予以保密。如对本答复有异议，"
            "可向本中心主任或上级纪检监察部门反映。</p>",
            f'<table class="facts"><tbody>{facts}</tbody></table>',
            '<div class="sign">',
            f"<p>中心主任：{escape(a.answered_by)}</p>",
            f"<p>{escape(a.center_name)}（盖章）</p>",
            f"<p>{answered}</p>",
            "</div>",
            "</body></html>",
        ]
    )
