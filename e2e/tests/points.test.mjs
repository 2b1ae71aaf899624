// Points (党员积分) on a phone: the branch secretary awards points to a member from the branch's
// table, a wrong entry is corrected by a reversal that leaves the original visible, and the
// member sees the points on their own page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, shot } from './helpers.mjs';

test('a secretary awards and corrects points and the member sees them', { timeout: 180_000 }, async () => {
  const reason = `带头清理楼道 ${Date.now() % 100000}`;
  let ledgerPath;
  {
    const { browser, page } = await launch({ mobile: true });
    try {
      await login(page, 'member');
      await page.waitForSelector('#my-points', { timeout: TIMEOUT });
      ledgerPath = await page.getAttribute('#my-points', 'href');
    } finally {
      await browser.close();
    }
  }
  {
    const { browser, page } = await launch({ mobile: true });
    try {
      await login(page, 'branch_secretary');
      await page.click('label.nav-button');
      await page.click('nav.mainnav a[href="/points"]');
      await page.waitForSelector('#points-table tbody tr', { timeout: TIMEOUT });
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling on the table');
      await shot(page, 'points-branch-mobile');
      await page.click(`#points-table a[href^="${ledgerPath}?"]`);
      await page.waitForSelector('#points-entry-form', { timeout: TIMEOUT });
      // Without a reason the form is refused and says why.
      await page.selectOption('#points-entry-form select[name=item_code]', 'manual_award');
      await page.fill('#points-entry-form input[name=points]', '2');
      await page.fill('#points-entry-form input[name=approver]', '王书记');
      await page.$eval('#points-entry-form', (f) => f.setAttribute('novalidate', ''));
      await page.click('#points-entry-form button[type=submit]');
      await page.waitForSelector('.error', { timeout: TIMEOUT });
      assert.match(await page.locator('.error').innerText(), /请填写加减分事由/);
      await page.selectOption('#points-entry-form select[name=item_code]', 'manual_award');
      await page.fill('#points-entry-form input[name=points]', '1');
      await page.fill('#points-entry-form input[name=reason]', reason);
      await page.fill('#points-entry-form input[name=approver]', '王书记');
      await page.click('#points-entry-form button[type=submit]');
      await page.waitForSelector(`#points-ledger td:has-text("${reason}")`, { timeout: TIMEOUT });
      // The correction: open the row's reversal, give a reason, and both lines stay.
      const row = page.locator('#points-ledger tbody tr', { hasText: reason });
      await row.locator('summary').click();
      await row.locator('input[name=reason]').fill('登记错误');
      await row.locator('button[type=submit]').click();
      await page.waitForSelector('#points-ledger td:has-text("冲正：登记错误")', { timeout: TIMEOUT });
      const marked = page.locator('#points-ledger tbody tr', { hasText: reason }).first();
      assert.match(await marked.innerText(), /已冲正/);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling on the ledger');
      await marked.scrollIntoViewIfNeeded();
      await shot(page, 'points-ledger-mobile', { fullPage: false });
    } finally {
      await browser.close();
    }
  }
  {
    const { browser, page } = await launch({ mobile: true });
    try {
      await login(page, 'member');
      await page.click('#my-points');
      await page.waitForSelector('#points-ledger', { timeout: TIMEOUT });
      const text = await page.locator('#points-ledger').innerText();
      assert.ok(text.includes(reason) && text.includes('冲正：登记错误'), 'the member sees the award and its correction');
      assert.equal(await page.locator('#points-entry-form').count(), 0, 'a member cannot enter points');
      await page.locator('#points-ledger tbody tr', { hasText: reason }).first().scrollIntoViewIfNeeded();
      await shot(page, 'points-member-mobile', { fullPage: false });
    } finally {
      await browser.close();
    }
  }
});
