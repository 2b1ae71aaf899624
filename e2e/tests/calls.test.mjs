// Residents' calls (你呼我应): a resident reports cars blocking the fire lane on their phone, the
// community committee acknowledges, answers and resolves it, the resident proves the call is
// theirs with the last four digits of their phone, sees what they wrote and rates it 满意, and
// the call closes; the street sees it in the figures and the resident's phone masked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, newPage, poll, shot, url } from './helpers.mjs';

const PHONE = '13912345678';

/** A 480×320 PNG drawn in the page, so the uploaded photo is a real picture. */
async function scenePng(page) {
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 480;
    c.height = 320;
    const g = c.getContext('2d');
    g.fillStyle = '#dfe6ec';
    g.fillRect(0, 0, 480, 320);
    g.fillStyle = '#c8102e';
    g.fillRect(0, 250, 480, 20);
    g.fillStyle = '#334';
    g.fillRect(80, 180, 160, 70);
    g.fillRect(280, 190, 140, 60);
    g.fillStyle = '#222';
    g.font = '28px sans-serif';
    g.fillText('消防通道 禁止停车', 110, 60);
    return c.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

test('a resident reports on the phone, the community resolves, the resident rates', { timeout: 180_000 }, async () => {
  const { browser, page: phone } = await launch({ mobile: true });
  try {
    // 1. The public form on a phone.
    await phone.goto(url('/public/calls/new'), { waitUntil: 'domcontentloaded' });
    await phone.waitForSelector('form.call-form', { timeout: TIMEOUT });
    const item = await phone
      .locator('select[name=item_code] optgroup[label="交通出行"] option', { hasText: '机动车乱停放' })
      .getAttribute('value');
    assert.ok(item, '机动车乱停放 under 交通出行');
    await phone.selectOption('select[name=item_code]', item);
    const community = await phone.locator('select[name=territory_id] option', { hasText: '丽源社区' }).first().getAttribute('value');
    assert.ok(community, 'the 丽源社区 community is offered');
    const places = phone.waitForResponse((r) => r.url().includes('/public/calls/places'), { timeout: TIMEOUT });
    await phone.selectOption('select[name=territory_id]', community);
    await places;
    const grids = phone.locator('#place option', { hasText: '网格：' });
    await poll(async () => (await phone.locator('#place option').count()) >= 1, { message: '#place options loaded' });
    if ((await grids.count()) > 0) {
      await phone.selectOption('#place', await grids.first().getAttribute('value'));
    }
    await phone.fill('input[name=address]', '丽源小区东门');
    await phone.fill('textarea[name=description]', '小区东门机动车乱停放，消防通道被堵');
    await phone.setInputFiles('input[name=photos]', { name: '现场.png', mimeType: 'image/png', buffer: await scenePng(phone) });
    await phone.fill('input[name=resident_name]', '王女士');
    await phone.fill('input[name=phone]', PHONE);
    await shot(phone, 'call-public-form-mobile');
    await Promise.all([
      phone.waitForURL(/\/public\/calls\/track\?code=.*new=1/, { timeout: TIMEOUT }),
      phone.click('form.call-form button[type=submit]'),
    ]);
    const code = (await phone.textContent('#tracking-code b')).trim();
    assert.match(code, /^[A-Z0-9]{8,}$/, `tracking code ${code}`);
    assert.match(await phone.textContent('#call-status'), /待受理/);
    assert.doesNotMatch(await phone.textContent('main'), /消防通道被堵|丽源小区东门/, 'what was written stays hidden');
    await shot(phone, 'call-tracking-mobile');
    const trackUrl = url(`/public/calls/track?code=${encodeURIComponent(code)}`);

    // 2. The community committee handles it.
    const { context: staffContext, page: staff } = await newPage(browser);
    await login(staff, 'community_admin');
    await staff.goto(url('/calls'), { waitUntil: 'domcontentloaded' });
    const link = staff.locator('#calls a', { hasText: code });
    await link.waitFor({ timeout: TIMEOUT });
    await Promise.all([staff.waitForURL(/\/calls\/\d+$/, { timeout: TIMEOUT }), link.click()]);
    const callUrl = staff.url().split('?')[0];
    assert.equal((await staff.textContent('#call-phone')).trim(), PHONE, 'the holder sees the phone in full');
    assert.match(await staff.textContent('main'), /小区东门机动车乱停放，消防通道被堵/);
    const act = (action) => staff.locator(`form:has(input[name=action][value=${action}])`);
    await Promise.all([staff.waitForURL(/done=1/, { timeout: TIMEOUT }), act('acknowledge').locator('button').click()]);
    assert.match(await staff.textContent('#call-status'), /办理中/);
    await act('respond').locator('[name=text]').fill('已联系物业和交警，今天下午清理');
    await Promise.all([staff.waitForURL(/done=1/, { timeout: TIMEOUT }), act('respond').locator('button').click()]);
    await act('resolve').locator('[name=text]').fill('已协调交警拖离违停车辆，东门加装隔离桩，消防通道已畅通');
    await Promise.all([staff.waitForURL(/done=1/, { timeout: TIMEOUT }), act('resolve').locator('button').click()]);
    assert.match(await staff.textContent('#call-status'), /已办结待评价/);
    const photo = staff.locator('.attachment img').first();
    await photo.waitFor({ timeout: TIMEOUT });
    await poll(() => photo.evaluate((img) => img.complete && img.naturalWidth === 480), { message: 'photo loaded' });
    await shot(staff, 'call-staff');
    await staffContext.close();

    // 3. The resident proves the call is theirs, sees what they wrote, and rates it.
    await phone.goto(trackUrl, { waitUntil: 'domcontentloaded' });
    assert.match(await phone.textContent('#call-status'), /已办结待评价/);
    assert.match(await phone.textContent('#call-history'), /已协调交警拖离违停车辆/, 'the answer is public');
    assert.equal(await phone.locator('#call-description').count(), 0, 'no description before the check');
    assert.equal(await phone.locator('form.rate-form').count(), 0, 'no rating before the check');
    await shot(phone, 'call-tracking-before-check-mobile');
    await phone.fill('form.check-form input[name=phone_tail]', '5678');
    await Promise.all([
      phone.waitForURL(/\/public\/calls\/track$/, { timeout: TIMEOUT }),
      phone.click('form.check-form button[type=submit]'),
    ]);
    assert.match(await phone.textContent('#call-description'), /小区东门机动车乱停放，消防通道被堵/);
    assert.match(await phone.textContent('#call-address'), /丽源小区东门/);
    await shot(phone, 'call-tracking-after-check-mobile');
    await phone.check('form.rate-form input[name=rating][value=satisfied]');
    await Promise.all([
      phone.waitForURL(/rated=1/, { timeout: TIMEOUT }),
      phone.click('form.rate-form button[type=submit]'),
    ]);
    assert.match(await phone.textContent('#call-status'), /已关闭/);
    assert.match(await phone.textContent('.flash'), /感谢您的评价/);
    const history = await phone.textContent('#call-history');
    assert.match(history, /签收/);
    assert.match(history, /办结/);
    assert.match(history, /满意/);
    assert.equal(await phone.locator('form.rate-form').count(), 0, 'no second rating');
    await shot(phone, 'call-rated-mobile');

    // 4. The street sees the figures and the phone masked.
    const { context: streetContext, page: street } = await newPage(browser);
    await login(street, 'street_admin');
    await street.goto(url('/calls/figures'), { waitUntil: 'domcontentloaded' });
    await street.waitForSelector('#call-figures', { timeout: TIMEOUT });
    const row = street.locator('#call-figures tbody tr', { hasText: '丽源社区' });
    assert.ok((await row.count()) >= 1, 'a row for 丽源社区');
    await shot(street, 'call-figures');
    await street.goto(callUrl, { waitUntil: 'domcontentloaded' });
    assert.equal((await street.textContent('#call-phone')).trim(), '139****5678');
    assert.doesNotMatch(await street.textContent('main'), new RegExp(PHONE));
    await streetContext.close();
  } finally {
    await browser.close();
  }
});
