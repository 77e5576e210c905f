// The console at the size of a large plant (issue 22 item 1), outside
// `make test`: the demo plant (`serve --demo`) grown with a generator to
// USERS factory workers (default 100,000, through the CSV import in chunks)
// and TASKS tasks (default 10,000, through the API), then every console page
// of the navigation, a user's page, a group's and a screen's page opened in
// Chromium, recording the first contentful paint and the time until the
// page's heading and content are in (goal: under 1 s on this machine).
//
// Usage: node bench/console-paint.mjs [USERS] [TASKS]
//   GATEHOUSE_BIN=build/gatehouse (a Release build gives the figures that
//   count; the default is the test build). Prints one line per page and a
//   JSON summary.
import { startServer, cli } from '../tests/api/lib.mjs';
import { launch, signIn } from '../tests/browser/lib.mjs';

const USERS = Number(process.argv[2] || 100000);
const TASKS = Number(process.argv[3] || 10000);
const PASSWORD = 'demo-plant-password';

const s = await startServer({ init: false, args: ['--demo'] });
const browser = await launch();
try {
  const token = await s.login('ada@riverside.example', PASSWORD, 'riverside');
  // The demo's throw-away database, as the server printed it.
  const dir = /throw-away database in (\S+),/.exec(s.log())?.[1];
  const r = cli(`${dir}/demo.db`, ['org', 'seats', '--org', 'riverside', '--factory', String(USERS + 100)]);
  if (r.status !== 0) throw new Error(r.stderr);

  /* ---- the generator ---- */
  let t0 = Date.now();
  const CHUNK = 10000;
  for (let start = 0; start < USERS; start += CHUNK) {
    const rows = ['name,role,badge,factory_access'];
    for (let i = start; i < Math.min(USERS, start + CHUNK); i++) rows.push(`Worker ${String(i).padStart(6, '0')},operator,G${i},true`);
    const res = await s.api('/v1/users/import', { method: 'POST', token, raw: `${rows.join('\n')}\n`, headers: { 'Content-Type': 'text/csv' } });
    if (res.status !== 200) throw new Error(`import: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  console.log(`generated ${USERS} workers in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t0 = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < TASKS) {
      const i = next++;
      const res = await s.api('/v1/tasks', { method: 'POST', token, body: { ref: `B-${String(i).padStart(5, '0')}`, title: `Bench task ${i}`, order_ref: `SO-B${Math.floor(i / 20)}` } });
      if (res.status !== 201) throw new Error(`task: ${res.status} ${JSON.stringify(res.body)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  console.log(`generated ${TASKS} tasks in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

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
  console.log(JSON.stringify({ users: USERS, tasks: TASKS, pages: results }));
} finally {
  await browser.close();
  await s.stop();
}
