#!/usr/bin/env node
// Offline validation of the Kubernetes manifests (no cluster needed).
//
//   validate-k8s.mjs [--server-config server/config.c] <file-or-dir>...
//
// 1. Schema: every document is checked with kubernetes-models' validate()
//    (types, required fields, enums of the Kubernetes API). Those schemas
//    allow unknown field names, so
// 2. Policy: the fields the service depends on are checked by name: liveness
//    on /healthz and readiness on /readyz at a declared port, CPU and memory
//    requests and limits, a non-root security context, a grace period longer
//    than preStop + I2I_DRAIN_TIMEOUT, threads per worker set (0 would mean
//    the node's cores, not the CPU limit), every I2I_* variable one that
//    i2i-serve knows (read from server/config.c), and Services that select a
//    Deployment's pods and target one of its ports.
// Exit 0 when every document passes, 1 otherwise, 2 on bad usage.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";

function manifestFiles(paths) {
  const files = [];
  for (const p of paths) {
    if (statSync(p).isDirectory())
      files.push(
        ...readdirSync(p)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => join(p, f)),
      );
    else files.push(p);
  }
  return files;
}

// Every Kubernetes object in the files, with where it came from.
function loadObjects(files, problems) {
  const objects = [];
  for (const file of files) {
    for (const doc of YAML.parseAllDocuments(readFileSync(file, "utf8"))) {
      if (doc.errors.length) {
        problems.push(`${file}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
        continue;
      }
      const obj = doc.toJS();
      if (obj === null) continue; // an empty document between ---
      objects.push({ file, obj, name: `${obj?.kind ?? "?"}/${obj?.metadata?.name ?? "?"}` });
    }
  }
  return objects;
}

function formatSchemaErrors(e) {
  if (!Array.isArray(e.errors)) return e.message;
  return e.errors.map((x) => `${x.instancePath || "(root)"} ${x.message}`).join("; ");
}

async function checkSchema({ file, obj, name }) {
  if (typeof obj?.apiVersion !== "string" || typeof obj?.kind !== "string")
    return [`${file}: ${name}: apiVersion and kind are required`];
  let mod;
  try {
    mod = await import(`kubernetes-models/${obj.apiVersion}`);
  } catch {
    return [`${file}: ${name}: unknown apiVersion ${obj.apiVersion}`];
  }
  const Model = mod[obj.kind];
  if (typeof Model !== "function") return [`${file}: ${name}: unknown kind ${obj.kind} in ${obj.apiVersion}`];
  try {
    new Model(obj).validate();
  } catch (e) {
    return [`${file}: ${name}: ${formatSchemaErrors(e)}`];
  }
  return [];
}

// "8Gi", "500m", "4" -> a number (bytes or cores), for presence checks.
function hasQuantity(v) {
  return (typeof v === "number" && v > 0) || (typeof v === "string" && /^[0-9.]+[a-zA-Z]*$/.test(v));
}

function envValue(container, name) {
  return container.env?.find((e) => e.name === name)?.value;
}

function preStopSleepSeconds(container) {
  const cmd = container.lifecycle?.preStop?.exec?.command;
  if (Array.isArray(cmd) && cmd[0] === "sleep" && /^[0-9]+$/.test(String(cmd[1]))) return Number(cmd[1]);
  return 0;
}

function probeProblems(container, kind, path, ports) {
  const probe = container[kind];
  if (!probe) return [`${kind} is missing`];
  const get = probe.httpGet;
  if (!get || get.path !== path) return [`${kind} must be an httpGet on ${path}`];
  if (!ports.has(String(get.port))) return [`${kind} port ${get.port} is not a declared container port`];
  return [];
}

function containerProblems(pod, c, knownEnv) {
  const out = [];
  const ports = new Set((c.ports ?? []).flatMap((p) => [String(p.containerPort), p.name].filter(Boolean)));
  out.push(...probeProblems(c, "livenessProbe", "/healthz", ports));
  out.push(...probeProblems(c, "readinessProbe", "/readyz", ports));
  for (const kind of ["requests", "limits"])
    for (const r of ["cpu", "memory"])
      if (!hasQuantity(c.resources?.[kind]?.[r])) out.push(`resources.${kind}.${r} is missing`);
  const sc = { ...pod.securityContext, ...c.securityContext };
  if (sc.runAsNonRoot !== true) out.push("securityContext.runAsNonRoot must be true");
  if (sc.runAsUser === 0) out.push("securityContext.runAsUser must not be 0");
  if (c.securityContext?.allowPrivilegeEscalation !== false)
    out.push("securityContext.allowPrivilegeEscalation must be false");
  for (const e of c.env ?? [])
    if (knownEnv && e.name.startsWith("I2I_") && !knownEnv.has(e.name))
      out.push(`env ${e.name} is not an i2i-serve setting (known: ${[...knownEnv].join(", ")})`);
  const drain = envValue(c, "I2I_DRAIN_TIMEOUT");
  if (drain === undefined) out.push("env I2I_DRAIN_TIMEOUT must be set (the grace period is checked against it)");
  else {
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    const need = Number(drain) + preStopSleepSeconds(c);
    if (!(grace > need))
      out.push(`terminationGracePeriodSeconds ${grace} must exceed preStop sleep + I2I_DRAIN_TIMEOUT = ${need}`);
  }
  const threads = envValue(c, "I2I_THREADS_PER_WORKER");
  if (threads === undefined || Number(threads) === 0)
    out.push("env I2I_THREADS_PER_WORKER must be set to the CPU limit (0 means the node's cores)");
  return out.map((p) => `container ${c.name}: ${p}`);
}

function deploymentProblems(obj, knownEnv) {
  const pod = obj.spec?.template?.spec ?? {};
  return (pod.containers ?? []).flatMap((c) => containerProblems(pod, c, knownEnv));
}

function serviceProblems(svc, deployments) {
  const selector = svc.spec?.selector ?? {};
  const matches = deployments.filter(({ obj }) => {
    const labels = obj.spec?.template?.metadata?.labels ?? {};
    return Object.keys(selector).length && Object.entries(selector).every(([k, v]) => labels[k] === v);
  });
  if (!matches.length) return ["its selector matches no Deployment's pods"];
  const out = [];
  for (const p of svc.spec?.ports ?? []) {
    const target = String(p.targetPort ?? p.port);
    const ok = matches.every(({ obj }) =>
      (obj.spec.template.spec.containers ?? []).some((c) =>
        (c.ports ?? []).some((cp) => String(cp.containerPort) === target || cp.name === target),
      ),
    );
    if (!ok) out.push(`port ${p.name ?? p.port}: targetPort ${target} is not a port of the selected pods`);
  }
  return out;
}

function policyProblems(objects, knownEnv) {
  const deployments = objects.filter(({ obj }) => obj.kind === "Deployment");
  const out = [];
  for (const o of objects) {
    let ps = [];
    if (o.obj.kind === "Deployment") ps = deploymentProblems(o.obj, knownEnv);
    else if (o.obj.kind === "Service") ps = serviceProblems(o.obj, deployments);
    out.push(...ps.map((p) => `${o.file}: ${o.name}: ${p}`));
  }
  return out;
}

// The environment variables i2i-serve reads, from its option table.
function serverEnvNames(configSource) {
  const names = new Set([...readFileSync(configSource, "utf8").matchAll(/"(I2I_[A-Z0-9_]+)"/g)].map((m) => m[1]));
  if (!names.size) throw new Error(`no I2I_* names found in ${configSource}`);
  return names;
}

async function main(argv) {
  const args = argv.slice(2);
  let knownEnv = null;
  const i = args.indexOf("--server-config");
  if (i >= 0) {
    knownEnv = serverEnvNames(args[i + 1]);
    args.splice(i, 2);
  }
  if (!args.length) {
    console.error("usage: validate-k8s.mjs [--server-config server/config.c] <file-or-dir>...");
    return 2;
  }
  const problems = [];
  const objects = loadObjects(manifestFiles(args), problems);
  if (!objects.length) problems.push(`no Kubernetes objects in ${args.join(" ")}`);
  for (const o of objects) problems.push(...(await checkSchema(o)));
  problems.push(...policyProblems(objects, knownEnv));
  if (problems.length) {
    console.error(`Kubernetes manifests: ${problems.length} problem(s)\n${problems.map((p) => "- " + p).join("\n")}`);
    return 1;
  }
  for (const o of objects) console.log(`ok: ${o.file}: ${o.name}`);
  return 0;
}

main(process.argv).then(
  (rc) => (process.exitCode = rc),
  (e) => {
    console.error(`validate-k8s: ${e.message}`);
    process.exitCode = 2;
  },
);
