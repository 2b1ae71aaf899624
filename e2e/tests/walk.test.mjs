// Every page in the navigation, as every demo role, on a desktop and on a phone. A page fails
// on an HTTP error, an internal code (`in_service`, `holder_unit_id`) shown as text, sideways
// scrolling on the phone, more than 2 MB loaded, or any axe-core WCAG 2 A/AA violation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { TIMEOUT, launch, login, shot, url } from './helpers.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

const ROLES = ['admin', 'street_admin', 'community_admin', 'branch_secretary', 'member'];
const MAX_BYTES = 2 * 1024 * 1024;
// Pages a role reaches from the navigation, and a few a working day opens from them.
const EXTRA = {
  admin: ['/orglife/rules', '/calls/catalogue', '/calls/calendar', '/calls/figures', '/dues/items'],
  street_admin: ['/members/new', '/members/quality', '/dues/year', '/calls/figures', '/points/schemes', '/points/appraisal',
    '/service/registrations?view=unit', '/service/figures', '/service/wishes', '/service/rules'],
  community_admin: ['/members/new', '/dues/year', '/service/registrations?view=community', '/service/wishes', '/service/figures'],
  branch_secretary: ['/points/appraisal', '/points/schemes', '/service/registrations?view=unit'],
  member: ['/points', '/service/wishes', '/service/certificate'],
};

/** Problems of the page now open, as strings. */
async function problems(page, { mobile }) {
  const found = [];
  const text = await page.evaluate(() => {
    const copy = document.body.cloneNode(true);
    copy.querySelectorAll('code, pre, input, textarea, select, script, style').forEach((e) => e.remove());
    return copy.innerText;
  });
  // Login names are what their owners chose, not codes; the demo's have underscores.
  const codes = (text.match(/\b[a-z]+_[a-z]+\b/g) || []).filter((w) => !ROLES.includes(w));
  if (codes.length) found.push(`internal codes shown: ${[...new Set(codes)].join(', ')}`);
  if (mobile) {
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (wide > 1) found.push(`scrolls sideways by ${wide}px`);
  }
  const bytes = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const resources = performance.getEntriesByType('resource');
    return (nav ? nav.decodedBodySize : 0) + resources.reduce((n, r) => n + (r.decodedBodySize || 0), 0);
  });
  if (bytes > MAX_BYTES) found.push(`${bytes} bytes loaded`);
  // Through the debugger, so the page's Content-Security-Policy stays as users get it.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return result.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  found.push(...violations.map((v) => `axe ${v}`));
  return found;
}

async function navLinks(page) {
  // Read from the DOM: on a phone the links are behind the menu button.
  const hrefs = await page.$$eval('nav.mainnav a[href]', (as) => as.map((a) => a.getAttribute('href')));
  return [...new Set(['/', ...hrefs])];
}

for (const mobile of [false, true]) {
  for (const role of ROLES) {
    const label = `${role}-${mobile ? 'phone' : 'desktop'}`;
    test(`every page as ${label}`, { timeout: 300_000 }, async () => {
      const { browser, page } = await launch({ mobile });
      const failures = [];
      try {
        await login(page, role);
        const pages = [...(await navLinks(page)), ...EXTRA[role]];
        for (const path of pages) {
          const response = await page.goto(url(path), { waitUntil: 'load', timeout: TIMEOUT });
          const status = response ? response.status() : 0;
          if (status >= 400 || status === 0) {
            failures.push(`${path}: HTTP ${status}`);
            continue;
          }
          for (const p of await problems(page, { mobile })) failures.push(`${path}: ${p}`);
          if (role === 'street_admin') {
            const name = path === '/' ? 'home' : path.replace(/^\//, '').replace(/[/?=&]+/g, '-');
            await shot(page, `walk-${name}${mobile ? '-mobile' : ''}`, { fullPage: false });
          }
        }
      } finally {
        await browser.close();
      }
      assert.deepEqual(failures, [], failures.join('\n'));
    });
  }
}

test('on a phone the navigation is a menu that names the current page', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch({ mobile: true });
  try {
    await login(page, 'street_admin');
    await page.goto(url('/members'), { waitUntil: 'load', timeout: TIMEOUT });
    const button = page.locator('label.nav-button');
    assert.match(await button.innerText(), /菜单 · 党员/);
    const dues = page.locator('nav.mainnav a[href="/dues"]');
    assert.equal(await dues.isVisible(), false, 'the links wait behind the button');
    await button.click();
    assert.equal(await dues.isVisible(), true);
    await shot(page, 'nav-menu-mobile', { fullPage: false });
    await Promise.all([page.waitForURL(/\/dues$/, { timeout: TIMEOUT }), dues.click()]);
    assert.match(await page.locator('label.nav-button').innerText(), /党费/);
  } finally {
    await browser.close();
  }
});
