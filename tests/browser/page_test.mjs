// Drives the i2i-serve page (GET /) in headless Chromium as a user would.
//
// usage: node page_test.mjs BASE_URL IMAGE.png WIDTH HEIGHT SCREENSHOT.png
//
// Uploads the image, writes an instruction, runs an edit (profile edit,
// 20 steps), and checks that the progress bar advanced through
// several values, the result image rendered at WIDTH x HEIGHT and the
// download link appeared; then starts a long job and cancels it from the
// page. Fails on any console error, page error or CSP violation. Prints one
// line per check; exit 1 when any failed.
import puppeteer from "puppeteer-core";

const [BASE, IMAGE, W, H, SHOT] = process.argv.slice(2);
let failures = 0;
function check(what, ok) {
  console.log((ok ? "ok: " : "FAIL: ") + what);
  if (!ok) failures++;
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const problems = [];
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => {
    // the canceled job's aborted event stream is expected
    if (!r.url().includes("/events")) problems.push("request failed: " + r.url());
  });

  const resp = await page.goto(BASE + "/", { waitUntil: "networkidle0" });
  check("GET / answers 200", resp.status() === 200);
  check("the page is sent with a Content-Security-Policy",
    (resp.headers()["content-security-policy"] || "").includes("script-src 'self'"));
  await page.waitForFunction(() => [...document.querySelectorAll("#task option")].some((o) => o.value === "edit"));
  check("the ready task edit is offered", true);
  const profiles = await page.$$eval("#profile option", (os) => os.map((o) => o.value));
  check(`the edit profiles are offered (${profiles})`, profiles.includes("edit") && profiles.includes("edit-full"));

  // every form control has a label the page's own text names
  const unlabeled = await page.$$eval("input, select, textarea", (els) =>
    els.filter((e) => !document.querySelector(`label[for="${e.id}"]`)).map((e) => e.id));
  check(`every form control is labelled (${unlabeled})`, unlabeled.length === 0);

  const input = await page.$("#image");
  await input.uploadFile(IMAGE);
  await page.waitForFunction(() => document.querySelector("#input-preview").naturalWidth > 0);
  check("the input preview shows the chosen image", true);
  await page.type("#prompt", "make it autumn");
  await page.select("#profile", "edit");
  await page.click("details summary");
  await page.type("#steps", "20");
  await page.type("#resolution", "64");
  await page.keyboard.press("Tab");

  const seen = new Set();
  await page.click("#run");
  const t0 = Date.now();
  while (Date.now() - t0 < 120000) {
    const [value, done] = await page.evaluate(() =>
      [Number(document.querySelector("#progress").value), document.querySelector("#result").naturalWidth > 0]);
    seen.add(value);
    if (done) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const size = await page.$eval("#result", (i) => [i.naturalWidth, i.naturalHeight]);
  check(`the result rendered at ${W}x${H} (got ${size})`, size[0] === Number(W) && size[1] === Number(H));
  const values = [...seen].filter((v) => v > 0).sort((a, b) => a - b);
  check(`the progress bar advanced through several steps (${values.join(",")})`, values.length >= 3);
  check("the download link appeared",
    await page.$eval("#download", (a) => !a.hidden && a.href.startsWith("blob:")));
  const status = await page.$eval("#status", (e) => e.textContent);
  check(`the status says done (${status})`, status.startsWith("Done in"));
  check("the -full comparison is offered for the edit profile",
    await page.$eval("#compare", (b) => !b.disabled));

  // a second, long job on edit-full, canceled from the page
  await page.select("#profile", "edit-full");
  await page.$eval("#steps", (e) => { e.value = "100"; });
  await page.click("#run");
  await page.waitForFunction(() => document.querySelector("#status").textContent.startsWith("Step"),
    { timeout: 60000 });
  await page.click("#cancel");
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("canceled"),
    { timeout: 60000 });
  const after = await page.$eval("#status", (e) => e.textContent);
  check(`the second job was canceled from the page (${after})`, after.startsWith("Job canceled"));
  check("cancel is off again", await page.$eval("#cancel", (b) => b.disabled));

  await page.screenshot({ path: SHOT, fullPage: true });
  check(`screenshot kept at ${SHOT}`, true);
} finally {
  await browser.close();
}
check(`no console errors, page errors or failed requests (${problems.join(" | ")})`, problems.length === 0);
process.exit(failures ? 1 : 0);
