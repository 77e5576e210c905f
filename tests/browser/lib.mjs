// Browser test helpers: Debian's chromium driven by playwright-core (never a
// downloaded browser), screenshots under tests/browser/screenshots/, and a
// guard that fails a test on any page error, console error or CSP violation.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

export const SHOTS = join(import.meta.dirname, 'screenshots');

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/**
 * A new browser context and page at 1024x768 (or opts.viewport) that records
 * page errors and console errors; call page.assertClean() before the end.
 * Errors from requests the test expects to fail (4xx answers that the page
 * shows to people) are logged by chromium as "Failed to load resource"; they
 * are ignored, everything else counts.
 */
export async function newPage(browser, opts = {}) {
  const context = await browser.newContext({ viewport: opts.viewport || { width: 1024, height: 768 }, ...opts.context });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const t = m.text();
    if (/Failed to load resource: the server responded with a status of (4\d\d)/.test(t)) return;
    problems.push(`console: ${t}`);
  });
  page.problems = problems;
  page.assertClean = () => assert.deepEqual(problems, [], `browser errors:\n${problems.join('\n')}`);
  page.shot = async (name) => {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  };
  return page;
}

/** Signs in through the console's sign-in page. */
export async function signIn(page, url, email, password) {
  await page.goto(`${url}/console/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('nav#sidebar').waitFor({ state: 'attached' });
}

/** The visible labels of the main navigation. */
export async function navLabels(page) {
  return page.locator('nav#sidebar a').allTextContents();
}


/**
 * Runs axe-core (from the npm registry, pinned in tests/package-lock.json)
 * on the page against WCAG 2.1 A and AA (labels, names, roles, contrast,
 * landmarks, ...) and returns the violations as readable lines. The page's
 * context must be made with { context: { bypassCSP: true } }: the pages'
 * Content-Security-Policy rightly refuses the injected script otherwise.
 */
export async function axeViolations(page) {
  const { createRequire } = await import('node:module');
  const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    resultTypes: ['violations'],
  }));
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help} — ${n.target.join(' ')} ${n.failureSummary?.split('\n')[1]?.trim() || ''}`));
}
