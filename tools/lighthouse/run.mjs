// Runs Lighthouse (default mobile emulation, simulated throttling) against
// a running ragchat and prints the figures issue #12 tracks. Usage:
//   CHROME_PATH=/usr/bin/chromium node run.mjs http://127.0.0.1:18080/ [runs]
// With several runs it prints each and the median.
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";

const url = process.argv[2];
const runs = Number(process.argv[3] ?? 1);
if (!url) {
  console.error("usage: node run.mjs URL [runs]");
  process.exit(2);
}

const flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

async function once() {
  const chrome = await chromeLauncher.launch({ chromeFlags: flags });
  try {
    const result = await lighthouse(url, {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: ["performance", "accessibility", "best-practices"],
    });
    const lhr = result.lhr;
    const audit = (id) => lhr.audits[id];
    const wasm = (audit("network-requests").details?.items ?? []).find((r) => r.url.endsWith("/app.wasm"));
    const failedA11y = Object.values(lhr.audits)
      .filter((a) => a.score === 0 && lhr.categories.accessibility.auditRefs.some((r) => r.id === a.id))
      .map((a) => a.id);
    return {
      performance: lhr.categories.performance.score,
      tti: audit("interactive").numericValue / 1000,
      tbt: audit("total-blocking-time").numericValue,
      si: audit("speed-index").numericValue / 1000,
      cls: audit("cumulative-layout-shift").numericValue,
      lcp: audit("largest-contentful-paint").numericValue / 1000,
      accessibility: lhr.categories.accessibility.score,
      bestPractices: lhr.categories["best-practices"].score,
      wasmWire: wasm ? wasm.transferSize : NaN,
      wasmRaw: wasm ? wasm.resourceSize : NaN,
      failedA11y,
    };
  } finally {
    await chrome.kill();
  }
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await once());

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const mib = (b) => (b / (1 << 20)).toFixed(2) + " MiB";
const rows = [
  ["performance score", (r) => r.performance.toFixed(2), "≥ 0.90"],
  ["time to interactive", (r) => r.tti.toFixed(1) + " s", "≤ 3.5 s"],
  ["total blocking time", (r) => Math.round(r.tbt) + " ms", "≤ 300 ms"],
  ["speed index", (r) => r.si.toFixed(1) + " s", "≤ 3.4 s"],
  ["largest contentful paint", (r) => r.lcp.toFixed(1) + " s", ""],
  ["cumulative layout shift", (r) => r.cls.toFixed(3), "≤ 0.05"],
  ["accessibility", (r) => r.accessibility.toFixed(2), "1.00"],
  ["best practices", (r) => r.bestPractices.toFixed(2), "1.00"],
  ["app.wasm on the wire", (r) => `${mib(r.wasmWire)} (${mib(r.wasmRaw)} raw)`, "≤ 1.2 MiB"],
];
const keys = ["performance", "tti", "tbt", "si", "lcp", "cls", "accessibility", "bestPractices", "wasmWire"];
const med = Object.fromEntries(keys.map((k) => [k, median(results.map((r) => r[k]))]));
med.wasmRaw = median(results.map((r) => r.wasmRaw));
console.log(`Lighthouse ${url} (${runs} run${runs > 1 ? "s" : ""}; median)`);
console.log("| metric | " + (runs > 1 ? results.map((_, i) => `run ${i + 1}`).join(" | ") + " | median" : "value") + " | goal |");
console.log("|---|" + "---|".repeat(runs > 1 ? runs + 1 : 1) + "---|");
for (const [name, fmt, goal] of rows) {
  const cells = runs > 1 ? [...results.map(fmt), fmt(med)] : [fmt(results[0])];
  console.log(`| ${name} | ${cells.join(" | ")} | ${goal} |`);
}
const failed = [...new Set(results.flatMap((r) => r.failedA11y))];
if (failed.length) console.log("failed accessibility audits: " + failed.join(", "));
