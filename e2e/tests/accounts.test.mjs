// Accounts: a user locked out by wrong passwords from one machine, whom the system admin
// unlocks on the users page; API tokens issued with an expiry, used, listed and revoked; and
// every page, Swagger UI included, running under the Content-Security-Policy without a single
// refusal in the console.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT, launch, login, newPage, poll, shot, url } from './helpers.mjs';

const USER = 'e2e_locked';
const USER_PASSWORD = 'Locked2026pass';

/** Collects the console's Content-Security-Policy refusals of a page. */
function watchCsp(page, into) {
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to (execute|load|apply|frame)/i.test(msg.text())) {
      into.push(`${page.url()}: ${msg.text()}`);
    }
  });
}

async function tryLogin(page, password) {
  await page.goto(url('/login'), { waitUntil: 'domcontentloaded' });
  await page.fill('input[name=username]', USER);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('button[type=submit]')]);
  return page.url();
}

test('the admin unlocks a locked user and issues, lists and revokes API tokens', { timeout: 180_000 }, async () => {
  const { browser, page } = await launch();
  const refusals = [];
  watchCsp(page, refusals);
  try {
    await login(page, 'admin');

    // A new user for this test alone, so that locking it disturbs no other test.
    await page.goto(url('/users'), { waitUntil: 'domcontentloaded' });
    await page.click('details summary');
    await page.fill('input[name=username]', USER);
    await page.fill('input[name=display_name]', '锁定测试');
    await page.fill('form[action="/users"] input[name=password]', USER_PASSWORD);
    await page.selectOption('select[name=role]', 'branch_officer');
    await Promise.all([page.waitForURL(/\/users\?saved=user$/), page.click('form[action="/users"] button[type=submit]')]);
    assert.match(await page.textContent('main'), new RegExp(USER));

    // Five wrong passwords from this machine lock the name here, even for the right one.
    const other = await newPage(browser);
    watchCsp(other.page, refusals);
    for (let i = 0; i < 5; i++) {
      await tryLogin(other.page, 'wrong-password1');
      assert.match(await other.page.textContent('.error'), /用户名或密码错误/);
    }
    await tryLogin(other.page, USER_PASSWORD);
    assert.match(await other.page.textContent('.error'), /分钟后再试/);
    await shot(other.page, 'login-locked');

    // The admin lifts the lock on the users page.
    await page.goto(url('/users'), { waitUntil: 'domcontentloaded' });
    const row = page.locator('tr', { hasText: USER });
    await Promise.all([page.waitForLoadState('domcontentloaded'), row.locator('button', { hasText: '解锁' }).click()]);
    await page.waitForSelector('.flash', { timeout: TIMEOUT });
    assert.match(await page.textContent('.flash'), new RegExp(`已解除 ${USER} 的登录锁定`));
    await shot(page, 'users-unlock');

    const landed = await tryLogin(other.page, USER_PASSWORD);
    assert.ok(!new URL(landed).pathname.startsWith('/login'), `still on ${landed}`);
    await other.context.close();

    // A token for 30 days: shown once, listed without its value, used, then revoked.
    await page.click('nav.mainnav a[href="/tokens"]');
    await page.fill('input[name=name]', '区级数据对接');
    await page.selectOption('select[name=days]', '30');
    await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('form[action="/tokens"] button[type=submit]')]);
    const token = (await page.textContent('#new-token')).trim();
    assert.match(token, /^dj_/);
    const listed = page.locator('#tokens tr', { hasText: '区级数据对接' });
    assert.match(await listed.innerText(), /从未使用/);
    const me = await fetch(url('/api/v1/me'), { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).username, 'admin');
    await page.goto(url('/tokens'), { waitUntil: 'domcontentloaded' });
    assert.doesNotMatch(await listed.innerText(), /从未使用/);
    assert.doesNotMatch(await page.textContent('main'), new RegExp(token));
    await shot(page, 'tokens');
    await Promise.all([page.waitForURL(/\/tokens$/), listed.locator('button', { hasText: '撤销' }).click()]);
    assert.equal(await page.locator('#tokens tr', { hasText: '区级数据对接' }).count(), 0);
    const after = await fetch(url('/api/v1/me'), { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(after.status, 401);

    // A filter that submits itself on change, which used to be an inline handler.
    await page.goto(url('/audit'), { waitUntil: 'domcontentloaded' });
    await Promise.all([page.waitForURL(/entity=api_token/), page.selectOption('select[name=entity]', 'api_token')]);
    assert.match(await page.locator('table.audit').innerText(), /撤销用户 admin 的 API 令牌「区级数据对接」/);

    // The public call form counts the chosen photos, which used to be an inline handler.
    await page.goto(url('/public/calls/new'), { waitUntil: 'domcontentloaded' });
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
      'base64',
    );
    await page.setInputFiles('input[name=photos]', [{ name: '现场.png', mimeType: 'image/png', buffer: png }]);
    await poll(async () => (await page.textContent('.file-names')).includes('已选 1 张'), {
      timeout: TIMEOUT,
      message: 'the photo count did not change',
    });

    // Swagger UI runs under its own policy.
    await page.goto(url('/api/docs/'), { waitUntil: 'domcontentloaded' });
    await poll(async () => /dangjian API/.test(await page.locator('.swagger-ui .info').innerText().catch(() => '')), {
      timeout: TIMEOUT,
      message: 'Swagger UI did not render the API document',
    });
    await page.locator('.opblock-tag', { hasText: '账号' }).first().waitFor({ timeout: TIMEOUT });
    await shot(page, 'api-docs');

    assert.deepEqual(refusals, [], 'no page was refused anything by the Content-Security-Policy');
  } finally {
    await browser.close();
  }
});
