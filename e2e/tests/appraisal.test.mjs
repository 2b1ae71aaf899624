// 民主评议党员 on phones: the branch secretary opens the year's appraisal, the member reviews
// themself and grades the others on their own page, the secretary sees only how many voted
// until closing, then the results with the year's points, and records the branch meeting's
// decision.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, shot, url } from './helpers.mjs';

test('an appraisal runs from opening to the decision', { timeout: 240_000 }, async () => {
  {
    const { browser, page } = await launch({ mobile: true });
    try {
      await login(page, 'branch_secretary');
      await page.goto(url('/points/appraisal'));
      await page.waitForSelector('#appraisal-open, #appraisal-state', { timeout: TIMEOUT });
      if (await page.locator('#appraisal-open').count()) {
        await page.click('#appraisal-open button[type=submit]');
        await page.waitForSelector('#appraisal-state', { timeout: TIMEOUT });
      }
      assert.match(await page.locator('#appraisal-state').innerText(), /进行中/);
    } finally {
      await browser.close();
    }
  }
  {
    const { browser, page } = await launch({ mobile: true });
    try {
      await login(page, 'member');
      await page.waitForSelector('#appraisal', { timeout: TIMEOUT });
      await page.selectOption('#self-review-form select[name=grade]', 'qualified');
      await page.fill('#self-review-form textarea[name=comment]', '按时参加组织生活，完成支部交办的任务。');
      await page.click('#self-review-form button[type=submit]');
      await page.waitForSelector('#peer-form', { timeout: TIMEOUT });
      // Every other member graded 合格: within any 优秀 limit.
      for (const select of await page.locator('#peer-form select').all()) await select.selectOption('qualified');
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling on the ballot');
      await shot(page, 'appraisal-ballot-mobile');
      await page.click('#peer-form button[type=submit]');
      await page.waitForSelector('#appraisal .tag.ok', { timeout: TIMEOUT });
      const done = await page.locator('#appraisal').innerText();
      assert.ok(done.includes('已完成个人自评') && done.includes('已完成党员互评'), done);
    } finally {
      await browser.close();
    }
  }
  {
    const { browser, page } = await launch({ mobile: true });
    try {
      await login(page, 'branch_secretary');
      await page.goto(url('/points/appraisal'));
      await page.waitForSelector('#turnout', { timeout: TIMEOUT });
      assert.equal(await page.locator('#appraisal-results').count(), 0, 'results are sealed while voting is open');
      for (const select of await page.locator('#organisation-form select').all()) await select.selectOption('qualified');
      if (await page.locator('#organisation-form').count()) {
        await page.click('#organisation-form button[type=submit]');
        await page.waitForSelector('#turnout', { timeout: TIMEOUT });
      }
      await page.click('#appraisal-close button[type=submit]');
      await page.waitForSelector('#appraisal-results tbody tr', { timeout: TIMEOUT });
      await page.fill('#decision-form input[name=meeting]', '支部党员大会');
      await page.click('#decision-form button[type=submit]');
      await page.waitForSelector('#appraisal-state', { timeout: TIMEOUT });
      assert.match(await page.locator('#appraisal-state').innerText(), /已决定/);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling on the results');
      await shot(page, 'appraisal-results-mobile');
    } finally {
      await browser.close();
    }
  }
});
