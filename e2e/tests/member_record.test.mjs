// The whole member record: an officer completes 民族, 学历, 籍贯, 党内职务 and 参加工作日期 on the
// form and finds the member by them; a member sees their own dues and meetings on /me.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, shot, url } from './helpers.mjs';

test('an officer completes a member record and finds the member by it', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch();
  try {
    await login(page, 'street_admin');
    await page.goto(url('/members?q=z'), { waitUntil: 'domcontentloaded' });
    const links = page.locator('#member-results a.member-link');
    await links.first().waitFor({ timeout: TIMEOUT });
    const link = links.nth(Math.min(7, (await links.count()) - 1));
    const name = (await link.innerText()).trim();
    await Promise.all([page.waitForURL(/\/members\/\d+$/, { timeout: TIMEOUT }), link.click()]);
    const memberUrl = page.url();
    await Promise.all([page.waitForURL(/\/edit$/, { timeout: TIMEOUT }), page.click('a[href$="/edit"]')]);

    await page.fill('input[name=ethnicity]', '回族');
    await page.selectOption('select[name=education]', 'postgraduate');
    await page.fill('input[name=native_place]', '四川省南充市');
    await page.selectOption('select[name=party_post]', 'organisation_member');
    await page.fill('input[name=work_started_on]', '2003-09-01');
    await shot(page, 'member-record-form');
    await Promise.all([
      page.waitForURL((u) => u.toString().startsWith(`${memberUrl}?saved=member`), { timeout: TIMEOUT }),
      page.click('main form[action^="/members/"] button[type=submit]'),
    ]);
    assert.equal((await page.locator('.flash').innerText()).trim(), `已保存：${name}`);
    const facts = (await page.locator('dl.facts').innerText()).replace(/\s+/g, ' ');
    for (const shown of ['回族', '研究生', '四川省南充市', '组织委员', '2003-09-01']) {
      assert.ok(facts.includes(shown), `${shown} in ${facts}`);
    }
    await shot(page, 'member-record');

    await page.goto(url('/members?education=postgraduate&ethnicity=回族&party_post=organisation_member'), {
      waitUntil: 'domcontentloaded',
    });
    const names = await page.locator('#member-results a.member-link').allInnerTexts();
    assert.ok(names.map((n) => n.trim()).includes(name), `${name} in ${names}`);
    await shot(page, 'member-record-filters');
  } finally {
    await browser.close();
  }
});

test('a member sees their dues and meetings on their phone', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch({ mobile: true });
  try {
    await login(page, 'member');
    await page.goto(url('/me'), { waitUntil: 'domcontentloaded' });
    assert.match(await page.locator('#my-dues').innerText(), /我的党费/);
    assert.ok((await page.locator('#my-dues tbody tr').count()) > 0, 'this year has bills');
    assert.match(await page.locator('#my-meetings').innerText(), /今年参加的组织生活/);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(wide, false, 'no sideways scroll on a phone');
    await shot(page, 'me-phone');
  } finally {
    await browser.close();
  }
});

test('a long list of branches is found by typing two characters or their pinyin', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch();
  try {
    await login(page, 'street_admin');
    await page.goto(url('/members/new'), { waitUntil: 'load' });
    const select = page.locator('select[name=branch_id]');
    const options = await select.locator('option').evaluateAll((os) =>
      os.filter((o) => o.value).map((o) => ({ value: o.value, name: o.textContent.trim(), keys: o.dataset.keys })),
    );
    assert.ok(options.length > 20, `${options.length} branches`);
    const target = options[options.length - 1];
    const box = page.locator('input.picker').first();
    // Two characters that only some branches share narrow the list; the first match is chosen.
    await box.fill(target.name.slice(-6, -4));
    const shown = await select.locator('option').evaluateAll((os) => os.filter((o) => o.value && !o.hidden).length);
    assert.ok(shown < options.length, `${shown} of ${options.length} shown`);
    // The initials find it too.
    const initials = target.keys.split(' ')[1];
    await box.fill(initials);
    const chosen = await select.inputValue();
    const chosenKeys = options.find((o) => o.value === chosen).keys;
    assert.ok(chosenKeys.includes(initials), `${initials} in ${chosenKeys}`);
    await shot(page, 'member-form-picker', { fullPage: false });
  } finally {
    await browser.close();
  }
});
