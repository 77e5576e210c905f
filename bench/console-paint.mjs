// The console at the size of a large plant (issue 22 item 1), outside
// `make test`: the demo plant grown with `serve --demo --demo-size USERS`
// (USERS factory workers and USERS/10 tasks, bulk inserts in the store, not
// one API call per row), then every console page of the navigation, a
// user's page, a group's and a screen's page opened in Chromium, recording
// the first contentful paint and the time until the page's heading and
// content are in (goal: under 1 s on this machine).
//
// Usage: node bench/console-paint.mjs [USERS]   (default 100,000)
//   GATEHOUSE_BIN=build/gatehouse (a Release build gives the figures that
//   count; the default is the test build). Prints one line per page and a
//   JSON summary with the load average before and after.
import { startServer } from '../tests/api/lib.mjs';
import { launch, signIn } from '../tests/browser/lib.mjs';
import os from 'node:os';

const USERS = Number(process.argv[2] || 100000);
const TASKS = Math.floor(USERS / 10);
const PASSWORD = 'demo-plant-password';

let t0 = Date.now();
const s = await startServer({ init: false, args: ['--demo', '--demo-size', String(USERS)] });
console.log(`demo plant with ${USERS} more workers and ${TASKS} tasks ready in ${((Date.now() - t0) / 1000).toFixed(1)} s` +
  ` (${/demo grown[^\n]*/.exec(s.log())?.[0] || 'no generator line'}); load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
const browser = await launch();
try {
  const token = await s.login('ada@riverside.example', PASSWORD, 'riverside');

  /* ---- first paint of each page ---- */
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, s.url, 'ada@riverside.example', PASSWORD);
  const nav = await page.locator('nav#sidebar a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  const users = (await s.api('/v1/users?q=wanda', { token })).body.items;
  const groups = (await s.api('/v1/groups', { token })).body.items;
  const screens = (await s.api('/v1/screens', { token })).body.items;
  const pages = [...nav, `/console/users/${users[0].id}`, `/console/groups/${groups[0].id}`, `/console/screens/${screens[0].id}`];
  const results = [];
  for (const path of pages) {
    const start = Date.now();
    await page.goto(`${s.url}${path}`);
    await page.locator('main h1').first().waitFor({ timeout: 60000 });
    await page.waitForFunction(() => !document.querySelector('[aria-busy="true"], .skeleton'), null, { timeout: 60000 });
    const ready = Date.now() - start;
    const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
    results.push({ path, first_paint_ms: fcp === null ? null : Math.round(fcp), content_ms: ready });
    console.log(`${path.padEnd(48)} first paint ${String(fcp === null ? '-' : Math.round(fcp)).padStart(6)} ms   content ${String(ready).padStart(6)} ms${ready > 1000 ? '   over 1 s' : ''}`);
  }
  console.log(JSON.stringify({ users: USERS, tasks: TASKS, loadavg: os.loadavg().map((x) => +x.toFixed(1)), pages: results }));
} finally {
  await browser.close();
  await s.stop();
}
