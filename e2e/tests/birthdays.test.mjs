// Political birthdays: a street's officer sees this month's anniversaries in their street.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, shot } from './helpers.mjs';

test("a street admin sees this month's political birthdays", { timeout: 120_000 }, async () => {
  const { browser, page } = await launch({ mobile: true });
  try {
    await login(page, 'street_admin');
    // On a phone the navigation waits behind the menu button.
    await page.click('label.nav-button');
    await page.click('nav.mainnav a[href="/birthdays"]');
    await page.waitForSelector('#birthdays-month tbody tr', { timeout: TIMEOUT });
    const rows = await page.locator('#birthdays-month tbody tr').count();
    assert.ok(rows > 0, 'no political birthdays listed this month');
    const month = String(new Date(Date.now() + 8 * 3600 * 1000).getUTCMonth() + 1).padStart(2, '0');
    const firstDate = (await page.locator('#birthdays-month tbody tr td').first().innerText()).trim();
    assert.match(firstDate, new RegExp(`^\\d{4}-${month}-\\d{2}$`), `first anniversary date ${firstDate}`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling on a phone');
    await shot(page, 'birthdays-mobile');
  } finally {
    await browser.close();
  }
});
