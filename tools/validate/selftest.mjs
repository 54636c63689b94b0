#!/usr/bin/env node
// Proves the validators can fail: known-good inputs must pass and each
// known-bad one must be rejected for its reason. Run by scripts/lint-specs.sh.
//
//   selftest.mjs <openapi.yaml> <deploy/kubernetes> <server/config.c>
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const [spec, k8sDir, configSource] = process.argv.slice(2);
if (!configSource) {
  console.error("usage: selftest.mjs <openapi.yaml> <deploy/kubernetes> <server/config.c>");
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), "i2i-validate-selftest-"));
let failures = 0;
let n = 0;

const ID = "0b8f6a52-3c8e-4a5b-9a77-1f2e3d4c5b6a";
const job = {
  id: ID,
  task: "edit",
  status: "succeeded",
  progress: { step: 10, steps: 10, eta_seconds: null },
  queue_position: null,
  created_at: "2026-01-31T12:00:00.123Z",
  started_at: "2026-01-31T12:00:00.200Z",
  finished_at: "2026-01-31T12:00:03.000Z",
  profile: "edit",
  parameters: {
    prompt: "make it autumn",
    num_inference_steps: 10,
    guidance_scale: 7.5,
    image_guidance_scale: 1.2,
    seed: 42,
    scheduler: "ddim",
    eta: 0,
    depth: 9,
    gamma: 0.581,
    gamma_source: "gamma_table",
    resolution: 512,
    output_size: "input",
    timeout: null,
    output_format: "png",
    output_quality: null,
    response_format: "url",
    webhook: null,
    webhook_events_filter: null,
    negative_prompt: "",
    num_images_per_prompt: 1,
  },
  error: null,
  result: {
    content_type: "image/png",
    width: 64,
    height: 48,
    url: `/v1/jobs/${ID}/result`,
    images: [{ index: 0, seed: 7, url: `/v1/jobs/${ID}/result` }],
  },
  sizes: { input: { width: 64, height: 48 }, working: { width: 64, height: 64 } },
  links: { self: `/v1/jobs/${ID}`, result: `/v1/jobs/${ID}/result` },
};
const headers = (status, extra = "") =>
  `HTTP/1.1 ${status} X\r\nX-Request-Id: ${ID}\r\nContent-Type: application/json\r\n${extra}\r\n`;

function write(name, content) {
  const p = join(work, name);
  writeFileSync(p, content);
  return p;
}

// expect(true|false, what, script, args...): the script's verdict (and, for a
// rejection, the words its message must contain).
function expect(pass, what, mustSay, script, ...args) {
  n++;
  const r = spawnSync(process.execPath, [join(here, script), ...args], { encoding: "utf8" });
  const said = r.stdout + r.stderr;
  const ok = pass ? r.status === 0 : r.status === 1 && said.includes(mustSay);
  if (!ok) {
    failures++;
    console.error(`FAIL: ${what}: exit ${r.status}\n${said}`);
  }
}

function response(pass, what, mustSay, [method, path, status, ctype], body, hdrs) {
  expect(pass, what, mustSay, "validate-response.mjs", spec, method, path, status, ctype, write(`b${n}`, body), write(`h${n}`, hdrs));
}

const jobHeaders202 = headers(202, `Location: /v1/jobs/${ID}\r\n`);
const post = ["POST", "/v1/edit", "202", "application/json"];
response(true, "a good 202 job", "", post, JSON.stringify(job), jobHeaders202);
response(false, "a job without id", "id", post, JSON.stringify({ ...job, id: undefined }), jobHeaders202);
response(false, "an unknown job field", "extra", post, JSON.stringify({ ...job, extra: 1 }), jobHeaders202);
response(false, "a bad status", "status", post, JSON.stringify({ ...job, status: "done" }), jobHeaders202);
response(false, "202 without Location", "Location", post, JSON.stringify(job), headers(202));
response(false, "a wrong content type", "content type", [...post.slice(0, 3), "text/html"], JSON.stringify(job), jobHeaders202);
response(false, "an undocumented status", "not documented", ["POST", "/v1/edit", "418", "application/json"], "{}", headers(418));
const err = (code) => JSON.stringify({ error: { code, message: "m" } });
response(true, "a good 429", "", ["POST", "/v1/edit", "429", "application/json"], err("queue_full"), headers(429, "Retry-After: 2\r\n"));
response(false, "429 without Retry-After", "Retry-After", ["POST", "/v1/edit", "429", "application/json"], err("queue_full"), headers(429));
response(false, "a 404 with another code", "not_found", ["GET", "/v1/jobs/{id}", "404", "application/json"], err("job_expired"), headers(404));
response(false, "an error code outside the list", "allowed values", ["GET", "/v1/jobs/{id}", "404", "application/json"], err("nope"), headers(404));
response(true, "405 for an unlisted method", "", ["PUT", "/v1/jobs/{id}", "405", "application/json"], err("method_not_allowed"), headers(405, "Allow: GET\r\n"));
response(false, "a result that is not a PNG", "PNG", ["GET", "/v1/jobs/{id}/result", "200", "image/png"], "GIF89a", headers(200));
response(false, "metrics without the version parameter", "content type", ["GET", "/metrics", "200", "text/plain"], "x 1\n", headers(200));

// manifests: the shipped ones pass, broken copies fail for their reason
const deployment = readFileSync(join(k8sDir, "deployment.yaml"), "utf8");
const service = join(k8sDir, "service.yaml");
const k8s = (pass, what, mustSay, text) =>
  expect(pass, what, mustSay, "validate-k8s.mjs", "--server-config", configSource, write(`d${n}.yaml`, text), service);
k8s(true, "the shipped manifests", "", deployment);
k8s(false, "a short grace period", "terminationGracePeriodSeconds", deployment.replace(/terminationGracePeriodSeconds: \d+/, "terminationGracePeriodSeconds: 10"));
k8s(false, "an unknown I2I_ variable", "I2I_QUEUE_SIZE", deployment.replace("I2I_QUEUE_MAX", "I2I_QUEUE_SIZE"));
k8s(false, "readiness on the wrong path", "readinessProbe", deployment.replace("path: /readyz", "path: /healthz"));
k8s(false, "a port of the wrong type", "must be integer", deployment.replace("containerPort: 8080", 'containerPort: "8080"'));
k8s(false, "running as root allowed", "runAsNonRoot", deployment.replace("runAsNonRoot: true", "runAsNonRoot: false"));

rmSync(work, { recursive: true, force: true });
console.log(`validator self-test: ${n - failures} of ${n} cases behave`);
process.exitCode = failures ? 1 : 0;
