// perpkeep operator console: sign in with a token, follow the keeper over /api/stream, steer it with confirmation.
"use strict";

const state = { token: sessionStorage.getItem("pk-token") || "", role: "", history: [], auditSeq: -1, streaming: null, markets: [] };
const $ = (id) => document.getElementById(id);
const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x)) ? "-" : Number(x).toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

function cell(text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
function fill(tableId, rows) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren(...rows.map((cells) => { const tr = document.createElement("tr"); tr.append(...cells); return tr; }));
}
function say(text, error = false) {
  const m = $("message"); m.textContent = text; m.className = error ? "error" : ""; m.hidden = false;
}

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${state.token}` };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method: options.method || "GET", headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (!r.ok) { const err = new Error((data && data.detail) || `HTTP ${r.status}`); err.status = r.status; err.check = data && data.check; throw err; }
  return data;
}

function confirmStep(text) {
  return new Promise((resolve) => {
    const d = $("confirm");
    $("confirm-text").textContent = text;
    d.addEventListener("close", () => resolve(d.returnValue === "ok"), { once: true });
    d.returnValue = "";
    d.showModal();
  });
}

async function act(description, path, body, method = "POST") {
  if (!(await confirmStep(description))) return;
  try {
    const out = await api(path, { method, body });
    say(`done: ${description}`);
    refreshAudit();
    return out;
  } catch (e) {
    say(`refused: ${description}: ${e.message}`, true);
    refreshAudit();
  }
}

// -- fleet ------------------------------------------------------------------------------------------
// Rows are updated in place (not rebuilt) so that a button does not vanish under the pointer at each update.
const botRows = new Map();
function botRow(name) {
  let row = botRows.get(name);
  if (row) return row;
  const tr = document.createElement("tr");
  const cells = Array.from({ length: 6 }, () => document.createElement("td"));
  cells[2].dataset.bot = name; cells[3].className = cells[4].className = "num";
  const btn = document.createElement("button"); btn.dataset.bot = name;
  btn.addEventListener("click", () => act(`${btn.dataset.action} ${name}`, `/api/bots/${name}/${btn.dataset.action}`, {}).then(refreshBots));
  const action = document.createElement("td"); action.append(btn);
  tr.append(...cells, action);
  $("bots").querySelector("tbody").append(tr);
  row = { tr, cells, btn }; botRows.set(name, row);
  return row;
}
function renderBots(bots) {
  const names = new Set(bots.map((b) => b.name));
  for (const [name, row] of botRows) if (!names.has(name)) { row.tr.remove(); botRows.delete(name); }
  for (const b of bots) {
    const { cells, btn } = botRow(b.name);
    const texts = [b.name, b.kind, b.state, String(b.health.ticks), String(b.health.errors),
      b.health.last_tick_age_s === null ? "-" : `${fmt(b.health.last_tick_age_s, 1)} s ago`];
    texts.forEach((t, i) => { if (cells[i].textContent !== t) cells[i].textContent = t; });
    cells[2].className = `state-${b.state}`;
    const action = b.state === "running" ? "pause" : "resume";
    if (btn.dataset.action !== action) { btn.dataset.action = action; btn.textContent = action === "pause" ? "Pause" : "Resume"; }
  }
}
async function refreshBots() { try { renderBots(await api("/api/bots")); } catch (e) { say(e.message, true); } }

// -- charts -------------------------------------------------------------------------------------------
const COLORS = ["#58a6ff", "#3fb950", "#d29922", "#f85149", "#bc8cff", "#39c5cf"];
function drawLines(canvasId, series) {
  const c = $(canvasId); const ctx = c.getContext("2d");
  const w = c.width, h = c.height, pad = 34;
  ctx.clearRect(0, 0, w, h);
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  ctx.fillStyle = "#8a96a3"; ctx.font = "11px sans-serif";
  if (all.length === 0) { ctx.fillText("waiting for data", w / 2 - 40, h / 2); return; }
  let lo = Math.min(...all, 0), hi = Math.max(...all, 0);
  if (hi - lo < 1e-9) { hi += 1; lo -= 1; }
  const y = (v) => h - pad / 2 - (v - lo) / (hi - lo) * (h - pad);
  ctx.strokeStyle = "#2d3640"; ctx.beginPath(); ctx.moveTo(pad, y(0)); ctx.lineTo(w, y(0)); ctx.stroke();
  ctx.fillText(fmt(hi), 2, 12); ctx.fillText(fmt(lo), 2, h - 4);
  series.forEach((s, k) => {
    const n = s.values.length; if (n === 0) return;
    ctx.strokeStyle = COLORS[k % COLORS.length]; ctx.lineWidth = 2; ctx.beginPath();
    s.values.forEach((v, i) => { const x = pad + (n === 1 ? 0 : i / (n - 1)) * (w - pad - 4); i ? ctx.lineTo(x, y(v)) : ctx.moveTo(x, y(v)); });
    ctx.stroke();
    ctx.fillStyle = COLORS[k % COLORS.length]; ctx.fillText(s.name, pad + 6 + k * 90, 12);
  });
}
function renderCharts() {
  const h = state.history;
  drawLines("chart-pnl", [{ name: "PnL", values: h.map((p) => p.pnl) }]);
  const markets = [...new Set(h.flatMap((p) => Object.keys(p.inventory)))].sort();
  drawLines("chart-inventory", markets.map((m) => ({ name: `market ${m}`, values: h.map((p) => p.inventory[m] || 0) })));
  const last = h[h.length - 1];
  if (last) {
    $("equity").textContent = fmt(last.equity); $("pnl").textContent = fmt(last.pnl);
    $("inventory-now").textContent = markets.map((m) => `market ${m}: ${fmt(last.inventory[m] || 0, 3)}`).join(" · ") || "flat";
  }
}

// -- risk, alerts, audit ----------------------------------------------------------------------------
async function refreshRisk() {
  const move = Math.max(1, Math.min(99, Number($("shock-move").value) || 10)) / 100;
  let r;
  try { r = await api(`/api/risk?move=${move}`); } catch (e) { return; }
  state.markets = r.exposure.map((e) => e.market);
  const sel = $("order-market");
  if (sel.options.length !== state.markets.length) {
    sel.replaceChildren(...r.exposure.map((e) => { const o = document.createElement("option"); o.value = e.market; o.textContent = `${e.market} ${e.name}`; return o; }));
  }
  fill("exposure", r.exposure.map((e) => [cell(`${e.market} ${e.name}`), cell(fmt(e.base, 3), "num"), cell(fmt(e.notional), "num"), cell(fmt(e.mark), "num"), cell(fmt(e.oi_long, 3), "num"), cell(fmt(e.oi_short, 3), "num")]));
  $("fund").textContent = r.insurance_fund === null ? "unknown" : fmt(r.insurance_fund);
  fill("shocks", r.shocks.map((s) => [cell(`${s.move > 0 ? "+" : ""}${fmt(s.move * 100, 0)}%`), cell(String(s.liquidatable), "num"), cell(String(s.bankrupt), "num"), cell(fmt(s.bad_debt), "num"), cell(fmt(s.fund_after), "num")]));
  const rows = [];
  for (const method of ["historical", "parametric"]) for (const [c, v] of Object.entries(r.var[method])) rows.push([cell(method), cell(`${fmt(Number(c) * 100, 0)}%`), cell(fmt(v.var), "num"), cell(fmt(v.es), "num")]);
  fill("var", rows);
  $("var-meta").textContent = `${r.var.samples} steps of ${r.var_horizon_s} s`;
  fill("closest", r.closest.map((u) => [cell(u.address.slice(0, 10) + "…"), cell(fmt(u.equity), "num"), cell(fmt(u.maintenance_requirement), "num"), cell(u.health === null ? "∞" : fmt(u.health), u.liquidatable ? "outcome-refused" : "num")]));
  fill("queue", r.liquidation_queue.map((u) => [cell(u.address.slice(0, 10) + "…"), cell(String(u.waiting_slots), "num")]));
  fill("concentration", r.concentration.map((c) => [cell(String(c.market)), cell(String(c.holders), "num"), cell(`${fmt(c.top_share * 100, 1)}%`, "num"), cell(fmt(c.hhi, 3), "num")]));
}
function renderAlerts(alerts) {
  const ul = $("alerts");
  if (!alerts.length) { const li = document.createElement("li"); li.className = "meta"; li.textContent = "none"; ul.replaceChildren(li); return; }
  ul.replaceChildren(...alerts.map((a) => { const li = document.createElement("li"); li.textContent = `${a.source} · ${a.name}: ${a.detail}`; return li; }));
}
async function refreshAudit() {
  let entries;
  try { entries = await api("/api/audit?limit=50"); } catch (e) { return; }
  const show = (v) => (v === null || v === undefined) ? "" : (typeof v === "object" ? JSON.stringify(v) : String(v));
  fill("audit", entries.map((e) => [cell(new Date(e.ts * 1000).toLocaleTimeString()), cell(e.who), cell(e.role), cell(e.action), cell(e.target),
    cell(e.outcome, `outcome-${e.outcome}`), cell(e.reason ? e.reason : `${show(e.before)} → ${show(e.after)}`)]));
}

// -- the stream -------------------------------------------------------------------------------------
function onUpdate(u) {
  $("slot").textContent = u.slot; $("keeper-state").textContent = u.active ? "active" : "standby"; $("in-flight").textContent = u.in_flight;
  renderBots(u.bots); renderAlerts(u.alerts);
  if (u.point && (!state.history.length || state.history[state.history.length - 1].ts !== u.point.ts)) {
    state.history.push(u.point); if (state.history.length > 900) state.history.shift(); renderCharts();
  }
  if (u.audit_seq !== state.auditSeq) { state.auditSeq = u.audit_seq; refreshAudit(); }
}
async function stream() {
  const controller = new AbortController(); state.streaming = controller;
  try {
    const r = await fetch("/api/stream", { headers: { Authorization: `Bearer ${state.token}` }, signal: controller.signal });
    if (!r.ok) throw new Error(`stream: HTTP ${r.status}`);
    $("live").textContent = "live"; $("live").className = "badge on";
    const reader = r.body.getReader(); const dec = new TextDecoder(); let buf = "";
    for (;;) {
      const { value, done } = await reader.read(); if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const ev = buf.slice(0, i); buf = buf.slice(i + 2);
        for (const line of ev.split("\n")) if (line.startsWith("data: ")) onUpdate(JSON.parse(line.slice(6)));
      }
    }
  } catch (e) { if (controller.signal.aborted) return; }
  $("live").textContent = "offline"; $("live").className = "badge";
  if (state.streaming === controller) setTimeout(stream, 2000);
}

// -- session ----------------------------------------------------------------------------------------
async function signIn(token) {
  state.token = token;
  try {
    const me = await api("/api/whoami");
    state.role = me.role; sessionStorage.setItem("pk-token", token);
    $("whoami").textContent = `${me.label || me.token_id} (${me.role})`; $("whoami").dataset.role = me.role;
    $("signin").hidden = true; $("session").hidden = false; $("main").hidden = false; $("message").hidden = true;
    state.history = await api("/api/history"); renderCharts();
    await Promise.all([refreshBots(), refreshRisk(), refreshAudit()]);
    stream();
  } catch (e) {
    state.token = ""; sessionStorage.removeItem("pk-token");
    say(`sign-in failed: ${e.message}`, true);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin").addEventListener("submit", (ev) => { ev.preventDefault(); signIn($("token").value.trim()); });
  $("signout").addEventListener("click", () => { sessionStorage.removeItem("pk-token"); if (state.streaming) state.streaming.abort(); location.reload(); });
  $("kill").addEventListener("click", () => act("KILL SWITCH: cancel every order and stop every strategy", "/api/kill", { confirm: true }).then(refreshBots));
  $("shock-move").addEventListener("change", refreshRisk);
  $("order-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body = { market: Number($("order-market").value), side: $("order-side").value, price: Number($("order-price").value), size: Number($("order-size").value) };
    act(`${body.side === "bid" ? "buy" : "sell"} ${body.size} at ${body.price} in market ${body.market}`, "/api/orders", body);
  });
  setInterval(() => { if (state.token) refreshRisk(); }, 5000);
  if (state.token) signIn(state.token);
});
