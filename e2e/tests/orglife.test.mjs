// Organisational life: a branch secretary records this month's 主题党日 with sign-in and sees the
// ledger cell for this month turn green.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, shot, url } from './helpers.mjs';

const themedDayCell = async (page) => {
  const now = new Date(Date.now() + 8 * 3600 * 1000);
  const label = `${now.getUTCFullYear()}年${now.getUTCMonth() + 1}月`;
  const cell = page.locator('tr[data-institution="themed_party_day"] .cell', { hasText: `${label} ` }).first();
  await cell.waitFor({ timeout: TIMEOUT });
  return cell.getAttribute('class');
};

test('a branch secretary records a 主题党日 and the ledger turns green', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch();
  try {
    await login(page, 'branch_secretary');
    await page.click('nav.mainnav a[href="/orglife"]');
    await page.waitForSelector('#ledger', { timeout: TIMEOUT });
    assert.match(await themedDayCell(page), /st-pending/);

    await Promise.all([page.waitForURL(/\/orglife\/new/, { timeout: TIMEOUT }), page.click('a[href^="/orglife/new"]')]);
    await page.selectOption('select[name=institution]', 'themed_party_day');
    await page.fill('input[name=place]', '社区党群服务中心');
    await page.fill('input[name=chair]', '支部书记');
    await page.fill('input[name=recorder]', '组织委员');
    await page.fill('textarea[name=agenda]', '学习党的二十届四中全会精神；开展志愿服务');
    // Nobody is ticked present on a new record: tick all but the last, who is absent with a reason.
    const boxes = page.locator('input[name=present]');
    const count = await boxes.count();
    assert.ok(count > 0, 'the roster lists the branch members');
    assert.equal(await page.locator('input[name=present]:checked').count(), 0, 'a new record starts with nobody present');
    for (let i = 0; i < Math.max(count - 1, 1); i += 1) await boxes.nth(i).check();
    if (count > 1) {
      await page.locator('.att-row').nth(count - 1).locator('input[name^=reason_]').fill('外出务工');
    }
    await shot(page, 'meeting-form');
    await Promise.all([page.waitForURL(/\/orglife\/meetings\/\d+/, { timeout: TIMEOUT }), page.click('form[action="/orglife/meetings"] button[type=submit]')]);
    assert.match(await page.textContent('#meeting-attendance'), new RegExp(`应到 ${count} 人，实到 ${count > 1 ? count - 1 : 1} 人`));

    // Correct the record: the first version is kept.
    const meetingUrl = page.url();
    await Promise.all([page.waitForURL(/\/edit$/, { timeout: TIMEOUT }), page.click('a[href$="/edit"]')]);
    await page.fill('input[name=place]', '社区党员活动室');
    await Promise.all([
      page.waitForURL(/\/orglife\/meetings\/\d+\?saved=1/, { timeout: TIMEOUT }),
      page.click('form.meeting-form button[type=submit]'),
    ]);
    assert.match(await page.textContent('main'), /社区党员活动室/);
    assert.match(await page.textContent('main'), /第 1 版由/);
    await shot(page, 'meeting-amended');
    assert.ok(meetingUrl.includes('/orglife/meetings/'));

    await page.goto(url('/orglife'), { waitUntil: 'domcontentloaded' });
    assert.match(await themedDayCell(page), /st-met/);
    await shot(page, 'orglife-ledger');
  } finally {
    await browser.close();
  }
});
