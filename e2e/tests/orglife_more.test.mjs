// Organisational life, second part: a branch secretary opens today's 支部党员大会 for phone sign-in,
// the vote form counts only those with a vote (the branch has 预备党员 and a member under 留党察看),
// a vote without quorum or with more voters than recorded is refused and a proper one recorded,
// the restricted member's page shows the 留党察看, a photo of the sign-in sheet is
// attached; a member signs in on their phone; the sweep's reminder waits in the secretary's inbox;
// a street admin approves an exemption; the system admin sees the rule sets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, newPage, poll, shot, url } from './helpers.mjs';

/** A 480×320 PNG drawn in the page, so the uploaded "sign-in sheet" is a real picture. */
async function signInSheetPng(page) {
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 480;
    c.height = 320;
    const g = c.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, 480, 320);
    g.strokeStyle = '#c8102e';
    g.lineWidth = 4;
    g.strokeRect(8, 8, 464, 304);
    g.fillStyle = '#222';
    g.font = '32px sans-serif';
    g.fillText('支部党员大会签到表', 90, 70);
    g.font = '20px sans-serif';
    for (let i = 0; i < 6; i += 1) g.fillText(`${i + 1}.  ____________   ____`, 60, 120 + i * 30);
    return c.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

test('sign-in on the phone, votes, attachments, reminders, exemptions and rules', { timeout: 180_000 }, async () => {
  const { browser, page } = await launch();
  try {
    await login(page, 'branch_secretary');
    await page.goto(url('/orglife'), { waitUntil: 'domcontentloaded' });
    await Promise.all([page.waitForURL(/\/orglife\/new/, { timeout: TIMEOUT }), page.click('a[href^="/orglife/new"]')]);
    await page.selectOption('select[name=institution]', 'branch_general_meeting');
    await page.fill('input[name=place]', '社区党员活动室');
    await page.fill('input[name=chair]', '支部书记');
    await page.fill('input[name=recorder]', '组织委员');
    await page.fill('textarea[name=agenda]', '讨论接收预备党员');
    const boxes = page.locator('input[name=present]');
    const expected = await boxes.count();
    assert.ok(expected > 1, 'the branch has members');
    // Nobody is ticked: everyone signs in on their own phone.
    for (let i = 0; i < expected; i += 1) await boxes.nth(i).uncheck();
    await page.check('input[name=open_sign_in]');
    await Promise.all([page.waitForURL(/\/orglife\/meetings\/\d+/, { timeout: TIMEOUT }), page.click('form.meeting-form button[type=submit]')]);
    const meetingUrl = page.url().split('?')[0];
    assert.match(await page.textContent('#meeting-attendance'), new RegExp(`应到 ${expected} 人，实到 0 人，${expected} 人待签到`));

    // The member signs in on their phone.
    const phone = await newPage(browser, { mobile: true });
    await login(phone.page, 'member');
    await phone.page.goto(url('/me'), { waitUntil: 'domcontentloaded' });
    const signIn = phone.page.locator('#signin button', { hasText: '签到' });
    await signIn.first().waitFor({ timeout: TIMEOUT });
    await shot(phone.page, 'member-signin-mobile');
    await Promise.all([phone.page.waitForURL(/\/me\?signed=1/, { timeout: TIMEOUT }), signIn.first().click()]);
    assert.match(await phone.page.textContent('main'), /签到成功/);
    assert.match(await phone.page.textContent('#signin'), /已签到/);
    await shot(phone.page, 'member-signed-in-mobile');
    await phone.context.close();

    // Only 正式党员 without a restriction vote: the demo branch has four 预备党员 (two admitted
    // through its 发展党员 files) and one member under 留党察看, so 应到会 is prefilled with the
    // voters on the list, 实到会 with the one who signed in.
    await page.goto(meetingUrl, { waitUntil: 'domcontentloaded' });
    assert.match(await page.textContent('#meeting-attendance'), /实到 1 人/);
    assert.match(await page.textContent('main'), /本人签到/);
    assert.match(await page.textContent('main'), /预备党员，无表决权/);
    await page.click('summary:has-text("记录一项表决")');
    // The 发展党员 browser test may have admitted one more before this runs.
    const electorate = await page.textContent('#vote-electorate');
    const probationary = Number((electorate.match(/预备党员 (\d+) 人/) || [])[1]);
    assert.ok(probationary >= 4, electorate);
    const voters = expected - probationary - 1;
    assert.match(
      electorate,
      new RegExp(`到会名单 ${expected} 人，其中有表决权 ${voters} 人，预备党员 ${probationary} 人、受留党察看处分 1 人不参加表决；出席 1 人，其中有表决权 1 人`),
    );
    assert.equal(await page.inputValue('input[name=expected]'), String(voters));
    assert.equal(await page.inputValue('input[name=present]'), '1');

    // With one present the meeting lacks a quorum: refused, keeping what was typed.
    await page.fill('input[name=subject]', '接收张三同志为预备党员');
    await page.selectOption('select[name=decision]', 'admission');
    await page.fill('input[name=yes]', '1');
    await page.click('form.vote-form button[type=submit]');
    await page.waitForSelector('.error', { timeout: TIMEOUT });
    assert.match(await page.textContent('.error'), /会议不能作出决议/);
    assert.equal(await page.inputValue('input[name=subject]'), '接收张三同志为预备党员');
    await shot(page, 'meeting-vote-refused');

    // Counting everyone on the list as 应到会 is refused, naming the numbers.
    await page.fill('input[name=expected]', String(expected));
    await page.click('form.vote-form button[type=submit]');
    await page.waitForSelector('.error', { timeout: TIMEOUT });
    assert.match(await page.textContent('.error'), new RegExp(`填写了 ${expected} 人，但到会名单上有表决权的只有 ${voters} 人`));
    await shot(page, 'meeting-vote-too-many');

    // Everyone came after all: the recorder ticks them, and the vote is prefilled with the voters.
    await Promise.all([page.waitForURL(/\/edit$/, { timeout: TIMEOUT }), page.click('a[href$="/edit"]')]);
    for (let i = 0; i < expected; i += 1) await page.locator('input[name=present]').nth(i).check();
    await Promise.all([page.waitForURL(/saved=1/, { timeout: TIMEOUT }), page.click('form.meeting-form button[type=submit]')]);
    await page.click('summary:has-text("记录一项表决")');
    assert.match(
      await page.textContent('#vote-electorate'),
      new RegExp(`出席 ${expected} 人，其中有表决权 ${voters} 人，预备党员 ${probationary} 人、受留党察看处分 1 人不参加表决`),
    );
    assert.equal(await page.inputValue('input[name=present]'), String(voters));
    await page.fill('input[name=subject]', '接收张三同志为预备党员');
    await page.selectOption('select[name=decision]', 'admission');
    await page.fill('input[name=yes]', String(voters));
    await shot(page, 'meeting-vote-electorate');
    await Promise.all([page.waitForURL(/saved=vote/, { timeout: TIMEOUT }), page.click('form.vote-form button[type=submit]')]);
    assert.match(await page.textContent('#meeting-votes'), /通过/);

    // The member under 留党察看, from the sign-in list: the restriction on their page.
    const restricted = page.locator('tr', { hasText: '受留党察看处分，无表决权' }).locator('a').first();
    await Promise.all([page.waitForURL(/\/members\/\d+$/, { timeout: TIMEOUT }), restricted.click()]);
    assert.match(await page.textContent('#restriction-list'), /留党察看/);
    assert.match(await page.textContent('#restriction-list'), /生效中，没有表决权/);
    await page.click('#restrictions summary:has-text("登记恢复党员权利")');
    await shot(page, 'member-restriction');
    await page.goto(meetingUrl, { waitUntil: 'domcontentloaded' });

    // A photo of the paper sign-in sheet.
    await page.setInputFiles('form.upload input[type=file]', {
      name: '签到表.png',
      mimeType: 'image/png',
      buffer: await signInSheetPng(page),
    });
    await Promise.all([page.waitForURL(/saved=file/, { timeout: TIMEOUT }), page.click('form.upload button[type=submit]')]);
    const thumb = page.locator('.attachment img').first();
    await thumb.waitFor({ timeout: TIMEOUT });
    await poll(() => thumb.evaluate((img) => img.complete && img.naturalWidth === 480), { message: 'thumbnail loaded' });
    await shot(page, 'meeting-vote-attachment');

    // The sweep ran when the server started: this period's reminder is in the inbox.
    await poll(
      async () => {
        await page.goto(url('/inbox'), { waitUntil: 'domcontentloaded' });
        return /本期待开展/.test(await page.textContent('main'));
      },
      { timeout: 30_000, message: 'reminder in the inbox' },
    );
    await shot(page, 'inbox');
    const unread = await page.locator('.message.unread').count();
    await Promise.all([page.waitForURL(/\/inbox$/, { timeout: TIMEOUT }), page.locator('.message.unread button').first().click()]);
    assert.equal(await page.locator('.message.unread').count(), unread - 1);
    // The inbox also holds 发展党员 reminders: take the organisational-life one.
    const branchLedger = await page
      .locator('.message a[href^="/orglife"]', { hasText: '查看' })
      .first()
      .getAttribute('href');

    // A street admin approves an exemption for the branch.
    const { context: adminContext, page: street } = await newPage(browser);
    await login(street, 'street_admin');
    await street.goto(url(branchLedger), { waitUntil: 'domcontentloaded' });
    await street.click('summary:has-text("批准免于要求")');
    await street.selectOption('form.exemption-form select[name=institution]', 'themed_party_day');
    const year = new Date(Date.now() + 8 * 3600 * 1000).getUTCFullYear();
    await street.fill('form.exemption-form input[name=from]', `${year}-02-01`);
    await street.fill('form.exemption-form input[name=to]', `${year}-02-28`);
    await street.fill('form.exemption-form input[name=reason]', '春节期间集中走访慰问');
    await street.fill('form.exemption-form input[name=approval]', '街道党工委〔2026〕3号');
    await Promise.all([street.waitForLoadState('domcontentloaded'), street.click('form.exemption-form button[type=submit]')]);
    await street.waitForSelector('#exemptions', { timeout: TIMEOUT });
    assert.match(await street.textContent('#exemptions'), /春节期间集中走访慰问/);
    const february = street.locator('tr[data-institution="themed_party_day"] .cell', { hasText: `${year}年2月 ` });
    assert.match(await february.getAttribute('class'), /st-exempt/);
    await shot(street, 'orglife-exemption');
    await adminContext.close();

    // The system admin keeps the rule sets.
    const { context: rootContext, page: admin } = await newPage(browser);
    await login(admin, 'admin');
    await admin.goto(url('/orglife/rules?kind=temporary'), { waitUntil: 'domcontentloaded' });
    await admin.waitForSelector('#rule-kinds', { timeout: TIMEOUT });
    await admin.uncheck('input[name=owed_party_group_meeting]');
    await admin.selectOption('select[name=frequency_party_lecture]', 'yearly');
    await admin.selectOption('select[name=effective_year]', String(year + 1));
    await Promise.all([admin.waitForURL(/saved=1/, { timeout: TIMEOUT }), admin.click('form.rules-form button[type=submit]')]);
    assert.match(await admin.textContent('main'), new RegExp(`第 1 版，自 ${year + 1} 年起执行`));
    await shot(admin, 'orglife-rules');
    await rootContext.close();
  } finally {
    await browser.close();
  }
});
