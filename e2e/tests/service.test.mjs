// 一呼百应 on a phone: the community posts a need, a member claims it, checks in when it starts
// and out when done (travel left out), and the community confirms the hours, which the member
// then sees on their own page and certificate.
//
// The need starts in a few minutes: other tests record meetings of the member's branch today,
// and a meeting blocks claims only up to the time it was recorded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, shot } from './helpers.mjs';

// A browser's datetime-local value in China time, `minutes` from now.
function chinaTime(minutes) {
  return new Date(Date.now() + (8 * 60 + minutes) * 60_000).toISOString().slice(0, 16);
}

const noSidewaysScroll = (page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

test('a need is posted, claimed, checked in and out, and its hours confirmed', { timeout: 240_000 }, async () => {
  const title = `助老陪护 ${Date.now() % 100000}`;
  {
    const { browser, page } = await launch({ mobile: true });
    try {
      await login(page, 'community_admin');
      await page.click('label.nav-button');
      await page.click('nav.mainnav a[href="/service"]');
      await page.waitForSelector('#need-form', { timeout: TIMEOUT });
      await page.fill('#need-form input[name=title]', title);
      await page.fill('#need-form input[name=place]', '社区党群服务中心');
      await page.fill('#need-form input[name=starts_at]', chinaTime(5));
      await page.fill('#need-form input[name=ends_at]', chinaTime(125));
      await page.fill('#need-form input[name=people_needed]', '2');
      await page.fill('#need-form input[name=station]', '新时代文明实践站');
      await page.click('#need-form button[type=submit]');
      await page.waitForSelector('#need-facts', { timeout: TIMEOUT });
      assert.match(await page.locator('.flash').innerText(), /需求已发布/);
      assert.ok(await noSidewaysScroll(page), 'no sideways scrolling on the need');
      await shot(page, 'service-need-posted-mobile');
    } finally {
      await browser.close();
    }
  }
  {
    const { browser, page } = await launch({ mobile: true });
    try {
      await login(page, 'member');
      await page.click('label.nav-button');
      await page.click('nav.mainnav a[href="/service"]');
      await page.waitForSelector('#open-needs', { timeout: TIMEOUT });
      const offer = page.locator('#open-needs li', { hasText: title });
      await offer.locator('button[type=submit]').click();
      await page.waitForSelector('#my-claims', { timeout: TIMEOUT });
      assert.match(await page.locator('.flash').innerText(), /认领成功/);
      const mine = page.locator('#my-claims li', { hasText: title });
      await mine.locator('button', { hasText: '签到' }).click();
      await page.waitForSelector('.flash:has-text("已签到")', { timeout: TIMEOUT });
      const checkedIn = page.locator('#my-claims li', { hasText: title });
      await checkedIn.locator('input[name=travel_minutes]').fill('0');
      assert.ok(await noSidewaysScroll(page), 'no sideways scrolling on the member page');
      await checkedIn.scrollIntoViewIfNeeded();
      await shot(page, 'service-member-checked-in-mobile', { fullPage: false });
      await checkedIn.locator('button', { hasText: '签退' }).click();
      await page.waitForSelector('.flash:has-text("已签退")', { timeout: TIMEOUT });
      assert.match(await page.locator('#my-claims li', { hasText: title }).innerText(), /已完成待确认/);
    } finally {
      await browser.close();
    }
  }
  {
    const { browser, page } = await launch({ mobile: true });
    try {
      await login(page, 'community_admin');
      await page.goto(new URL('/service', page.url()).href);
      await page.waitForSelector('#claims-to-confirm', { timeout: TIMEOUT });
      const waiting = page.locator('#claims-to-confirm li', { hasText: title });
      // A wrong figure is refused in Chinese, and nothing is confirmed.
      await waiting.locator('input[name=hours]').fill('两小时');
      await waiting.locator('button[type=submit]').click();
      await page.waitForSelector('.error', { timeout: TIMEOUT });
      assert.match(await page.locator('.error').innerText(), /服务时长应为小时数/);
      await page.locator('#claims-to-confirm li', { hasText: title }).locator('input[name=hours]').fill('1.5');
      await page.locator('#claims-to-confirm li', { hasText: title }).locator('button[type=submit]').click();
      await page.waitForSelector('#need-claims', { timeout: TIMEOUT });
      assert.match(await page.locator('#need-claims').innerText(), /已确认[\s\S]*1\.5 小时/);
      await shot(page, 'service-confirmed-mobile');
    } finally {
      await browser.close();
    }
  }
  {
    const { browser, page } = await launch({ mobile: true });
    try {
      await login(page, 'member');
      await page.goto(new URL('/service', page.url()).href);
      await page.waitForSelector('#my-claims', { timeout: TIMEOUT });
      assert.match(await page.locator('#my-claims li', { hasText: title }).innerText(), /已确认[\s\S]*1\.5 小时/);
      await page.click('a[href^="/service/certificate"]');
      await page.waitForSelector('#certificate', { timeout: TIMEOUT });
      assert.match(await page.locator('#certificate').innerText(), new RegExp(title));
      await shot(page, 'service-certificate-mobile');
    } finally {
      await browser.close();
    }
  }
});
