// Party dues as a branch secretary does them: set a member's base, record this month's payment,
// and see the branch's monthly notice (通报) count it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, shot, url } from './helpers.mjs';

test('a branch secretary sets a base, records a payment and sees the notice', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch();
  try {
    await login(page, 'branch_secretary');
    await page.goto(url('/members'), { waitUntil: 'domcontentloaded' });
    const link = page.locator('#member-results a.member-link').first();
    await link.waitFor({ timeout: TIMEOUT });
    const name = (await link.textContent()).trim();
    await Promise.all([page.waitForURL(/\/members\/\d+/, { timeout: TIMEOUT }), link.click()]);

    // 离退休, base 4000.00 → 0.5% → 20.00 (DOMAIN.md §1.5 vector 12).
    await page.locator('summary', { hasText: '设定计算基数' }).click();
    await page.selectOption('form[action$="/dues/base"] select[name=category]', 'retired');
    await page.fill('form[action$="/dues/base"] input[name=base]', '4000');
    await Promise.all([
      page.waitForURL(/saved=base/, { timeout: TIMEOUT }),
      page.click('form[action$="/dues/base"] button[type=submit]'),
    ]);
    assert.match(await page.textContent('#dues-current'), /20\.00 元/);

    await page.locator('summary', { hasText: '登记缴纳' }).click();
    await Promise.all([
      page.waitForURL(/saved=payment/, { timeout: TIMEOUT }),
      page.click('form[action$="/dues/payments"] button[type=submit]'),
    ]);
    const firstBill = (await page.locator('#dues-bills tbody tr').first().innerText()).replace(/\s+/g, ' ');
    assert.match(firstBill, /20\.00 已缴/, `this month's bill: ${firstBill}`);
    await page.locator('#dues').scrollIntoViewIfNeeded();
    await shot(page, 'member-dues');

    await page.click('nav.mainnav a[href="/dues"]');
    await page.waitForSelector('#dues-notice', { timeout: TIMEOUT });
    const row = (await page.locator('#dues-notice tbody tr', { hasText: name }).innerText()).replace(/\s+/g, ' ');
    assert.match(row, /已缴/, `notice row for ${name}: ${row}`);
    assert.match(await page.textContent('#collection-rate'), /%/);
    await shot(page, 'dues-notice');

    // The yearly publication lists the collection and, once recorded, the use of dues.
    await Promise.all([page.waitForURL(/\/dues\/year/, { timeout: TIMEOUT }), page.click('a[href^="/dues/year"]')]);
    await page.locator('summary', { hasText: '登记党费使用' }).click();
    const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
    await page.fill('form[action="/dues/expenses"] input[name=spent_on]', today);
    await page.fill('form[action="/dues/expenses"] input[name=amount]', '12.50');
    await page.fill('form[action="/dues/expenses"] input[name=purpose]', '订阅《共产党员》杂志');
    await page.fill('form[action="/dues/expenses"] input[name=approved_by]', '支委会研究同意');
    await Promise.all([
      page.waitForURL(/\/dues\/year\?org_id=\d+&year=\d+/, { timeout: TIMEOUT }),
      page.click('form[action="/dues/expenses"] button[type=submit]'),
    ]);
    const spent = await page.locator('#dues-expenses').innerText();
    assert.match(spent, /共产党员/);
    assert.match(spent, /12\.50/);
    // The demo has the year's payments: this month's line and the year's total are listed.
    const thisMonth = today.slice(0, 7);
    const year = await page.locator('#dues-year').innerText();
    assert.match(year, new RegExp(`${thisMonth}\\t\\d+\\t\\d+`), year);
    assert.match(year, /年合计/);
    await shot(page, 'dues-year');
  } finally {
    await browser.close();
  }
});
