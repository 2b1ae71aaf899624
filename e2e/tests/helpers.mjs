// Shared helpers for the browser tests.
//
// playwright-core only (it never downloads a browser): we drive the system
// Chromium from Debian's `chromium` package. e2e/run.sh installs it together
// with fonts-noto-cjk so Chinese text renders in screenshots.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

export const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:18080').replace(/\/+$/, '');
export const PASSWORD = process.env.E2E_PASSWORD || 'Demo2026pass';
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || path.join(repoRoot, 'docs', 'screenshots');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Default timeout (ms) for waits and navigations. */
export const TIMEOUT = 15_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Absolute URL for a path on the app under test. */
export function url(p = '/') {
  if (/^https?:\/\//.test(p)) return p;
  return BASE_URL + (p.startsWith('/') ? p : `/${p}`);
}

function contextOptions(mobile) {
  return {
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...(mobile
      ? {
          viewport: { width: 390, height: 844 },
          isMobile: true,
          hasTouch: true,
          deviceScaleFactor: 2,
        }
      : {
          viewport: { width: 1366, height: 900 },
          deviceScaleFactor: 1,
        }),
  };
}

/**
 * Open a page in a fresh context (own cookies) of an already launched browser.
 * Same options as launch(). Returns { context, page }.
 */
export async function newPage(browser, { mobile = false } = {}) {
  const context = await browser.newContext(contextOptions(mobile));
  context.setDefaultTimeout(TIMEOUT);
  context.setDefaultNavigationTimeout(TIMEOUT);
  const page = await context.newPage();
  return { context, page };
}

/**
 * Launch Chromium and open one page in a fresh context.
 * `launch()` gives a 1366x900 desktop; `launch({ mobile: true })` a 390x844
 * phone (isMobile, hasTouch, deviceScaleFactor 2). Locale zh-CN, time zone
 * Asia/Shanghai. Returns { browser, context, page }; close with `browser.close()`.
 */
export async function launch({ mobile = false } = {}) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
  try {
    const { context, page } = await newPage(browser, { mobile });
    return { browser, context, page };
  } catch (err) {
    await browser.close().catch(() => {});
    throw err;
  }
}

/** Visible text of the page body, shortened for error messages. */
export async function pageText(page, max = 2000) {
  const text = await page
    .evaluate(() => (document.body ? document.body.innerText : document.documentElement.outerHTML))
    .catch((e) => `<could not read page text: ${e.message}>`);
  const t = String(text).replace(/\s+\n/g, '\n').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/**
 * Log in through the /login form and wait until the browser has left /login.
 * Throws, quoting the page text, when the login did not succeed.
 */
export async function login(page, username, password = PASSWORD) {
  await page.goto(url('/login'), { waitUntil: 'domcontentloaded', timeout: TIMEOUT });
  await page.waitForSelector('input[name=username]', { timeout: TIMEOUT });
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  const left = page
    .waitForURL((u) => !new URL(u).pathname.replace(/\/+$/, '').endsWith('/login'), {
      timeout: TIMEOUT,
      waitUntil: 'domcontentloaded',
    })
    .then(
      () => true,
      () => false,
    );
  await page.click('button[type=submit]');
  if (!(await left)) {
    throw new Error(
      `login as ${username} failed: still on ${page.url()}\n--- page text ---\n${await pageText(page)}`,
    );
  }
  await page.waitForLoadState('domcontentloaded', { timeout: TIMEOUT });
}

/** Full-page screenshot to `${SCREENSHOT_DIR}/${name}.png`; returns the path. */
export async function shot(page, name, { fullPage = true } = {}) {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  // Let web fonts and htmx swaps settle before capturing.
  await page.evaluate(() => (document.fonts ? document.fonts.ready.then(() => true) : true)).catch(() => {});
  await page.screenshot({ path: file, fullPage, timeout: TIMEOUT });
  return file;
}

/**
 * Poll `fn` (async, returns truthy when done) until it succeeds or `timeout`
 * ms pass; returns the last truthy value, throws with `message` otherwise.
 */
export async function poll(fn, { timeout = 10_000, interval = 200, message = 'condition not met' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastErr;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      const why = lastErr ? ` (last error: ${lastErr.message})` : '';
      throw new Error(`${message} after ${timeout} ms${why}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
