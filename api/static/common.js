// What the dashboard and the timeline share: the token, the language, API calls, formatting.
// The token stays in sessionStorage (this tab only); every text from the API is set as text,
// never as HTML.
"use strict";

// Each event type's (中文, English) label comes with the page, from the server's own table
// (banjian.timeline.LABELS), so the timeline names every event the workflow can record.
const EVENT_LABELS = JSON.parse(document.getElementById("event-labels")?.textContent ?? "{}");

const TEXT = {
  zh: {
    title: "中心看板", timeline_title: "办件过程", live_on: "实时", live_off: "未连接",
    sign_in: "登录", sign_out: "退出", token: "令牌", bad_token: "令牌无效或已停用。",
    sign_in_help: "请粘贴您的令牌(由管理员发放)。令牌只保存在本标签页中。",
    window: "窗口", whole_center: "全中心", range: "时段", all_time: "全部", today: "今日",
    this_month: "本月", custom: "自定义", from: "从", to: "至", updated: "更新于",
    received: "受理", open: "在办", completed: "办结", completed_on_time: "按时办结",
    on_time_rate: "按时办结率", legal_on_time_rate: "法定期限办结率", overdue_now: "已超期",
    at_risk_now: "即将超期", open_alerts: "待处理预警", avg_days: "平均办理(工作日)",
    p90_days: "90%办结于(工作日)", by_status: "各状态办件", trend: "近30日受理与办结",
    overdue_list: "已超期", at_risk_list: "即将超期", ranking: "流动红旗评比",
    by_window: "各窗口", by_clerk: "工作人员办件", case: "办件编号", service: "事项",
    assignee: "经办人", due_at: "承诺期限", legal_due_at: "法定期限", status: "状态",
    kind: "类型", level: "级别", raised_at: "预警时间", ack: "确认", acked: "已确认",
    score: "得分", deducted: "扣分", red_flag: "红旗", rank: "名次", none: "暂无",
    name: "姓名", ack_failed: "确认失败:", load_failed: "加载失败:", back: "返回看板",
    events: "过程记录", applicant: "申请人", id_number: "身份证号", received_at: "受理时间",
    actor: "操作人", days: "天", rate_none: "—",
    "status.received": "已受理", "status.needs_materials": "待补正", "status.under_review": "审核中",
    "status.joint_signoff": "联办会签", "status.completed": "已办结",
    "kind.immediate": "即办件", "kind.promised": "承诺件", "kind.joint": "联办件", "kind.upward": "上报件", "kind.orphan": "不管件",
    "level.window_head": "窗口负责人", "level.director": "中心主任", "level.discipline": "纪检监察", "level.ops": "运维",
    "alert.warning": "临期预警", "alert.overdue": "超期", "alert.escalation": "升级督办", "alert.notice_missing": "缺少节假日通知",
    "alert.complaint": "投诉督办", "threshold.warning": "临期", "threshold.overdue": "超期", "threshold.escalation": "升级",
    inquiries: "咨询", complaints: "投诉", complaints_upheld: "投诉属实", complaints_per_1000: "投诉率(‰)",
    followups: "回访(已访/应访)", inquiry_table: "咨询登记(按日、窗口)", day: "日期", total: "合计",
    "alert.rectification": "差评整改", ratings: "服务评价", satisfaction_rate: "满意率",
    rectifications_open: "待整改差评", rectification_on_time_rate: "差评按时整改率",
  },
  en: {
    title: "Center dashboard", timeline_title: "Case timeline", live_on: "live", live_off: "offline",
    sign_in: "Sign in", sign_out: "Sign out", token: "token", bad_token: "The token is unknown or revoked.",
    sign_in_help: "Paste your staff token (from the administrator). It is kept in this tab only.",
    window: "Window", whole_center: "Whole center", range: "Period", all_time: "All time", today: "Today",
    this_month: "This month", custom: "Custom", from: "From", to: "To", updated: "Updated",
    received: "Received", open: "Open", completed: "Completed", completed_on_time: "On time",
    on_time_rate: "On-time rate", legal_on_time_rate: "Within legal limit", overdue_now: "Overdue",
    at_risk_now: "About to be late", open_alerts: "Open alerts", avg_days: "Avg. handling (working days)",
    p90_days: "90% done within (working days)", by_status: "Cases by status", trend: "Received and completed, last 30 days",
    overdue_list: "Overdue", at_risk_list: "About to be late", ranking: "Red-flag ranking",
    by_window: "By window", by_clerk: "By staff member", case: "Case", service: "Service",
    assignee: "Assignee", due_at: "Due", legal_due_at: "Legal limit", status: "Status",
    kind: "Kind", level: "Level", raised_at: "Raised", ack: "Acknowledge", acked: "Acknowledged",
    score: "Score", deducted: "Deducted", red_flag: "Red flag", rank: "Rank", none: "None",
    name: "Name", ack_failed: "Could not acknowledge: ", load_failed: "Could not load: ", back: "Back to the dashboard",
    events: "Events", applicant: "Applicant", id_number: "ID number", received_at: "Received",
    actor: "By", days: "days", rate_none: "—",
    "status.received": "received", "status.needs_materials": "needs materials", "status.under_review": "under review",
    "status.joint_signoff": "joint sign-off", "status.completed": "completed",
    "kind.immediate": "immediate", "kind.promised": "promised", "kind.joint": "joint", "kind.upward": "upward", "kind.orphan": "orphan",
    "level.window_head": "window head", "level.director": "director", "level.discipline": "discipline", "level.ops": "ops",
    "alert.warning": "warning", "alert.overdue": "overdue", "alert.escalation": "escalation", "alert.notice_missing": "holiday notice missing",
    "alert.complaint": "complaint", "threshold.warning": "warning", "threshold.overdue": "overdue", "threshold.escalation": "escalation",
    inquiries: "Inquiries", complaints: "Complaints", complaints_upheld: "Complaints upheld", complaints_per_1000: "Complaints per 1,000 cases",
    followups: "Follow-ups (done/due)", inquiry_table: "Inquiries by day and window", day: "Day", total: "Total",
    "alert.rectification": "bad rating to rectify", ratings: "Ratings", satisfaction_rate: "Satisfaction rate",
    rectifications_open: "Bad ratings to rectify", rectification_on_time_rate: "Rectified on time",
  },
};

const Bj = {
  lang: localStorage.getItem("banjian.lang") === "en" ? "en" : "zh",

  t(key) {
    if (key.startsWith("event.")) {
      const type = key.slice(6);
      const pair = EVENT_LABELS[type];
      return pair ? pair[this.lang === "en" ? 1 : 0] : type;
    }
    const own = TEXT[this.lang][key];
    if (own !== undefined) return own;
    return TEXT.zh[key] !== undefined && this.lang === "zh" ? TEXT.zh[key] : key.split(".").pop();
  },

  applyLanguage() {
    document.documentElement.lang = this.lang === "en" ? "en" : "zh-CN";
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = this.t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
      el.placeholder = this.t(el.dataset.i18nPlaceholder);
    }
    const button = document.getElementById("lang");
    if (button) button.textContent = this.lang === "en" ? "中文" : "English";
  },

  toggleLanguage() {
    this.lang = this.lang === "en" ? "zh" : "en";
    localStorage.setItem("banjian.lang", this.lang);
    this.applyLanguage();
  },

  get token() { return sessionStorage.getItem("banjian.token"); },
  set token(value) {
    if (value) sessionStorage.setItem("banjian.token", value);
    else sessionStorage.removeItem("banjian.token");
  },

  async api(path, options = {}) {
    const headers = { Authorization: `Bearer ${this.token}`, ...(options.headers || {}) };
    const response = await fetch(`/api/v1${path}`, { ...options, headers });
    const body = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error(body && body.error ? body.error.message : `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return body;
  },

  // "2026-03-02T09:00:00+08:00" -> "2026-03-02 09:00": the API answers in the center's time zone.
  when(iso) { return iso ? iso.slice(0, 16).replace("T", " ") : "—"; },
  percent(rate) { return rate === null || rate === undefined ? this.t("rate_none") : `${(rate * 100).toFixed(1)}%`; },

  el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  },

  caseLink(caseId) {
    return this.el("a", { href: `/timeline/${encodeURIComponent(caseId)}`, text: caseId });
  },

  table(node, headers, rows) {
    node.replaceChildren();
    if (!rows.length) {
      node.append(this.el("tr", {}, this.el("td", { class: "empty", text: this.t("none") })));
      return;
    }
    node.append(this.el("thead", {}, this.el("tr", {}, ...headers.map(([key, cls]) =>
      this.el("th", { class: cls, text: this.t(key) })))));
    node.append(this.el("tbody", {}, ...rows));
  },
};
