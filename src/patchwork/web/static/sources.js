// The sources page: the admin token stays in this browser (localStorage, as the queue
// portal keeps its key) and goes with every change to /api/sources.
"use strict";

const ADMIN_KEY = "adminAuthKey";

function say(text) {
  document.getElementById("message").textContent = text;
}

function savedToken() {
  return localStorage.getItem(ADMIN_KEY) || "";
}

function showTokenState() {
  document.getElementById("token-state").textContent = savedToken()
    ? "An admin token is saved in this browser."
    : "Changes need an admin token; it is kept in this browser only.";
}

function saveTyped() {
  const field = document.getElementById("admin-token");
  const value = field.value.trim();
  if (value) {
    localStorage.setItem(ADMIN_KEY, value);
    field.value = "";
  }
  showTokenState();
}

async function call(method, path, body) {
  const secret = savedToken();
  if (!secret) return { ok: false, status: 0, data: { error: "enter an admin token first" } };
  const options = { method, headers: { "X-AUTHENTICATION": secret, "Accept": "application/json" } };
  if (body) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    return { ok: false, status: 0, data: { error: "the server did not answer" } };
  }
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  return { ok: response.ok, status: response.status, data };
}

function failed(result) {
  return "Error: " + (result.data.error || "HTTP " + result.status);
}

function reloadSoon() {
  setTimeout(() => location.reload(), 800);
}

// Only what was filled in is sent: the server's defaults apply to the rest.
function sourceBody(form) {
  const text = (name) => form.elements[name].value.trim();
  const number = (name) => (text(name) === "" ? null : Number(text(name)));
  const body = { url: text("url") };
  if (text("name")) body.name = text("name");
  if (text("scan_every")) body.scan_every = text("scan_every");
  if (form.elements.first_scan.value === "newest") body.first_scan_limit = number("first_scan_limit");
  const filters = {};
  for (const name of ["title_include", "title_exclude"]) {
    if (text(name)) filters[name] = text(name);
  }
  for (const name of ["min_duration", "max_duration"]) {
    if (number(name) !== null) filters[name] = number(name);
  }
  for (const name of ["skip_shorts", "skip_live"]) {
    if (form.elements[name].checked) filters[name] = true;
  }
  if (Object.keys(filters).length) body.filters = filters;
  const options = {};
  if (number("max_height") !== null) options.max_height = number("max_height");
  if (form.elements.auto_captions.checked) options.auto_captions = true;
  if (Object.keys(options).length) body.options = options;
  return body;
}

async function addSource(event) {
  event.preventDefault();
  saveTyped();
  const result = await call("POST", "/api/sources", sourceBody(event.target));
  if (result.ok) {
    say("Following source #" + result.data.id + " (" + result.data.name + ").");
    reloadSoon();
  } else if (result.status === 409 && result.data.source_id) {
    say(failed(result) + " (source #" + result.data.source_id + ")");
  } else {
    say(failed(result));
  }
}

async function scanSource(event) {
  const id = event.target.dataset.sourceId;
  const result = await call("POST", "/api/sources/" + encodeURIComponent(id) + "/scan", {});
  if (!result.ok) return say(failed(result));
  const jobs = result.data.job_ids || [];
  say("Scan of source #" + id + " queued" + (jobs.length ? " (job #" + jobs.join(", #") + ")." : "."));
  reloadSoon();
}

async function setEnabled(event) {
  const id = event.target.dataset.sourceId;
  const enabled = event.target.dataset.enabled === "true";
  const result = await call("PATCH", "/api/sources/" + encodeURIComponent(id), { enabled });
  if (!result.ok) return say(failed(result));
  say((enabled ? "Resumed" : "Paused") + " source #" + id + ".");
  reloadSoon();
}

async function removeSource(event) {
  const id = event.target.dataset.sourceId;
  const name = event.target.dataset.name;
  if (!confirm("Stop following " + name + " (source #" + id + ")? Videos archived from it stay.")) return;
  const result = await call("DELETE", "/api/sources/" + encodeURIComponent(id));
  if (!result.ok) return say(failed(result));
  say("Removed source #" + id + ".");
  reloadSoon();
}

document.addEventListener("DOMContentLoaded", () => {
  showTokenState();
  document.getElementById("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveTyped();
  });
  document.getElementById("forget-token").addEventListener("click", () => {
    localStorage.removeItem(ADMIN_KEY);
    document.getElementById("admin-token").value = "";
    showTokenState();
  });
  document.getElementById("add-form").addEventListener("submit", addSource);
  const handlers = { scan: scanSource, pause: setEnabled, resume: setEnabled, remove: removeSource };
  for (const [name, handler] of Object.entries(handlers)) {
    for (const button of document.querySelectorAll("#sources button." + name)) {
      button.addEventListener("click", handler);
    }
  }
});
