// Member search and member page, as a person would use them.
// Run through e2e/run.sh (starts a demo server), or by hand:
//   BASE_URL=http://127.0.0.1:18080 E2E_PASSWORD=... node --test tests/

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TIMEOUT, launch, newPage, login, shot, poll, pageText, url } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// Failure screenshots go here (gitignored), never into docs/screenshots.
const FAILURE_DIR = path.resolve(here, '..', 'test-results');

const TEST_TIMEOUT = 120_000;

const ROWS = '#member-results table tbody tr';
const LINKS = '#member-results table tbody tr a.member-link';

/**
 * Launch a browser, run `fn({ browser, page })`, always close the browser.
 * On failure, save a screenshot to e2e/test-results/<label>.png and add the
 * page URL and text to the error.
 */
async function withBrowser(label, opts, fn) {
  const { browser, page } = await launch(opts);
  const pages = [page];
  try {
    await fn({ browser, page, track: (p) => pages.push(p) });
  } catch (err) {
    const details = [];
    for (const [i, p] of pages.entries()) {
      if (p.isClosed()) continue;
      try {
        await mkdir(FAILURE_DIR, { recursive: true });
        await p.screenshot({ path: path.join(FAILURE_DIR, `${label}-${i}.png`), fullPage: true, timeout: 5_000 });
      } catch {
        /* best effort */
      }
      details.push(`--- page ${i}: ${p.url()} ---\n${await pageText(p, 1500)}`);
    }
    err.message += `\n${details.join('\n')}`;
    throw err;
  } finally {
    await browser.close().catch(() => {});
  }
}

/** Texts (trimmed) of the visible member links in the results table. */
async function visibleNames(page) {
  return page.$$eval(LINKS, (els) =>
    els.filter((e) => e.offsetParent !== null || e.getClientRects().length > 0).map((e) => e.textContent.trim()),
  );
}

/**
 * Put `text` into the live-search box so that htmx fires whatever trigger the
 * app uses (input, keyup, search, change): fill() sends `input`, then a real
 * key press sends keydown/keyup. (Typing CJK characters with the keyboard API
 * would only send `input`.)
 */
async function search(page, text) {
  const box = page.locator('input[name=q]');
  await box.waitFor({ state: 'visible', timeout: TIMEOUT });
  await box.fill(text);
  await box.press('End');
}

async function gotoMembers(page, query = '') {
  const resp = await page.goto(url(`/members${query}`), { waitUntil: 'domcontentloaded', timeout: TIMEOUT });
  assert.ok(resp, 'no response for /members');
  assert.equal(resp.status(), 200, `/members${query} answered HTTP ${resp.status()}`);
  await page.waitForSelector('input[name=q]', { timeout: TIMEOUT });
}

test('admin logs in, searches a member by name and opens their page', { timeout: TEST_TIMEOUT }, async () => {
  await withBrowser('admin-search', {}, async ({ page }) => {
    await login(page, 'admin');

    // Dashboard: a heading and a nav link 党员 -> /members.
    await page.waitForSelector('h1', { timeout: TIMEOUT });
    const h1 = (await page.textContent('h1')).trim();
    assert.ok(h1.length > 0, 'dashboard <h1> is empty');
    const navHasMembers = await page.$$eval('nav a', (as) =>
      as.some((a) => a.textContent.includes('党员') && new URL(a.href, location.href).pathname.replace(/\/+$/, '') === '/members'),
    );
    assert.ok(navHasMembers, 'nav has no link with text 党员 to /members');
    await shot(page, 'dashboard');

    await gotoMembers(page);
    await page.waitForSelector(LINKS, { timeout: TIMEOUT });
    const total = (await page.textContent('#member-total')) ?? '';
    assert.match(total, /\d/, `#member-total has no number: ${JSON.stringify(total)}`);

    const name = (await page.locator(LINKS).first().textContent()).trim();
    assert.ok(name.length > 0, 'first member link has no text');

    await search(page, name);
    await poll(
      async () => {
        const names = await visibleNames(page);
        return names.length > 0 && names.every((n) => n.startsWith(name));
      },
      { timeout: 10_000, message: `search results for ${name} did not all start with ${name}` },
    );
    await shot(page, 'member-search');

    const link = page.locator(LINKS).first();
    const href = await link.getAttribute('href');
    assert.match(href ?? '', /\/members\/[^/?#]+/, `member link href is ${href}`);
    await Promise.all([
      page.waitForURL((u) => /\/members\/[^/?#]+\/?$/.test(new URL(u).pathname), { timeout: TIMEOUT }),
      link.click(),
    ]);
    await page.waitForSelector('h1', { timeout: TIMEOUT });
    const memberH1 = (await page.textContent('h1')).trim();
    assert.ok(memberH1.includes(name), `member page <h1> ${JSON.stringify(memberH1)} does not contain ${name}`);

    const idNumber = (await page.textContent('#id-number', { timeout: TIMEOUT })).trim();
    assert.ok(idNumber.length > 0, '#id-number is empty');
    assert.ok(await page.$('#political-birthday'), 'no #political-birthday on the member page');
    await shot(page, 'member-page');
  });
});

test('search by pinyin works', { timeout: TEST_TIMEOUT }, async () => {
  await withBrowser('pinyin-search', {}, async ({ page }) => {
    await login(page, 'admin');
    await gotoMembers(page);
    await search(page, 'zhang');
    let names = [];
    await poll(
      async () => {
        names = await visibleNames(page);
        return names.length > 0 && names.every((n) => n.startsWith('张') || n.startsWith('章'));
      },
      { timeout: 10_000, message: 'search "zhang" did not list only names starting with 张/章' },
    ).catch((err) => {
      err.message += `\nnames shown: ${JSON.stringify(names.slice(0, 30))}`;
      throw err;
    });
    assert.ok(names.length >= 1);
  });
});

test('a street admin cannot open a member outside their street', { timeout: TEST_TIMEOUT }, async () => {
  await withBrowser('scope-denied', {}, async ({ browser, page, track }) => {
    await login(page, 'admin');

    // Find a member of a district department's branch (e.g. 区财政局机关党支部),
    // which no street admin may see.
    let target = null;
    const seenBranches = new Set();
    for (let n = 1; n <= 5 && !target; n++) {
      await gotoMembers(page, n === 1 ? '?q=' : `?q=&page=${n}`);
      const rows = await page.$$eval(ROWS, (trs) =>
        trs.map((tr) => ({
          href: tr.querySelector('a.member-link')?.getAttribute('href') ?? null,
          name: tr.querySelector('a.member-link')?.textContent.trim() ?? '',
          branch: tr.querySelector('td.branch')?.textContent.trim() ?? '',
        })),
      );
      if (n === 1) assert.ok(rows.length > 0, 'admin sees no members on /members?q=');
      for (const r of rows) seenBranches.add(r.branch);
      target =
        rows.find(
          (r) => r.href && r.branch.includes('区') && r.branch.includes('机关党支部') && !r.branch.includes('街道'),
        ) ?? null;
    }
    assert.ok(
      target,
      `no member of a district department branch on pages 1-5; branches seen: ${JSON.stringify([...seenBranches].slice(0, 40))}`,
    );

    // Fresh context: no admin cookies.
    const { page: streetPage } = await newPage(browser);
    track(streetPage);
    await login(streetPage, 'street_admin');
    const resp = await streetPage.goto(url(target.href), { waitUntil: 'domcontentloaded', timeout: TIMEOUT });
    assert.ok(resp, `no response for ${target.href}`);
    assert.ok(
      [403, 404].includes(resp.status()),
      `street_admin opened ${target.href} (${target.name}, ${target.branch}): HTTP ${resp.status()}, expected 403 or 404`,
    );
    await shot(streetPage, 'scope-denied');
  });
});

test('the member pages work on a phone', { timeout: TEST_TIMEOUT }, async () => {
  await withBrowser('members-mobile', { mobile: true }, async ({ page }) => {
    await login(page, 'branch_secretary');
    await gotoMembers(page);
    await page.waitForSelector('#member-results', { timeout: TIMEOUT });
    await page.waitForSelector(ROWS, { timeout: TIMEOUT });
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    assert.ok(
      scrollWidth <= innerWidth + 1,
      `/members scrolls sideways on a phone: scrollWidth ${scrollWidth} > innerWidth ${innerWidth}`,
    );
    await shot(page, 'members-mobile');
  });
});
