// Run Lighthouse on several pages in one Chromium and print one JSON summary on stdout.
//
// Input (stdin, JSON): {"chromium": PATH,
//                       "targets": [{"url": URL, "categories": [...], "formFactors": [...]}]}
//   categories: accessibility, best-practices, seo, performance; formFactors: desktop, mobile
// Output: [{url, formFactor, scores: {category: 0..100 or null}, failing: [{category, id,
//           title}], warnings: [...]}], one entry per target and form factor.
//
// One browser for every page and form factor: starting Chromium and Node once per page would
// cost more than the audits themselves (Lighthouse's own CLI audits one URL per process).
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import * as chromeLauncher from "chrome-launcher";
import { readFileSync } from "node:fs";

const request = JSON.parse(readFileSync(0, "utf8"));

function summarize(lhr, categories, formFactor) {
  const scores = {};
  const failing = [];
  for (const id of categories) {
    const category = lhr.categories[id];
    scores[id] = category.score === null ? null : Math.round(category.score * 100);
    for (const ref of category.auditRefs) {
      const audit = lhr.audits[ref.id];
      if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
        failing.push({ category: id, id: ref.id, title: audit.title });
      }
    }
  }
  return { url: lhr.finalDisplayedUrl, formFactor, scores, failing, warnings: lhr.runWarnings };
}

async function audit(port, target, formFactor) {
  // Lighthouse's default configuration is a phone; its desktop preset is a configuration too.
  const config = formFactor === "desktop" ? desktopConfig : undefined;
  const flags = {
    port,
    output: "json",
    logLevel: "error",
    onlyCategories: target.categories,
    // A static page on loopback is loaded at once: Lighthouse's waits for a quiet network and
    // CPU (a second or more each) and its screenshots serve performance scores, not these.
    // (A wait of 0 makes navigation slower: Lighthouse then falls back to longer timeouts.)
    pauseAfterFcpMs: 100,
    pauseAfterLoadMs: 100,
    networkQuietThresholdMs: 100,
    cpuQuietThresholdMs: 100,
    skipAboutBlank: true,
    disableFullPageScreenshot: true,
  };
  const runner = await lighthouse(target.url, flags, config);
  return summarize(runner.lhr, target.categories, formFactor);
}

const chrome = await chromeLauncher.launch({
  chromePath: request.chromium,
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic"],
  logLevel: "silent",
});
const results = [];
try {
  for (const target of request.targets) {
    for (const formFactor of target.formFactors) {
      results.push(await audit(chrome.port, target, formFactor));
    }
  }
} finally {
  await chrome.kill();
}
process.stdout.write(JSON.stringify(results));
