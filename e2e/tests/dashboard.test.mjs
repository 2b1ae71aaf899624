// The dashboard draws the district's figures from the roll-ups; a bar opens the member list it
// counts, and that list holds as many members as the bar says. A monthly report opens as a
// print-ready page and prints to PDF with Chromium. Desktop and phone screenshots.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TIMEOUT, launch, login, shot, url } from './helpers.mjs';

/** The centre of bar `index` of the chart labelled `label`, in page coordinates, and its value. */
async function barOf(page, label, index) {
  const chart = page.locator(`.chart[aria-label^="${label}"]`);
  await chart.waitFor({ state: 'visible', timeout: TIMEOUT });
  const box = await chart.boundingBox();
  const bar = await chart.evaluate((el, i) => {
    const instance = window.echarts.getInstanceByDom(el);
    const layout = instance.getModel().getSeriesByIndex(0).getData().getItemLayout(i);
    const option = instance.getOption();
    const axis = [...option.xAxis, ...option.yAxis].find((a) => a.type === 'category');
    return {
      x: layout.x + layout.width / 2,
      y: layout.y + layout.height / 2,
      value: Number(option.series[0].data[i]),
      name: axis.data[i],
    };
  }, index);
  return { x: box.x + bar.x, y: box.y + bar.y, value: bar.value, name: bar.name };
}

test('a dashboard bar opens the member list it counts', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch();
  try {
    await login(page, 'admin');
    await page.waitForSelector('.chart.drawn', { timeout: TIMEOUT });
    const total = Number((await page.textContent('#members-total')).trim());
    assert.ok(total > 0, 'the district has members');
    await shot(page, 'dashboard-charts');

    // The second age band has members in the demo; click its bar.
    await page.locator('.chart[aria-label^="年龄结构"]').scrollIntoViewIfNeeded();
    const bar = await barOf(page, '年龄结构', 1);
    assert.ok(bar.value > 0, `the bar ${bar.name} counts members`);
    await Promise.all([
      page.waitForURL(/\/members\?.*age=/, { timeout: TIMEOUT }),
      page.mouse.click(bar.x, bar.y),
    ]);
    await page.waitForSelector('#member-total', { timeout: TIMEOUT });
    const listed = Number((await page.textContent('#member-total')).match(/共 (\d+) 人/)[1]);
    assert.equal(listed, bar.value, `the list under ${bar.name} holds what the bar said`);
    await shot(page, 'dashboard-drilldown');

    // A street below, through the map of subordinate organisations' table.
    await page.goto(url('/'), { waitUntil: 'domcontentloaded' });
    const export_ = await page.request.get(url('/dashboard/export'));
    assert.equal(export_.status(), 200);
    assert.match(export_.headers()['content-type'], /spreadsheetml/);
  } finally {
    await browser.close();
  }
});

test('a monthly report prints to PDF', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch();
  const dir = await mkdtemp(path.join(tmpdir(), 'dangjian-report-'));
  try {
    await login(page, 'street_admin');
    await page.goto(url('/reports'), { waitUntil: 'domcontentloaded' });
    // The demo's archive already holds last week's and last month's reports.
    assert.ok((await page.locator('table.list tbody tr').count()) >= 2, 'the archive has reports');
    const monthly = await page
      .locator('select[name=period] option')
      .evaluateAll((os) => os.map((o) => o.value).find((v) => v.startsWith('monthly:')));
    await page.selectOption('select[name=period]', monthly);
    await Promise.all([
      page.waitForURL(/\/reports\/\d+$/, { timeout: TIMEOUT }),
      page.click('form[action="/reports"] button[type=submit]'),
    ]);
    assert.match(await page.textContent('h1'), /月报/);
    assert.match(await page.textContent('#report-changes'), /党员/);
    assert.match(await page.textContent('.signatures'), /审核人.*填报人/s);
    await shot(page, 'report-monthly');

    const pdf = path.join(dir, 'report.pdf');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('.mainnav').isVisible(), false, 'no navigation on paper');
    await page.pdf({ path: pdf, format: 'A4', printBackground: true });
    const bytes = await readFile(pdf);
    assert.equal(bytes.subarray(0, 4).toString(), '%PDF');
    assert.ok(bytes.length > 20_000, `a PDF with content (${bytes.length} bytes)`);
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('on a phone the charts stack and the report reads', { timeout: 120_000 }, async () => {
  const { browser, page } = await launch({ mobile: true });
  try {
    await login(page, 'street_admin');
    await page.waitForSelector('.chart.drawn', { timeout: TIMEOUT });
    const boxes = await page.locator('.chart.drawn').evaluateAll((els) =>
      els.slice(0, 2).map((e) => {
        const r = e.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width };
      }),
    );
    assert.equal(Math.round(boxes[0].x), Math.round(boxes[1].x), 'one column');
    assert.ok(boxes[1].y > boxes[0].y, 'stacked');
    assert.ok(boxes[0].width <= 390, 'within the screen');
    await shot(page, 'dashboard-mobile');
    await page.goto(url('/reports'), { waitUntil: 'domcontentloaded' });
    await page.click('table.list tbody tr a');
    await page.waitForSelector('article.report', { timeout: TIMEOUT });
    await shot(page, 'report-mobile');
  } finally {
    await browser.close();
  }
});
