// Queuer portal: the token stays in this browser (localStorage "authKey", as the original's).
"use strict";

const KEY = "authKey";

function token(ask) {
  let value = localStorage.getItem(KEY);
  if (!value || ask) {
    value = window.prompt("Authentication key (queue token)") || "";
    if (value) localStorage.setItem(KEY, value.trim());
  }
  return localStorage.getItem(KEY) || "";
}

function say(text) {
  document.getElementById("message").textContent = text;
}

async function call(method, path, body, secret) {
  const options = { method, headers: { "X-AUTHENTICATION": secret, "Accept": "application/json" } };
  if (body instanceof URLSearchParams) {
    options.body = body;
  } else if (body) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  return { ok: response.ok, status: response.status, data };
}

function videoId(url) {
  try {
    const u = new URL(url);
    if (u.hostname === "youtu.be") return u.pathname.slice(1);
    return u.searchParams.get("v") || u.pathname.split("/").filter(Boolean).pop();
  } catch (e) {
    return null;
  }
}

async function queueUrl(event) {
  event.preventDefault();
  const url = document.getElementById("url").value.trim();
  const secret = token(false);
  if (!secret) return say("An authentication key is needed to queue videos.");
  let mode = 0;
  const id = videoId(url);
  if (id) {
    const known = await fetch("/api/video/" + encodeURIComponent(id));
    if (known.ok && !confirm("This video is already in the archives. Re-archive it?")) return;
    if (known.ok) mode = 1;
  }
  const result = await call("POST", "/api/worker/queue", { url, mode }, secret);
  say(result.ok ? result.data.status : "Error: " + (result.data.error || result.status));
  if (result.ok) setTimeout(() => location.reload(), 800);
}

async function cancelJob(event) {
  const id = event.target.dataset.jobId;
  if (!confirm("Cancel job " + id + "?")) return;
  const result = await call("DELETE", "/api/worker/queue/" + encodeURIComponent(id), null, token(false));
  say(result.ok ? "Cancelled job " + id : "Error: " + (result.data.error || result.status));
  if (result.ok) setTimeout(() => location.reload(), 800);
}

async function deleteVideo() {
  const id = window.prompt("Video id (or URL) to delete from the archive");
  if (!id) return;
  const secret = window.prompt("Deletion key (worker token)") || "";
  if (!secret) return;
  const result = await call("DELETE", "/api/storage/delete", new URLSearchParams({ videoId: id.trim() }), secret);
  say(result.ok ? "Deletion queued: " + result.data.status : "Error: " + (result.data.error || result.status));
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("queue-form").addEventListener("submit", queueUrl);
  document.getElementById("change-key").addEventListener("click", () => token(true));
  document.getElementById("delete-video").addEventListener("click", deleteVideo);
  for (const button of document.querySelectorAll("button.cancel")) {
    button.addEventListener("click", cancelJob);
  }
});
