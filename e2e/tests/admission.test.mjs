// 发展党员 in the browser: the branch secretary takes an application and records the branch's
// steps, the street's officer records the committee's (备案, 预审, 谈话, 审批), and the file
// ends with a 预备党员 on the member list. The clock is moved by the dates typed, not by
// waiting: the application is dated two years back. A step out of order is refused with the
// rule and its source, and what was typed stays.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, newPage, shot, url } from './helpers.mjs';

/** A valid identity number for someone born on `born` (YYYYMMDD): GB 11643's check digit. */
function idNumber(born, serial) {
  const first17 = `500103${born}${String(serial).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

/** A day `days` after the ISO date `from`. */
function after(from, days) {
  const d = new Date(`${from}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Records one step on the open file page; the refusal's text, or null when it was taken. */
async function attempt(page, step, on, fields = {}) {
  await page.selectOption('select[name=step]', step);
  await page.fill('#step-form input[name=on]', on);
  for (const [name, value] of Object.entries(fields)) {
    const field = page.locator(`#step-form [name=${name}]`).first();
    const tag = await field.evaluate((el) => el.tagName.toLowerCase() + ':' + (el.type || ''));
    if (tag.startsWith('select')) await field.selectOption(String(value));
    else if (tag.endsWith('checkbox')) await field.check();
    else await field.fill(String(value));
  }
  await Promise.all([
    page.waitForLoadState('domcontentloaded', { timeout: TIMEOUT }),
    page.click('#step-form button[type=submit]'),
  ]);
  const error = page.locator('#step-error');
  return (await error.count()) ? error.innerText() : null;
}

async function record(page, step, on, fields = {}) {
  const refused = await attempt(page, step, on, fields);
  if (refused) throw new Error(`${step} on ${on} refused: ${refused}`);
}

/** Names two members for `step`, trying pairs until the rules take one (a member may have
 * become a 正式党员 only after the day, or be under discipline). */
async function recordPair(page, step, on, candidates, fields = {}) {
  for (let i = 0; i + 1 < candidates.length && i < 8; i += 1) {
    await page.selectOption('select[name=step]', step);
    await page.locator('#step-form select[name=member_ids]').nth(0).selectOption(candidates[i]);
    await page.locator('#step-form select[name=member_ids]').nth(1).selectOption(candidates[i + 1]);
    if (!(await attempt(page, step, on, fields))) return [candidates[i], candidates[i + 1]];
  }
  throw new Error(`no pair of members was taken for ${step}`);
}

test('an application is taken through to 预备党员', { timeout: 300_000 }, async () => {
  const { browser, page } = await launch();
  try {
    await login(page, 'branch_secretary');
    await page.goto(url('/admission'), { waitUntil: 'domcontentloaded' });
    await page.locator('#applicants').waitFor({ timeout: TIMEOUT });
    await shot(page, 'admission-list');

    await page.click('a[href="/admission/new"]');
    await page.waitForURL(/\/admission\/new$/, { timeout: TIMEOUT });
    const applied = after(new Date().toISOString().slice(0, 10), -520);
    const serial = Math.floor(Math.random() * 900) + 100;
    await page.selectOption('select[name=branch_id]', { index: 1 });
    await page.fill('input[name=name]', '韩晓梅');
    await page.fill('input[name=id_number]', idNumber('19960312', serial));
    await page.fill('input[name=applied_on]', applied);
    await shot(page, 'admission-new');
    await Promise.all([
      page.waitForURL(/\/admission\/\d+\?saved=opened$/, { timeout: TIMEOUT }),
      page.click('main form button[type=submit]'),
    ]);
    const fileUrl = page.url().replace(/\?.*$/, '');
    assert.match(await page.locator('.flash').innerText(), /已受理入党申请/);
    assert.equal((await page.locator('#applicant-stage').innerText()).trim(), '入党申请人');

    await record(page, 'talk', after(applied, 12), { post: 'secretary', handled_by: '支部书记' });
    await page.selectOption('select[name=step]', 'name_activist');
    const members = await page
      .locator('#step-form select[name=member_ids]')
      .nth(0)
      .locator('option')
      .evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    assert.ok(members.length >= 3, 'the branch has full members to name');
    const contacts = await recordPair(page, 'name_activist', after(applied, 30), members, { handled_by: '支委会' });
    await record(page, 'training', after(applied, 150), { days: 3 });

    // 备案 is the street's: its officer records it on the same file.
    const street = await newPage(browser);
    await login(street.page, 'street_admin');
    await street.page.goto(fileUrl, { waitUntil: 'domcontentloaded' });
    await record(street.page, 'file_activist', after(applied, 35), { document: '街道党工委备案' });

    // Too early for a 发展对象: refused with the rule, the day typed kept.
    await page.goto(fileUrl, { waitUntil: 'domcontentloaded' });
    const refusal = await attempt(page, 'name_dev_object', after(applied, 200));
    assert.match(refusal, /一年以上/);
    assert.match(refusal, /发展党员工作细则/);
    assert.equal(await page.inputValue('#step-form input[name=on]'), after(applied, 200));
    await shot(page, 'admission-refused');

    await record(page, 'name_dev_object', after(applied, 400), { handled_by: '支委会' });
    const others = members.filter((m) => m !== contacts[1]);
    await recordPair(page, 'introducers', after(applied, 405), others);
    await record(page, 'political_review', after(applied, 410), { passed: '1' });

    await street.page.goto(fileUrl, { waitUntil: 'domcontentloaded' });
    await record(street.page, 'file_dev_object', after(applied, 402));

    await page.goto(fileUrl, { waitUntil: 'domcontentloaded' });
    await record(page, 'committee_review', after(applied, 415));
    await street.page.goto(fileUrl, { waitUntil: 'domcontentloaded' });
    await record(street.page, 'pre_review', after(applied, 420));
    await page.goto(fileUrl, { waitUntil: 'domcontentloaded' });
    await record(page, 'pledge', after(applied, 422), { number: `E2E-${serial}` });
    await record(page, 'branch_vote', after(applied, 430), { expected: 20, present: 17, yes: 16 });
    await street.page.goto(fileUrl, { waitUntil: 'domcontentloaded' });
    await record(street.page, 'interview', after(applied, 440), { interviewer: 'organiser' });
    await record(street.page, 'approve', after(applied, 450));
    assert.equal((await street.page.locator('#applicant-stage').innerText()).trim(), '预备党员');
    const facts = await street.page.locator('#applicant-facts').innerText();
    assert.ok(facts.includes(after(applied, 430)), `the 支部大会's day is the 入党日期: ${facts}`);
    await shot(street.page, 'admission-probationary');

    // The new 预备党员 is on the member list, with the 入党日期 of the 支部大会.
    await street.page.click('#applicant-facts a[href^="/members/"]');
    await street.page.waitForURL(/\/members\/\d+/, { timeout: TIMEOUT });
    const member = await street.page.locator('main').innerText();
    assert.ok(member.includes('韩晓梅'));
    assert.ok(member.includes('预备党员'));
    await street.context.close();
  } finally {
    await browser.close();
  }
});

test('the file page and the list work on a phone', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch({ mobile: true });
  try {
    await login(page, 'branch_secretary');
    await page.goto(url('/admission?due=30'), { waitUntil: 'domcontentloaded' });
    await page.locator('#applicants').waitFor({ timeout: TIMEOUT });
    const overdue = await page.locator('#applicants .tag.late').count();
    assert.ok(overdue > 0, 'the demo has overdue steps');
    await shot(page, 'admission-due-phone');
    await page.locator('#applicants a').first().click();
    await page.waitForURL(/\/admission\/\d+$/, { timeout: TIMEOUT });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(wide, false, 'no sideways scroll');
    await shot(page, 'admission-file-phone');
  } finally {
    await browser.close();
  }
});
