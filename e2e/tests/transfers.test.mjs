// 组织关系转接 in the browser: the community's officer moves a member from one of its branches to
// another (request, letter, receipt at the other end, 回执), and the member is then on the
// receiving branch's list with the earlier branch kept in their history. A letter from outside
// is registered and received, making a member. Away from the logins' own branch, whose members
// other tests count. Dates are typed, not waited for.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, shot, url } from './helpers.mjs';

function idNumber(born, serial) {
  const first17 = `320102${born}${String(serial).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

function daysAgo(days) {
  const d = new Date(Date.now() + 8 * 3600 * 1000);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

async function submit(page, form) {
  await Promise.all([
    page.waitForLoadState('domcontentloaded', { timeout: TIMEOUT }),
    page.click(`${form} button[type=submit]`),
  ]);
}

async function recordStep(page, step, on) {
  await page.selectOption('#step-form select[name=step]', step);
  if (on) await page.fill('#step-form input[name=on]', on);
  await submit(page, '#step-form');
  const error = page.locator('main .error');
  if (await error.count()) throw new Error(`${step} refused: ${await error.innerText()}`);
}

test('a member moves between two branches and a letter from outside makes a member', { timeout: 180_000 }, async () => {
  const { browser, page } = await launch();
  try {
    await login(page, 'community_admin');
    await page.goto(url('/members'), { waitUntil: 'domcontentloaded' });
    const row = page.locator('table.members tbody tr').filter({ hasNotText: '第1网格' }).first();
    const fromBranch = (await row.locator('td.branch').innerText()).trim();
    const name = (await row.locator('a.member-link').innerText()).trim();
    await row.locator('a.member-link').click();
    await page.waitForURL(/\/members\/\d+$/, { timeout: TIMEOUT });
    const memberUrl = page.url();

    await page.click('#start-transfer');
    await page.waitForURL(/\/transfers\/new\?member=\d+$/, { timeout: TIMEOUT });
    const options = await page
      .locator('select[name=to_org_id] option')
      .evaluateAll((os) => os.map((o) => ({ value: o.value, text: o.textContent.trim() })));
    const community = fromBranch.replace(/第.*$/, '').replace(/(离退休|联合).*$/, '');
    const target = options.find((o) => o.value && o.text.startsWith(community) && o.text !== fromBranch && !o.text.includes('第1网格'));
    assert.ok(target, `a sibling branch of ${fromBranch} to move to`);
    await page.selectOption('select[name=direction]', 'within');
    await page.selectOption('select[name=to_org_id]', target.value);
    await page.fill('input[name=reason]', '居住地变动');
    await page.fill('input[name=requested_on]', daysAgo(4));
    await shot(page, 'transfer-new');
    await submit(page, '#transfer-form');
    await page.waitForURL(/\/transfers\/\d+\?saved=opened$/, { timeout: TIMEOUT });
    assert.match(await page.locator('#transfer-state').innerText(), /已申请/);

    await recordStep(page, 'issue', daysAgo(3));
    assert.match(await page.locator('#transfer-state').innerText(), /已开具介绍信/);
    await recordStep(page, 'receive', daysAgo(1));
    assert.match(await page.locator('#transfer-state').innerText(), /已接收/);
    await recordStep(page, 'receipt', '');
    assert.match(await page.locator('#transfer-state').innerText(), /已回执/);
    const steps = await page.locator('#transfer-steps').innerText();
    for (const word of ['提出转接申请', '审批并开具介绍信', '接收并编入党支部', '回执已返回']) {
      assert.ok(steps.includes(word), `${word} in ${steps}`);
    }
    await shot(page, 'transfer-closed');

    // The member is the receiving branch's now, the first branch kept in the history.
    await page.goto(memberUrl, { waitUntil: 'domcontentloaded' });
    const record = await page.locator('main').innerText();
    assert.ok(record.includes(target.text), `${name} is in ${target.text}`);
    assert.ok(record.includes(fromBranch), `the history keeps ${fromBranch}`);
    assert.match(await page.locator('#member-transfers').innerText(), /区内转接.*已回执/);

    // A letter from outside, registered and received: a new member of the branch.
    await page.goto(url('/transfers'), { waitUntil: 'domcontentloaded' });
    await page.click('#register-incoming');
    await page.waitForURL(/\/transfers\/new$/, { timeout: TIMEOUT });
    await page.selectOption('select[name=to_org_id]', target.value);
    await page.fill('input[name=from_text]', '中共南京市某区某街道工作委员会');
    await page.selectOption('#transfer-form select[name=reach]', 'outside_city');
    await page.fill('input[name=letter_number]', '宁〔2026〕88号');
    await page.fill('input[name=issued_on]', daysAgo(5));
    await page.fill('input[name=valid_until]', daysAgo(-24));
    const serial = Math.floor(Math.random() * 900) + 100;
    await page.fill('input[name=name]', '沈若兰');
    await page.fill('input[name=id_number]', idNumber('19880416', serial));
    await page.fill('input[name=admitted_on]', '2012-07-01');
    await page.fill('input[name=full_on]', '2013-07-01');
    await page.fill('input[name=reason]', '工作调动到本区');
    await shot(page, 'transfer-incoming');
    await submit(page, '#transfer-form');
    await page.waitForURL(/\/transfers\/\d+\?saved=opened$/, { timeout: TIMEOUT });
    await recordStep(page, 'receive', '');
    assert.match(await page.locator('#transfer-state').innerText(), /已接收/);
    await page.click('#transfer-facts a[href^="/members/"]');
    await page.waitForURL(/\/members\/\d+$/, { timeout: TIMEOUT });
    const incoming = await page.locator('main').innerText();
    assert.ok(incoming.includes('沈若兰') && incoming.includes(target.text), incoming.slice(0, 400));

    await page.goto(url('/transfers?state=all'), { waitUntil: 'domcontentloaded' });
    await page.locator('#transfers').waitFor({ timeout: TIMEOUT });
    await shot(page, 'transfers-list');
    await page.goto(url('/lost-contact'), { waitUntil: 'domcontentloaded' });
    await page.locator('#campaigns a').first().click();
    await page.locator('#cases').waitFor({ timeout: TIMEOUT });
    await shot(page, 'lost-contact-campaign');
  } finally {
    await browser.close();
  }
});
