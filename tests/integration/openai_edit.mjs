// Calls images.edit with the official `openai` npm client against
// i2i-serve and prints what came back: node openai_edit.mjs BASE_URL KEY IMAGE
import OpenAI, { toFile } from "openai";
import fs from "node:fs";

const [baseURL, apiKey, image] = process.argv.slice(2);
const client = new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: 120000 });
const r = await client.images.edit({
  image: await toFile(fs.createReadStream(image), "in.png", { type: "image/png" }),
  prompt: "make it autumn",
  model: "dall-e-2",
  n: 1,
  size: "auto",
  response_format: "b64_json",
});
let refused = "";
try {
  await client.images.edit({
    image: await toFile(fs.createReadStream(image), "in.png", { type: "image/png" }),
    prompt: "x",
    model: "no-such-model",
  });
} catch (e) {
  refused = `${e.status} ${e.error?.code ?? e.code}`;
}
console.log(JSON.stringify({ created: r.created, n: r.data.length, b64_json: r.data[0].b64_json, refused }));
