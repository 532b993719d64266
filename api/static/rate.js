// The applicant's page: where the case stands, and the rating of the service at the stages
// open now. Its token is the last segment of the page's own address; every text from the API
// is set as text, never as HTML.
"use strict";

const TOKEN = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const API = "/api/v1/public";
const LEVELS = [[5, "非常满意"], [4, "满意"], [3, "基本满意"], [2, "不满意"], [1, "非常不满意"]];
const TAGS = [["efficiency", "办事效率"], ["skill", "业务能力"], ["attitude", "服务态度"],
              ["guidance", "告知指引"], ["environment", "服务环境"]];
const STAGES = { received: "受理环节", completed: "办结环节", followup: "整改后追评" };
const ERRORS = {
  link_not_found: "未找到该办件,请核对链接或二维码。",
  already_rated: "该环节已经评价过,感谢您的参与。",
  rate_limited: "操作过于频繁,请稍后再试。",
  invalid_transition: "该环节暂不能评价。",
};

const $ = (id) => document.getElementById(id);

function day(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`;
}

function showError(code) {
  const box = $("error");
  box.textContent = ERRORS[code] || "暂时无法访问,请稍后再试。";
  box.hidden = false;
}

async function call(path, options) {
  const r = await fetch(API + path, { ...options, credentials: "omit", referrerPolicy: "no-referrer" });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw (body.error && body.error.code) || "unavailable";
  return body;
}

function fact(dl, name, value) {
  const dt = document.createElement("dt");
  dt.textContent = name;
  const dd = document.createElement("dd");
  dd.textContent = value;
  dl.append(dt, dd);
}

function list(ul, items, make) {
  ul.replaceChildren(...items.map((item) => {
    const li = document.createElement("li");
    li.append(make(item));
    return li;
  }));
}

function showProgress(p) {
  $("service").textContent = p.service_name;
  $("status").textContent = p.status_text;
  const facts = $("facts");
  facts.replaceChildren();
  fact(facts, "受理日期", day(p.received_at));
  if (p.completed_at) fact(facts, "办结日期", day(p.completed_at));
  else if (p.due_at) fact(facts, "承诺办结日期", day(p.due_at));
  $("missing-block").hidden = p.missing.length === 0;
  list($("missing"), p.missing, (name) => document.createTextNode(name));
  $("notices-block").hidden = p.notices.length === 0;
  list($("notices"), p.notices, (n) => {
    const a = document.createElement("a");
    a.href = n.url;
    a.rel = "noreferrer";
    a.textContent = `${n.title}(${day(n.issued_at)})`;
    return a;
  });
  $("progress").hidden = false;
  showRating(p);
}

function choice(type, name, value, text) {
  const label = document.createElement("label");
  const input = document.createElement("input");
  input.type = type;
  input.name = name;
  input.value = String(value);
  label.append(input, document.createTextNode(text));
  return label;
}

function showRating(p) {
  const stage = p.can_rate[0];
  const given = Object.entries(p.ratings).map(([s, level]) =>
    `${STAGES[s] || s}:${LEVELS.find(([v]) => v === level)?.[1] || level}`);
  $("rated").textContent = given.length ? `已评价 ${given.join(",")}` : "";
  $("rated").hidden = given.length === 0;
  if (!stage) {
    $("rate").hidden = true;
    return;
  }
  $("rate-title").textContent = `服务评价 · ${STAGES[stage] || stage}`;
  const levels = $("levels");
  levels.replaceChildren(levels.querySelector("legend") || document.createElement("legend"));
  for (const [value, text] of LEVELS) levels.append(choice("radio", "level", value, text));
  const tags = $("tags");
  tags.replaceChildren(tags.querySelector("legend") || document.createElement("legend"));
  for (const [value, text] of TAGS) tags.append(choice("checkbox", "tag", value, text));
  $("rate").dataset.stage = stage;
  $("rate").hidden = false;
}

async function submit(event) {
  event.preventDefault();
  const level = document.querySelector('input[name="level"]:checked');
  if (!level) {
    showError("pick_level");
    $("error").textContent = "请先选择满意程度。";
    return;
  }
  $("error").hidden = true;
  $("submit").disabled = true;
  const body = {
    stage: $("rate").dataset.stage,
    level: Number(level.value),
    tags: [...document.querySelectorAll('input[name="tag"]:checked')].map((x) => x.value),
  };
  const comment = $("comment").value.trim();
  if (comment) body.comment = comment;
  try {
    const r = await call(`/ratings/${encodeURIComponent(TOKEN)}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    $("thanks").textContent = r.rectification
      ? "感谢您的评价。我们将在1个工作日内与您联系,核实并整改。"
      : "感谢您的评价!";
    $("thanks").hidden = false;
    $("comment").value = "";
    await load();
  } catch (code) {
    showError(code);
  } finally {
    $("submit").disabled = false;
  }
}

async function load() {
  try {
    showProgress(await call(`/cases/${encodeURIComponent(TOKEN)}`));
  } catch (code) {
    $("progress").hidden = true;
    $("rate").hidden = true;
    showError(code);
  }
}

$("rate-form").addEventListener("submit", submit);
load();
