// One case's timeline: its facts (applicant masked, as the API gives them) and every event.
"use strict";

// Fields never shown, should an event ever carry them.
const PRIVATE = /id_number|phone|applicant/;

function dataText(data) {
  return Object.entries(data || {})
    .filter(([key, value]) => !PRIVATE.test(key) && value !== null && value !== "" &&
      !(Array.isArray(value) && value.length === 0))
    .map(([key, value]) => {
      const shown = typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value) ? Bj.when(value)
        : Array.isArray(value) || typeof value === "object" ? JSON.stringify(value) : String(value);
      return `${key}: ${shown}`;
    })
    .join(" · ");
}

async function load() {
  const caseId = decodeURIComponent(location.pathname.split("/").pop());
  const error = document.getElementById("error");
  if (!Bj.token) {
    error.textContent = Bj.t("bad_token");
    error.hidden = false;
    return;
  }
  try {
    const [c, events] = await Promise.all([
      Bj.api(`/cases/${encodeURIComponent(caseId)}`),
      Bj.api(`/cases/${encodeURIComponent(caseId)}/events`),
    ]);
    document.getElementById("case-title").textContent = `${c.case_id} · ${c.service_name || c.service_code}`;
    const facts = [
      ["status", Bj.t(`status.${c.status}`) + (c.outcome ? ` (${c.outcome})` : "")],
      ["kind", Bj.t(`kind.${c.kind}`)],
      ["window", c.window],
      ["assignee", c.assignee],
      ["applicant", `${c.applicant.name} ${c.applicant.id_number_masked || ""}`],
      ["received_at", Bj.when(c.received_at)],
      ["due_at", Bj.when(c.due_at)],
      ["legal_due_at", Bj.when(c.legal_due_at)],
    ];
    document.getElementById("facts").replaceChildren(...facts.flatMap(([key, value]) =>
      [Bj.el("dt", { text: Bj.t(key) }), Bj.el("dd", { text: value })]));
    document.getElementById("events").replaceChildren(...events.map((e) =>
      Bj.el("li", { class: e.actor === "system" ? "system" : null, "data-type": e.type },
        Bj.el("div", {}, Bj.el("strong", { text: Bj.t(`event.${e.type}`) }),
          Bj.el("span", { class: "when", text: `  ${Bj.when(e.at)} · ${Bj.t("actor")} ${e.actor}` })),
        Bj.el("div", { class: "data", text: dataText(e.data) }))));
    document.getElementById("case").hidden = false;
    document.getElementById("history").hidden = false;
  } catch (err) {
    error.textContent = Bj.t("load_failed") + err.message;
    error.hidden = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  Bj.applyLanguage();
  document.getElementById("lang").addEventListener("click", () => { Bj.toggleLanguage(); load(); });
  load();
});
