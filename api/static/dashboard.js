// The supervisors' page: figures, lists, alerts and ranking, kept live from the alert stream.
"use strict";

const $ = (id) => document.getElementById(id);
const STATUS_COLORS = {
  received: "#2b6cb0", needs_materials: "#b7791f", under_review: "#6b46c1",
  joint_signoff: "#2c7a7b", completed: "#2f855a",
};
const REFRESH_MS = 60000;

// ``acked``: acknowledged here, which the read model may not show for a moment yet.
const state = { viewer: null, stream: null, timer: null, pending: null, freshAlerts: new Set(), acked: new Set() };

function scopeParams() {
  const params = new URLSearchParams();
  params.set("window", $("window").value || "all");
  if ($("from").value) params.set("from", $("from").value);
  if ($("to").value) params.set("to", $("to").value);
  return params;
}

function windowName(code) {
  return (state.viewer && state.viewer.windows[code]) || code || "—";
}

function card(key, value, tone) {
  return Bj.el("div", { class: `card ${tone || ""}`, "data-figure": key },
    Bj.el("div", { class: "label", text: Bj.t(key) }),
    Bj.el("div", { class: "value", text: String(value) }));
}

function showSummary(s) {
  const all = s.handling.all;
  $("cards").replaceChildren(
    card("received", s.received),
    card("open", s.open),
    card("completed", s.completed),
    card("on_time_rate", Bj.percent(s.on_time_rate), "good"),
    card("legal_on_time_rate", Bj.percent(s.legal_on_time_rate), "good"),
    card("overdue_now", s.overdue_now, s.overdue_now ? "bad" : ""),
    card("at_risk_now", s.at_risk_now, s.at_risk_now ? "warn" : ""),
    card("open_alerts", s.open_alerts, s.open_alerts ? "bad" : ""),
    card("avg_days", all ? all.average_days : Bj.t("rate_none")),
    card("p90_days", all ? all.p90_days : Bj.t("rate_none")),
    card("inquiries", s.inquiries),
    card("complaints", s.complaints.received, s.complaints.received ? "warn" : ""),
    card("complaints_upheld", s.complaints.upheld, s.complaints.upheld ? "bad" : ""),
    card("complaints_per_1000", s.complaints.per_1000_cases ?? Bj.t("rate_none")),
    card("followups", `${s.followups.done}/${s.followups.due}`),
    card("ratings", s.ratings.count),
    card("satisfaction_rate", Bj.percent(s.ratings.satisfaction_rate), "good"),
    card("rectifications_open", s.rectifications.open, s.rectifications.open ? "warn" : ""),
    card("rectification_on_time_rate", Bj.percent(s.rectifications.on_time_rate), "good"),
  );
  Charts.bars($("chart-status"), Object.entries(s.by_status).map(([status, n]) => ({
    label: Bj.t(`status.${status}`), value: n, color: STATUS_COLORS[status],
  })));
  Bj.table($("windows"), [["window"], ["received", "num"], ["open", "num"], ["overdue_now", "num"],
    ["at_risk_now", "num"], ["completed", "num"], ["on_time_rate", "num"]],
  s.by_window.map((w) => Bj.el("tr", {},
    Bj.el("td", { text: w.name }), Bj.el("td", { class: "num", text: w.received }),
    Bj.el("td", { class: "num", text: w.open }), Bj.el("td", { class: "num", text: w.overdue_now }),
    Bj.el("td", { class: "num", text: w.at_risk_now }), Bj.el("td", { class: "num", text: w.completed }),
    Bj.el("td", { class: "num", text: Bj.percent(w.on_time_rate) }))));
  const clerks = [...s.by_clerk].sort((a, b) => b.open - a.open || a.staff_id.localeCompare(b.staff_id));
  Bj.table($("clerks"), [["name"], ["window"], ["open", "num"], ["overdue_now", "num"],
    ["at_risk_now", "num"], ["completed", "num"], ["completed_on_time", "num"]],
  clerks.map((c) => Bj.el("tr", {},
    Bj.el("td", { text: c.name }), Bj.el("td", { text: windowName(c.window) }),
    Bj.el("td", { class: "num", text: c.open }), Bj.el("td", { class: "num", text: c.overdue_now }),
    Bj.el("td", { class: "num", text: c.at_risk_now }), Bj.el("td", { class: "num", text: c.completed }),
    Bj.el("td", { class: "num", text: c.completed_on_time }))));
}

function showCases(node, badge, list) {
  badge.textContent = list.items.length;
  Bj.table(node, [["case"], ["service"], ["window"], ["assignee"], ["status"], ["due_at"]],
    list.items.map((c) => Bj.el("tr", { "data-case": c.case_id },
      Bj.el("td", {}, Bj.caseLink(c.case_id)), Bj.el("td", { text: c.service_name }),
      Bj.el("td", { text: windowName(c.window) }), Bj.el("td", { text: c.assignee_name }),
      Bj.el("td", { text: Bj.t(`status.${c.status}`) }), Bj.el("td", { text: Bj.when(c.due_at) }))));
}

function showAlerts(all) {
  const alerts = all.filter((a) => !state.acked.has(a.id));
  $("alerts-count").textContent = alerts.length;
  Bj.table($("alerts"), [["case"], ["kind"], ["level"], ["window"], ["raised_at"], ["ack"]],
    alerts.map((a) => Bj.el("tr", { "data-alert": a.id, class: state.freshAlerts.has(a.id) ? "fresh" : null },
      Bj.el("td", {}, a.case_id ? Bj.caseLink(a.case_id) : (a.complaint_id || "—")),
      Bj.el("td", { text: Bj.t(`alert.${a.kind}`) + (a.threshold ? ` · ${Bj.t(`threshold.${a.threshold}`)}` : "") }), Bj.el("td", { text: Bj.t(`level.${a.level}`) }),
      Bj.el("td", { text: windowName(a.window) }), Bj.el("td", { text: Bj.when(a.raised_at) }),
      Bj.el("td", {}, canAcknowledge(a) ? Bj.el("button", { type: "button", class: "primary",
        text: Bj.t("ack"), "data-ack": a.id, onclick: () => acknowledge(a.id) }) : "—"))));
  state.freshAlerts.clear();
}

// Clerks and ops read alerts; a window head acknowledges those at the first rung, the director any.
// A complaint's alerts are the director's, and discipline inspection's at its own level.
function canAcknowledge(alert) {
  const role = state.viewer.role;
  if (alert.kind === "complaint") {
    return role === "director" || (role === "discipline" && alert.level === "discipline");
  }
  return role === "director" || (role === "window_head" && alert.level === "window_head");
}

// Inquiries by day (rows) and window (columns), the windows that had any.
function showInquiries(table) {
  const windows = [...new Set(table.days.flatMap((d) => Object.keys(d.by_window)))].sort();
  Bj.table($("inquiries"), [["day"], ...windows.map((w) => [w, "num"]), ["total", "num"]],
    table.days.map((d) => Bj.el("tr", {}, Bj.el("td", { text: d.day }),
      ...windows.map((w) => Bj.el("td", { class: "num", text: d.by_window[w] || 0 })),
      Bj.el("td", { class: "num", text: d.total }))));
  for (const [i, w] of windows.entries()) {
    const th = $("inquiries").querySelectorAll("th")[i + 1];
    if (th) th.textContent = windowName(w);
  }
}

function showTrend(trend) {
  Charts.columns($("chart-trend"), trend.days, { received: Bj.t("received"), completed: Bj.t("completed") });
}

function showRanking(r) {
  $("ranking-month").textContent = r.month;
  Charts.bars($("ranking"), r.windows.map((w) => ({
    label: `${w.rank}. ${w.name}`, value: w.score, max: r.full_marks,
    color: w.red_flag ? "#c9302c" : "#2b6cb0", note: w.red_flag ? ` 🚩 ${Bj.t("red_flag")}` : "",
  })), { max: r.full_marks });
}

async function refresh() {
  const params = scopeParams();
  const scope = params.get("window");
  const alertQuery = new URLSearchParams({ status: "open" });
  if (scope !== "all") alertQuery.set("window", scope);
  try {
    const [summary, overdue, atRisk, alerts, trend, ranking, inquiries] = await Promise.all([
      Bj.api(`/dashboard/summary?${params}`),
      Bj.api(`/dashboard/cases?list=overdue&window=${encodeURIComponent(scope)}`),
      Bj.api(`/dashboard/cases?list=at_risk&window=${encodeURIComponent(scope)}`),
      Bj.api(`/alerts?${alertQuery}`),
      Bj.api(`/dashboard/trend?window=${encodeURIComponent(scope)}`),
      Bj.api("/dashboard/ranking"),
      Bj.api(`/dashboard/inquiries?${params}`),
    ]);
    showSummary(summary);
    showCases($("overdue"), $("overdue-count"), overdue);
    showCases($("at-risk"), $("at-risk-count"), atRisk);
    showAlerts(alerts);
    showTrend(trend);
    showRanking(ranking);
    showInquiries(inquiries);
    $("board-error").hidden = true;
    $("updated").textContent = `${Bj.t("updated")} ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    if (err.status === 401) return signOut();
    $("board-error").textContent = Bj.t("load_failed") + err.message;
    $("board-error").hidden = false;
  }
}

// Many alerts may arrive at once when the clock moves: refresh once for all of them.
function refreshSoon() {
  clearTimeout(state.pending);
  state.pending = setTimeout(refresh, 250);
}

async function acknowledge(id) {
  const button = document.querySelector(`[data-ack="${CSS.escape(id)}"]`);
  if (button) button.disabled = true;
  try {
    await Bj.api(`/alerts/${encodeURIComponent(id)}/ack`, { method: "POST" });
    state.acked.add(id);
    $("alert-error").hidden = true;
    const row = document.querySelector(`[data-alert="${CSS.escape(id)}"]`);
    if (row) row.remove();
    refreshSoon();
  } catch (err) {
    if (button) button.disabled = false;
    $("alert-error").textContent = Bj.t("ack_failed") + err.message;
    $("alert-error").hidden = false;
  }
}

function listen() {
  if (state.stream) state.stream.close();
  const stream = new EventSource(`/api/v1/alerts/stream?token=${encodeURIComponent(Bj.token)}`);
  stream.addEventListener("open", () => { $("live").dataset.state = "on"; $("live").dataset.i18n = "live_on"; Bj.applyLanguage(); });
  stream.addEventListener("error", () => { $("live").dataset.state = "off"; $("live").dataset.i18n = "live_off"; Bj.applyLanguage(); });
  stream.addEventListener("alert", (event) => {
    const alert = JSON.parse(event.data);
    state.freshAlerts.add(alert.id);
    refreshSoon();
  });
  state.stream = stream;
}

function setPreset() {
  const today = state.viewer.today;
  const preset = $("preset").value;
  if (preset === "all") { $("from").value = ""; $("to").value = ""; }
  if (preset === "today") { $("from").value = today; $("to").value = today; }
  if (preset === "month") { $("from").value = `${today.slice(0, 8)}01`; $("to").value = today; }
}

function fillWindows(viewer) {
  const select = $("window");
  select.replaceChildren(Bj.el("option", { value: "all", "data-i18n": "whole_center", text: Bj.t("whole_center") }),
    ...Object.entries(viewer.windows).map(([code, name]) => Bj.el("option", { value: code, text: name })));
  select.value = viewer.window && ["clerk", "window_head"].includes(viewer.role) ? viewer.window : "all";
}

async function start() {
  try {
    state.viewer = await Bj.api("/dashboard/me");
  } catch (err) {
    Bj.token = null;
    $("signin-error").textContent = err.status === 401 ? Bj.t("bad_token") : Bj.t("load_failed") + err.message;
    $("signin-error").hidden = false;
    $("signin").hidden = false;
    return;
  }
  $("signin").hidden = true;
  $("board").hidden = false;
  $("signout").hidden = false;
  $("viewer").textContent = `${state.viewer.name} · ${Bj.t(`level.${state.viewer.role}`)}`;
  fillWindows(state.viewer);
  await refresh();
  listen();
  state.timer = setInterval(refresh, REFRESH_MS);
}

function signOut() {
  Bj.token = null;
  if (state.stream) state.stream.close();
  clearInterval(state.timer);
  $("board").hidden = true;
  $("signout").hidden = true;
  $("viewer").textContent = "";
  $("signin").hidden = false;
}

document.addEventListener("DOMContentLoaded", () => {
  Bj.applyLanguage();
  $("lang").addEventListener("click", () => { Bj.toggleLanguage(); if (state.viewer) refresh(); });
  $("signout").addEventListener("click", signOut);
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    Bj.token = $("token").value.trim();
    $("token").value = "";
    $("signin-error").hidden = true;
    start();
  });
  $("window").addEventListener("change", refresh);
  $("preset").addEventListener("change", () => { setPreset(); refresh(); });
  for (const id of ["from", "to"]) {
    $(id).addEventListener("change", () => { $("preset").value = "custom"; refresh(); });
  }
  if (Bj.token) start(); else $("signin").hidden = false;
});
