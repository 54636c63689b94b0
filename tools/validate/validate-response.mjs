#!/usr/bin/env node
// Validates real HTTP responses against openapi.yaml.
//
//   validate-response.mjs <openapi.yaml> <METHOD> <path-template> <status>
//                         <content-type> <body-file> [headers-file]
//   validate-response.mjs <openapi.yaml> --batch <list-file>
//
// The batch form reads one response a line, its fields (the arguments after
// <openapi.yaml> above) separated by tabs, and prints "ok N - ..." or
// "not ok N - ..." for each: one process instead of one per response.
// <path-template> is a key of `paths` (e.g. /v1/jobs/{id}); <content-type> is
// the response's Content-Type ("" for none); [headers-file] is curl's -D output,
// whose documented headers (required ones must be there) are checked too.
// A path the document does not list, or a method it does not list for a path,
// is checked against the document's `x-i2i-unmatched-responses`.
// Exit 0 when the response matches, 1 with the reasons when it does not,
// 2 on bad usage or an unreadable document.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import YAML from "yaml";

class UsageError extends Error {}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// Follows a local "#/a/b" reference to the object it names.
function resolvePointer(doc, ref) {
  if (!ref.startsWith("#/")) throw new UsageError(`only local $refs are supported: ${ref}`);
  let node = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === null || typeof node !== "object" || !(key in node))
      throw new UsageError(`$ref ${ref} does not resolve`);
    node = node[key];
  }
  return node;
}

// Response, header and parameter objects may be references; schemas are
// left to Ajv.
function deref(doc, obj) {
  let seen = 0;
  while (obj && typeof obj === "object" && typeof obj.$ref === "string") {
    if (++seen > 32) throw new UsageError(`$ref loop at ${obj.$ref}`);
    obj = resolvePointer(doc, obj.$ref);
  }
  return obj;
}

// The document's schemas as $defs of one schema, so every
// "#/components/schemas/X" inside them resolves as "#/$defs/X".
function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$ref" && typeof v === "string" && v.startsWith("#/components/schemas/"))
      out[k] = "#/$defs/" + v.slice("#/components/schemas/".length);
    else if (k === "$ref" && typeof v === "string")
      throw new UsageError(`schema $ref outside components/schemas: ${v}`);
    else out[k] = rewriteRefs(v);
  }
  return out;
}

function makeAjv() {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  // OpenAPI's own schema keywords: annotations only.
  ajv.addVocabulary(["discriminator", "xml", "externalDocs", "example"]);
  return ajv;
}

const compiled = new Map();

function compile(ajv, doc, schema) {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) {
    const defs = rewriteRefs(doc.components?.schemas ?? {});
    compiled.set(key, ajv.compile({ ...rewriteRefs(schema), $defs: defs }));
  }
  return compiled.get(key);
}

function describeErrors(errors) {
  return errors
    .map((e) => {
      const where = e.instancePath || "(root)";
      const extra =
        e.keyword === "additionalProperties" || e.keyword === "unevaluatedProperties"
          ? ` (${e.params.additionalProperty ?? e.params.unevaluatedProperty})`
          : e.keyword === "enum" || e.keyword === "const"
            ? ` (${JSON.stringify(e.params.allowedValues ?? e.params.allowedValue)})`
            : "";
      return `  ${where}: ${e.message}${extra}`;
    })
    .join("\n");
}

// The operation's documented response for this status, or the document-wide
// answer for an unlisted path or method.
function findResponse(doc, method, template, status) {
  const pathItem = doc.paths?.[template];
  const unmatched = doc["x-i2i-unmatched-responses"] ?? {};
  if (!pathItem) {
    if (status === "404" && unmatched.path) return deref(doc, unmatched.path);
    throw new UsageError(`path ${template} is not in the document`);
  }
  const op = pathItem[method.toLowerCase()];
  if (!op) {
    if (status === "405" && unmatched.method) return deref(doc, unmatched.method);
    throw new Error(`${method} ${template} is not documented, yet answered ${status}`);
  }
  const responses = op.responses ?? {};
  const r = responses[status] ?? responses[`${status[0]}XX`] ?? responses.default;
  if (!r)
    throw new Error(
      `status ${status} is not documented for ${method} ${template} ` +
        `(documented: ${Object.keys(responses).join(", ")})`,
    );
  return deref(doc, r);
}

function parseMediaType(text) {
  const [type, ...params] = text.split(";").map((s) => s.trim());
  const p = {};
  for (const kv of params) {
    const i = kv.indexOf("=");
    if (i > 0) p[kv.slice(0, i).trim().toLowerCase()] = kv.slice(i + 1).trim().replace(/^"|"$/g, "");
  }
  return { type: type.toLowerCase(), params: p };
}

// The documented media type the actual Content-Type matches: same
// type/subtype and every parameter the document names, with its value.
function findMedia(content, contentType) {
  const actual = parseMediaType(contentType);
  for (const [key, media] of Object.entries(content)) {
    const want = parseMediaType(key);
    if (want.type !== actual.type) continue;
    if (Object.entries(want.params).every(([k, v]) => actual.params[k] === v)) return { key, media };
  }
  return null;
}

function checkBody(ajv, doc, media, mediaKey, body) {
  const problems = [];
  const type = parseMediaType(mediaKey).type;
  if (type === "application/json" || type.endsWith("+json")) {
    let value;
    try {
      value = JSON.parse(body.toString("utf8"));
    } catch (e) {
      return [`body is not JSON: ${e.message}`];
    }
    if (media.schema) {
      const validate = compile(ajv, doc, media.schema);
      if (!validate(value)) problems.push(`body does not match the schema:\n${describeErrors(validate.errors)}`);
    }
  } else if (type === "image/png") {
    if (body.length < 8 || !body.subarray(0, 8).equals(PNG_SIGNATURE)) problems.push("body is not a PNG");
  } else if (type === "image/jpeg") {
    if (body.length < 4 || body[0] !== 0xff || body[1] !== 0xd8 || body[2] !== 0xff)
      problems.push("body is not a JPEG");
  } else if (type === "image/webp") {
    const riff = body.length >= 12 && body.subarray(0, 4).toString("latin1") === "RIFF";
    if (!riff || body.subarray(8, 12).toString("latin1") !== "WEBP") problems.push("body is not a WebP");
  } else if (type.startsWith("text/")) {
    const text = new TextDecoder("utf-8", { fatal: true });
    let value;
    try {
      value = text.decode(body);
    } catch {
      return ["body is not UTF-8 text"];
    }
    if (media.schema) {
      const validate = compile(ajv, doc, media.schema);
      if (!validate(value)) problems.push(`body does not match the schema:\n${describeErrors(validate.errors)}`);
    }
  }
  return problems;
}

// curl -D output: the last header block (after any 100 Continue).
function parseHeaders(text) {
  const blocks = text.split(/\r?\n\r?\n/).filter((b) => b.trim().startsWith("HTTP/"));
  const last = blocks.at(-1) ?? "";
  const [statusLine, ...lines] = last.split(/\r?\n/);
  const headers = {};
  for (const line of lines) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: statusLine.split(" ")[1], headers };
}

function checkHeaders(ajv, doc, response, status, headersText) {
  const problems = [];
  const got = parseHeaders(headersText);
  if (got.status !== status) problems.push(`headers file has status ${got.status}, not ${status}`);
  for (const [name, raw] of Object.entries(response.headers ?? {})) {
    const h = deref(doc, raw);
    const value = got.headers[name.toLowerCase()];
    if (value === undefined) {
      if (h.required) problems.push(`required header ${name} is missing`);
      continue;
    }
    if (!h.schema) continue;
    const validate = compile(ajv, doc, h.schema);
    // header values are text: an integer schema gets the number the text spells
    const asNumber = /^-?[0-9]+(\.[0-9]+)?$/.test(value) ? Number(value) : value;
    if (!validate(value) && !validate(asNumber))
      problems.push(`header ${name}: ${JSON.stringify(value)} does not match:\n${describeErrors(validate.errors)}`);
  }
  return problems;
}

function validateResponse(doc, ajv, args) {
  const [method, template, status, contentType, bodyFile, headersFile] = args;
  const response = findResponse(doc, method, template, status);
  const body = readFileSync(bodyFile);
  const problems = [];
  if (!response.content) {
    if (body.length > 0) problems.push(`no body is documented, but the response has ${body.length} bytes`);
  } else if (body.length === 0 && method.toUpperCase() === "HEAD") {
    // HEAD: the GET answer's headers without its body
  } else {
    const found = findMedia(response.content, contentType);
    if (!found)
      problems.push(
        `content type "${contentType}" is not documented ` + `(documented: ${Object.keys(response.content).join(", ")})`,
      );
    else problems.push(...checkBody(ajv, doc, found.media, found.key, body));
  }
  if (headersFile) problems.push(...checkHeaders(ajv, doc, response, status, readFileSync(headersFile, "utf8")));
  return problems;
}

// One response: "" when it matches, else the report; throws UsageError.
function report(doc, ajv, args) {
  const what = `${args[0]} ${args[1]} -> ${args[2]}`;
  let problems;
  try {
    problems = validateResponse(doc, ajv, args);
  } catch (e) {
    if (e instanceof UsageError || e.code === "ENOENT") throw e;
    problems = [e.message];
  }
  if (!problems.length) return { ok: true, text: `${what} (${args[3] || "no body"})` };
  return { ok: false, text: `${what}: does not match openapi.yaml\n${problems.map((p) => "- " + p).join("\n")}` };
}

function runBatch(doc, ajv, listFile) {
  const lines = readFileSync(listFile, "utf8").split("\n").filter((l) => l.trim());
  let failed = 0;
  lines.forEach((line, i) => {
    const fields = line.split("\t");
    if (fields.length < 5 || fields.length > 6) throw new UsageError(`${listFile}:${i + 1}: want 5 or 6 tab-separated fields`);
    const r = report(doc, ajv, fields);
    if (!r.ok) failed++;
    console.log(`${r.ok ? "ok" : "not ok"} ${i + 1} - ${r.text}`);
  });
  console.log(`${lines.length - failed} of ${lines.length} responses match`);
  return failed ? 1 : 0;
}

function main(argv) {
  const args = argv.slice(2);
  const batch = args.length === 3 && args[1] === "--batch";
  if (!batch && (args.length < 6 || args.length > 7)) {
    console.error(
      "usage: validate-response.mjs <openapi.yaml> <METHOD> <path-template> <status> " +
        "<content-type> <body-file> [headers-file]\n" +
        "       validate-response.mjs <openapi.yaml> --batch <list-file>",
    );
    return 2;
  }
  try {
    const doc = YAML.parse(readFileSync(args[0], "utf8"));
    const ajv = makeAjv();
    if (batch) return runBatch(doc, ajv, args[2]);
    const r = report(doc, ajv, args.slice(1));
    (r.ok ? console.log : console.error)(r.ok ? `ok: ${r.text}` : r.text);
    return r.ok ? 0 : 1;
  } catch (e) {
    console.error(`validate-response: ${e.message}`);
    return 2;
  }
}

process.exitCode = main(process.argv);
