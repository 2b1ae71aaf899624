// The dues base from a pay slip: an item the table does not know comes back as 未识别 with a
// choice; the secretary classifies it, tries the working, saves; the table is readable by staff.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, shot, url } from './helpers.mjs';

const SLIP = [
  '基本工资=6000',
  '薪级工资=1500',
  '高温津贴=300',
  '单位缴纳养老保险=1200',
  '个人所得税=95',
  '养老保险=600',
  '住房公积金=900',
  '工会会费=30',
  '值班费=200',
].join('\n');

test('a pay slip with an unrecognised item is classified before the base is saved', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch();
  try {
    await login(page, 'branch_secretary');
    await page.goto(url('/members'), { waitUntil: 'domcontentloaded' });
    // Not the first member: the other dues test works on that one.
    const link = page.locator('#member-results a.member-link').nth(1);
    await link.waitFor({ timeout: TIMEOUT });
    await Promise.all([page.waitForURL(/\/members\/\d+/, { timeout: TIMEOUT }), link.click()]);

    const form = 'form[action$="/dues/base"]';
    await page.locator('summary', { hasText: '设定计算基数' }).click();
    await page.selectOption(`${form} select[name=category]`, 'in_service');
    await page.fill(`${form} textarea[name=components]`, SLIP);
    await Promise.all([
      page.waitForSelector('#slip-items', { timeout: TIMEOUT }),
      page.click(`${form} button[type=submit]:not([name=preview])`),
    ]);
    assert.match(await page.locator('#dues .error').innerText(), /未识别.*值班费/);
    const row = await page.locator('#slip-items tr', { hasText: '值班费' }).innerText();
    assert.match(row, /未识别/);

    await page.selectOption(`${form} select[name="class:值班费"]`, '不计入');
    await Promise.all([
      page.waitForSelector('#dues-preview', { timeout: TIMEOUT }),
      page.click(`${form} button[name=preview]`),
    ]);
    const preview = await page.locator('#dues-preview').innerText();
    // 7500 − 95 − 600 − 900 = 5905.00 → 1.5% → 88.58
    assert.match(preview, /每月 88\.58 元/);
    assert.match(preview, /值班费」200\.00 元，录入人注明不计入基数/);
    assert.match(preview, /单位缴纳养老保险」1200\.00 元，属“单位缴纳的五险一金和年金”，不计入也不扣除/);
    await page.locator('#slip-items').scrollIntoViewIfNeeded();
    await shot(page, 'member-dues-payslip');

    await Promise.all([
      page.waitForURL(/saved=base/, { timeout: TIMEOUT }),
      page.click(`${form} button[type=submit]:not([name=preview])`),
    ]);
    await page.locator('summary', { hasText: '计算基数记录' }).click();
    const saved = page.locator('#dues pre.working', { hasText: '计算基数 = 7500.00 − 1595.00 = 5905.00 元' });
    assert.equal(await saved.count(), 1, 'the saved working gives each item and the base');
    assert.match(await saved.innerText(), /「值班费」200\.00 元，录入人注明不计入基数/);

    await page.goto(url('/dues/items'), { waitUntil: 'domcontentloaded' });
    const table = await page.locator('#dues-items-1').innerText();
    assert.match(table, /高温/);
    assert.match(table, /组电明字〔2017〕5号/);
    await shot(page, 'dues-items');
  } finally {
    await browser.close();
  }
});
