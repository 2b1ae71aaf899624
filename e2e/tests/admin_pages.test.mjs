// The office pages of a street admin: the org tree, territory, users, the audit log, and an
// import that is refused with row-level errors and then accepted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TIMEOUT, launch, login, shot, url } from './helpers.mjs';

// GB 11643 check character, so the file's numbers are valid.
function idNumber(first17) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

test('a street admin browses the trees, imports members and reads the audit log', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch();
  try {
    await login(page, 'street_admin');

    await page.click('nav.mainnav a[href="/orgs"]');
    await page.waitForSelector('h1', { timeout: TIMEOUT });
    assert.match(await page.textContent('h1'), /街道/);
    const child = page.locator('table a[href^="/orgs/"]').first();
    const childName = (await child.textContent()).trim();
    await Promise.all([page.waitForURL(/\/orgs\/\d+/, { timeout: TIMEOUT }), child.click()]);
    assert.equal((await page.textContent('h1')).trim(), childName);
    await shot(page, 'org-page');

    await page.click('nav.mainnav a[href="/territory"]');
    await page.waitForSelector('h1', { timeout: TIMEOUT });
    assert.match(await page.textContent('main'), /街道/);
    await shot(page, 'territory');

    // Pick a branch name from the member list to use in the import file.
    await page.goto(url('/members'), { waitUntil: 'domcontentloaded' });
    const branch = (await page.locator('#member-results td.branch').first().textContent()).trim();
    const header = '姓名,身份证号,手机号,所在党支部,党员类别,管理方式,党员状态,入党日期,转正日期,工作单位,失联党员,口袋党员,报到社区,报到日期';
    const good = idNumber('32010619700101' + '123');
    const rows = [
      `导入甲,${good},13700000000,${branch},离退休,,正式党员,1995-07-01,1996-07-01,,否,否,,`,
      `导入乙,32010619700101124X,,不存在的支部,离退休,,正式党员,1995-13-01,,,否,否,,`,
    ];
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dj-import-'));
    const bad = path.join(dir, 'bad.csv');
    await writeFile(bad, '\ufeff' + [header, ...rows].join('\n') + '\n');
    await page.click('nav.mainnav a[href="/members/import"]');
    await page.setInputFiles('input[name=file]', bad);
    await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('form[action="/members/import"] button[type=submit]')]);
    await page.waitForSelector('#import-errors', { timeout: TIMEOUT });
    const errors = await page.locator('#import-errors').innerText();
    assert.match(errors, /不存在的支部/);
    assert.match(errors, /入党日期/);
    await shot(page, 'import-errors');

    const fixed = path.join(dir, 'good.csv');
    await writeFile(fixed, '\ufeff' + [header, rows[0]].join('\n') + '\n');
    await page.setInputFiles('input[name=file]', fixed);
    await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('form[action="/members/import"] button[type=submit]')]);
    await page.waitForSelector('.flash', { timeout: TIMEOUT });
    assert.match(await page.textContent('.flash'), /导入成功：共 1 名党员/);

    await page.click('nav.mainnav a[href="/users"]');
    await page.waitForSelector('table', { timeout: TIMEOUT });
    assert.match(await page.textContent('main'), /street_admin/);
    await shot(page, 'users');

    await page.click('nav.mainnav a[href="/audit"]');
    await page.waitForSelector('table.audit', { timeout: TIMEOUT });
    assert.match(await page.locator('table.audit').innerText(), /导入 1 名党员/);
    await shot(page, 'audit');
  } finally {
    await browser.close();
  }
});
