// The i2i-serve page: plain JS, no build step, same-origin only (the page's
// Content-Security-Policy allows nothing else). The API key lives in
// sessionStorage, so it stays with this tab.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { profiles: [], file: null, job: null, last: null, abort: null };

function headers(extra) {
  const h = Object.assign({}, extra || {});
  const key = sessionStorage.getItem("i2i-api-key");
  if (key) h.Authorization = "Bearer " + key;
  return h;
}

async function api(path, opts) {
  const o = Object.assign({}, opts || {});
  o.headers = headers(o.headers);
  const r = await fetch(path, o);
  if (!r.ok && r.status !== 202) {
    let msg = r.status + " " + r.statusText;
    try {
      const e = (await r.json()).error;
      msg = e.code + ": " + e.message;
    } catch (_) { /* not the error envelope */ }
    throw new Error(msg);
  }
  return r;
}

function showError(e) {
  $("error").textContent = e ? String(e.message || e) : "";
}

function setStatus(text) {
  $("status").textContent = text;
}

// ---- tasks and profiles ----------------------------------------------------

async function loadTasks() {
  showError(null);
  const ready = await (await fetch("/readyz")).json().catch(() => ({ tasks: {} }));
  const prof = await (await api("/v1/profiles")).json();
  state.profiles = prof.profiles;
  const tasks = Object.keys(ready.tasks || {}).filter((t) => ready.tasks[t].ready);
  const sel = $("task");
  sel.replaceChildren(...tasks.map((t) => new Option(t, t)));
  if (!tasks.length) setStatus("No task is ready on this server yet.");
  fillProfiles();
}

function fillProfiles() {
  const task = $("task").value;
  const list = state.profiles.filter((p) => p.task === task);
  const sel = $("profile");
  sel.replaceChildren(...list.map((p) => new Option(p.name + (p.default ? " (default)" : ""), p.name)));
  const def = list.find((p) => p.default);
  if (def) sel.value = def.name;
  $("prompt-row").hidden = task === "upscale";
  $("scale-row").hidden = task !== "upscale";
  describeProfile();
}

function profileByName(name) {
  return state.profiles.find((p) => p.name === name);
}

function describeProfile() {
  const p = profileByName($("profile").value);
  $("profile-info").textContent = p
    ? p.description + " — depth " + p.depth + ", " + p.steps + " steps"
    : "";
}

// ---- the image -------------------------------------------------------------

function takeFile(file) {
  if (!file) return;
  if (!/^image\/(png|jpeg)$/.test(file.type)) {
    showError("Choose a PNG or JPEG image.");
    return;
  }
  showError(null);
  state.file = file;
  $("input-preview").src = URL.createObjectURL(file);
  $("drop-help").textContent = file.name + " (" + Math.round(file.size / 1024) + " KiB)";
}

function wireDrop() {
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    takeFile(e.dataTransfer.files[0]);
  });
  drop.addEventListener("click", () => $("image").click());
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("image").click(); }
  });
  $("image").addEventListener("change", (e) => takeFile(e.target.files[0]));
}

// ---- submitting and following a job ----------------------------------------

function formData(profile) {
  const task = $("task").value;
  const fd = new FormData();
  fd.append("image", state.file, state.file.name);
  fd.append("profile", profile);
  const add = (name, id) => { const v = $(id).value.trim(); if (v !== "") fd.append(name, v); };
  if (task === "upscale") {
    add("scale", "scale");
  } else {
    add("prompt", "prompt");
    if (task === "control") add("negative_prompt", "negative-prompt");
    add("guidance_scale", "guidance");
    add(task === "control" ? "image_resolution" : "resolution", "resolution");
  }
  if (task === "edit") add("image_guidance_scale", "image-guidance");
  add("num_inference_steps", "steps");
  add("seed", "seed");
  return fd;
}

// Reads the job's Server-Sent Events over fetch (EventSource cannot send
// the Authorization header), resuming with Last-Event-ID after a drop.
async function follow(id, onEvent, signal) {
  let lastId = null;
  for (let attempt = 0; attempt < 20; attempt++) {
    const h = { Accept: "text/event-stream" };
    if (lastId !== null) h["Last-Event-ID"] = String(lastId);
    try {
      const r = await api("/v1/jobs/" + id + "/events", { headers: h, signal });
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const ev = parseEvent(buf.slice(0, cut));
          buf = buf.slice(cut + 2);
          if (!ev) continue;
          lastId = ev.id;
          onEvent(ev);
          if (ev.event === "done" || ev.event === "gone") return ev;
        }
      }
    } catch (e) {
      if (signal && signal.aborted) throw e;
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
  throw new Error("lost the job's event stream");
}

function parseEvent(block) {
  const ev = { id: null, event: "message", data: "" };
  let any = false;
  for (const line of block.split("\n")) {
    if (line.startsWith(":") || !line.includes(":")) continue;
    const [k, ...rest] = line.split(":");
    const v = rest.join(":").replace(/^ /, "");
    if (k === "id") ev.id = Number(v);
    if (k === "event") { ev.event = v; any = true; }
    if (k === "data") ev.data += v;
  }
  if (!any) return null;
  ev.data = JSON.parse(ev.data);
  return ev;
}

function showProgress(ev) {
  const bar = $("progress");
  if (ev.event === "queued") {
    const pos = ev.data.queue_position;
    setStatus(pos === null ? "Queued." : "Queued, " + pos + " job(s) ahead.");
  } else if (ev.event === "started") {
    setStatus("Running…");
  } else if (ev.event === "progress") {
    bar.max = ev.data.steps;
    bar.value = ev.data.step;
    const eta = ev.data.eta_seconds;
    setStatus("Step " + ev.data.step + " of " + ev.data.steps +
      (eta !== null && eta !== undefined ? ", about " + eta.toFixed(1) + " s left" : ""));
  }
}

function seconds(job) {
  return (Date.parse(job.finished_at) - Date.parse(job.started_at)) / 1000;
}

async function showResult(job, imgId, captionId) {
  const blob = await (await api("/v1/jobs/" + job.id + "/result")).blob();
  const url = URL.createObjectURL(blob);
  $(imgId).src = url;
  $(captionId).textContent = job.profile + ": " + job.result.width + "×" + job.result.height +
    ", " + seconds(job).toFixed(1) + " s";
  return url;
}

async function run(profile, imgId, captionId) {
  if (!state.file) { showError("Choose an image first."); return null; }
  showError(null);
  $("progress").value = 0;
  const r = await api("/v1/" + $("task").value, { method: "POST", body: formData(profile) });
  const job = await r.json();
  state.job = job.id;
  state.abort = new AbortController();
  $("cancel").disabled = false;
  setStatus("Submitted.");
  try {
    const done = await follow(job.id, showProgress, state.abort.signal);
    if (done.event === "gone") throw new Error(done.data.error.message);
    const final = done.data;
    if (final.status !== "succeeded") {
      setStatus("Job " + final.status + (final.error ? ": " + final.error.message : "") + ".");
      return null;
    }
    const url = await showResult(final, imgId, captionId);
    setStatus("Done in " + seconds(final).toFixed(1) + " s.");
    return { job: final, url };
  } finally {
    $("cancel").disabled = true;
    state.job = null;
  }
}

async function onRun(e) {
  e.preventDefault();
  $("run").disabled = true;
  try {
    const out = await run($("profile").value, "result", "result-caption");
    if (out) {
      state.last = out.job;
      const a = $("download");
      a.href = out.url;
      a.hidden = false;
      $("compare").disabled = !fullProfileOf(out.job.profile);
    }
  } catch (err) {
    showError(err);
  } finally {
    $("run").disabled = false;
  }
}

function fullProfileOf(name) {
  const p = profileByName(name);
  const full = p && (p.baseline || (name.replace(/-(fast|full)$/, "") + "-full"));
  return full && full !== name && profileByName(full) ? full : null;
}

async function onCompare() {
  const full = fullProfileOf(state.last.profile);
  $("compare").disabled = true;
  try {
    await run(full, "result-full", "result-full-caption");
  } catch (err) {
    showError(err);
  } finally {
    $("compare").disabled = false;
  }
}

async function onCancel() {
  if (!state.job) return;
  try {
    await api("/v1/jobs/" + state.job, { method: "DELETE" });
    setStatus("Canceling…");
  } catch (err) {
    showError(err);
  }
}

function init() {
  $("api-key").value = sessionStorage.getItem("i2i-api-key") || "";
  $("connect").addEventListener("click", () => {
    sessionStorage.setItem("i2i-api-key", $("api-key").value.trim());
    loadTasks().catch(showError);
  });
  $("task").addEventListener("change", fillProfiles);
  $("profile").addEventListener("change", describeProfile);
  $("job-form").addEventListener("submit", onRun);
  $("cancel").addEventListener("click", onCancel);
  $("compare").addEventListener("click", onCompare);
  wireDrop();
  loadTasks().catch(showError);
}

document.addEventListener("DOMContentLoaded", init);
