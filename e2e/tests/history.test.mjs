// A member's 组织关系 has a history: a street officer moves a member to another branch with the
// date of the transfer, the member's page lists both branches with their dates, and the
// data-quality list shows what needs completing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, shot, url } from './helpers.mjs';

test('a transfer keeps the old branch in the member history', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch();
  try {
    await login(page, 'street_admin');
    await page.goto(url('/members?q=w'), { waitUntil: 'domcontentloaded' });
    // A member away from the demo logins' branch, so other tests keep their members.
    const links = page.locator('#member-results a.member-link');
    await links.first().waitFor({ timeout: TIMEOUT });
    const link = links.nth(Math.min(5, (await links.count()) - 1));
    await Promise.all([page.waitForURL(/\/members\/\d+$/, { timeout: TIMEOUT }), link.click()]);
    const memberUrl = page.url();
    const before = await page.locator('#memberships tbody tr').count();
    assert.equal(before, 1, 'one branch since admission');

    await Promise.all([page.waitForURL(/\/edit$/, { timeout: TIMEOUT }), page.click('a[href$="/edit"]')]);
    const current = await page.inputValue('select[name=branch_id]');
    const options = await page.locator('select[name=branch_id] option').evaluateAll((os) =>
      os.map((o) => o.value).filter((v) => v !== ''),
    );
    const target = options.find((v) => v !== current);
    await page.selectOption('select[name=branch_id]', target);
    await page.selectOption('select[name=move_reason]', 'transfer');
    await page.fill('input[name=moved_on]', '2026-10-15');
    await shot(page, 'member-move-form');
    await Promise.all([
      page.waitForURL((u) => u.toString().startsWith(`${memberUrl}?saved=member`), { timeout: TIMEOUT }),
      page.click('main form[action^="/members/"] button[type=submit]'),
    ]);
    const rows = page.locator('#memberships tbody tr');
    assert.equal(await rows.count(), 2, 'the old branch stays in the history');
    const first = (await rows.nth(0).innerText()).replace(/\s+/g, ' ');
    const second = (await rows.nth(1).innerText()).replace(/\s+/g, ' ');
    assert.match(first, /2026-10-14 入党编入/, first);
    assert.match(second, /2026-10-15 至今 组织关系转接/, second);
    await page.locator('#memberships').scrollIntoViewIfNeeded();
    await shot(page, 'member-history');

    await page.goto(url('/members/quality'), { waitUntil: 'domcontentloaded' });
    assert.match(await page.textContent('h1'), /数据质量/);
    await shot(page, 'member-quality');
  } finally {
    await browser.close();
  }
});
