// The yearly 发展党员 plan in the browser: the street's officer sets the quotas of the street's
// committee and sees how far the year has got, counted from the files; and grants a community
// committee the power to approve, which its row then shows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, shot, url } from './helpers.mjs';

test('a street sets its yearly plan and grants a community committee the power to approve', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch();
  try {
    await login(page, 'street_admin');
    await page.goto(url('/admission'), { waitUntil: 'domcontentloaded' });
    await page.click('#admission-plan');
    await page.waitForURL(/\/admission\/plan$/, { timeout: TIMEOUT });
    await page.fill('#plan-form input[name=activists]', '12');
    await page.fill('#plan-form input[name=dev_objects]', '6');
    await page.fill('#plan-form input[name=probationary]', '4');
    await Promise.all([
      page.waitForURL(/saved=1/, { timeout: TIMEOUT }),
      page.click('#plan-form button[type=submit]'),
    ]);
    const plan = await page.locator('#plan').innerText();
    assert.match(plan, /确定入党积极分子\s+12/);
    assert.match(plan, /接收预备党员\s+4/);
    assert.match(plan, /\d+%/, 'progress shown');

    const row = page.locator('#grant-list tbody tr').first();
    await row.locator('input[name=document]').fill('区委组织部〔2026〕5号');
    await Promise.all([
      page.waitForURL(/saved=1/, { timeout: TIMEOUT }),
      row.locator('button[type=submit]').click(),
    ]);
    assert.equal(
      await page.locator('#grant-list tbody tr').first().locator('input[name=document]').inputValue(),
      '区委组织部〔2026〕5号',
    );
    await shot(page, 'admission-plan');
  } finally {
    await browser.close();
  }
});
