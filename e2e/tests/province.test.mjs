// Two districts under a provincial committee, on the second demo e2e/run.sh starts: the province's
// dashboard shows the sum of its districts, each district's line opens that district's own
// dashboard, and a district's administrator cannot open the other district. Desktop and phone
// screenshots.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, TIMEOUT, launch, newPage, poll, shot } from './helpers.mjs';

const PROVINCE_URL = (process.env.PROVINCE_URL || '').replace(/\/+$/, '');

async function loginAt(page, username) {
  await page.goto(`${PROVINCE_URL}/login`, { waitUntil: 'domcontentloaded' });
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([
    page.waitForURL((u) => !new URL(u).pathname.endsWith('/login'), { timeout: TIMEOUT }),
    page.click('button[type=submit]'),
  ]);
}

/** The subordinate organisations' table: [name, members, href] per line. */
async function children(page) {
  return page.$$eval('h2:text-is("下级党组织") + .table-wrap tbody tr', (rows) =>
    rows.map((r) => {
      const link = r.querySelector('td a');
      return [link.textContent.trim(), Number(r.cells[1].textContent.trim()), link.getAttribute('href')];
    }),
  );
}

test('a province sees the sum of its districts, and a district only itself', { timeout: 420_000 }, async () => {
  assert.ok(PROVINCE_URL, 'PROVINCE_URL is set by e2e/run.sh');
  // The two-district demo is generated while the other tests run.
  await poll(
    async () => {
      const response = await fetch(`${PROVINCE_URL}/healthz`).catch(() => null);
      return response?.ok;
    },
    { timeout: 300_000, interval: 2_000, message: 'the two-district demo did not start' },
  );
  const { browser, page } = await launch();
  try {
    await loginAt(page, 'province_admin');
    assert.equal((await page.textContent('h1')).trim(), '中共江东省委员会');
    const total = Number((await page.textContent('#members-total')).trim());
    const districts = await children(page);
    assert.deepEqual(
      districts.map(([name]) => name),
      ['中共新华区委员会', '中共长宁区委员会'],
    );
    assert.equal(total, districts[0][1] + districts[1][1], 'the province counts its districts');
    assert.ok(districts.every(([, members]) => members >= 200), 'both districts have members');
    await page.waitForSelector('.chart.drawn', { timeout: TIMEOUT });
    await shot(page, 'province-dashboard');

    // A district's line opens that district's own figures.
    const [name, members, href] = districts[1];
    await page.click(`h2:text-is("下级党组织") + .table-wrap a[href="${href}"]`);
    await page.waitForURL(/org_id=/, { timeout: TIMEOUT });
    assert.equal((await page.textContent('h1')).trim(), name);
    assert.equal(Number((await page.textContent('#members-total')).trim()), members);

    // The second district's administrator sees their district, not the first one.
    const other = await newPage(browser);
    await loginAt(other.page, 'admin2');
    assert.equal((await other.page.textContent('h1')).trim(), '中共长宁区委员会');
    const first = await other.page.goto(`${PROVINCE_URL}${districts[0][2]}`);
    assert.equal(first.status(), 404, 'the first district is closed to the second');
    await other.context.close();

    const phone = await newPage(browser, { mobile: true });
    await loginAt(phone.page, 'province_admin');
    await phone.page.waitForSelector('.chart.drawn', { timeout: TIMEOUT });
    await shot(phone.page, 'province-dashboard-phone');
    await phone.context.close();
  } finally {
    await browser.close();
  }
});
