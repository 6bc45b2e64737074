// The web view's sliders in a real headless Chromium on a three-way split (the page served by a
// real control-plane API on a copy of the canary example with a v3): the keyboard moves v3 to 0,
// v1 and v2 share its part as they shared the rest, and the file gets exactly those numbers.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiServer } from '../../../src/control/api.ts';
import { eventLog } from '../../../src/control/events.ts';
import { tapStore } from '../../../src/control/tap.ts';
import { webRoutes } from '../../../src/web/routes.ts';
import { createToken } from '../../../src/web/token.ts';
import { launchBrowser, pageProblems } from '../../helpers/browser.ts';

const EXAMPLE = new URL('../../../examples/canary/', import.meta.url).pathname;
const ROUTE = '.route[data-route="default/reviews#0"]';

let dir: string;
let api: ApiServer;
let browser: Browser;
let page: Page;
let pageErrors: string[] = [];

async function edit(file: string, change: (text: string) => string): Promise<void> {
  const text = await readFile(join(dir, file), 'utf8');
  const changed = change(text);
  if (changed === text) throw new Error(`${file}: nothing changed`);
  await writeFile(join(dir, file), changed);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localmesh-sliders-'));
  await cp(EXAMPLE, dir, { recursive: true, filter: (src) => !src.split('/').includes('.mesh') });
  await edit('mesh.yaml', (t) => t + '        v3:\n          command: [node, ../app/server.mjs]\n          env: { SERVICE: reviews, VERSION: v3 }\n');
  await edit('reviews.yaml', (t) => t
    .replace('weight: 90   # stable', 'weight: 50')
    .replace('weight: 10   # canary', 'weight: 30\n        - destination:\n            host: reviews\n            subset: v3\n          weight: 20')
    .replace('        version: v2\n', '        version: v2\n    - name: v3\n      labels:\n        version: v3\n'));
  const token = await createToken(dir);
  api = await startApi({
    port: 0,
    controller: { status: () => ({ dir, valid: true, version: '1', proxies: [], diagnostics: [] }) as never, snapshot: () => undefined },
    xds: { status: () => [] },
    events: eventLog(),
    traffic: { report: () => ({ at: Date.now(), windowMs: 3000, proxies: [], routes: [], subsets: [] }) },
    tap: tapStore(),
    routes: webRoutes({ dir, token }),
  });
  browser = await launchBrowser();
  page = await browser.newPage();
  pageErrors = pageProblems(page);
  await page.goto(`http://127.0.0.1:${api.port}/ui/?token=${token}`, { waitUntil: 'load' });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Shown = { textContent: string | null; value?: string };
const texts = (selector: string) => page.$$eval(selector, (els) => els.map((e) => (e as unknown as Shown).textContent));

describe('the web view\'s sliders', () => {
  it('moves one of three destinations by keyboard; the others share the rest; the file has the numbers', async () => {
    await page.waitForSelector(`${ROUTE} input[type=range][data-label=v3]`, { timeout: 10_000 });
    expect(await texts(`${ROUTE} .weight`)).toEqual(['v1 50%', 'v2 30%', 'v3 20%']);
    await page.focus(`${ROUTE} input[type=range][data-label=v3]`);
    await page.keyboard.press('Home');
    const deadline = Date.now() + 10_000;
    let weights: string[] = [];
    while (Date.now() < deadline) {
      weights = [...(await readFile(join(dir, 'reviews.yaml'), 'utf8')).matchAll(/weight: (\d+)/g)].map((m) => m[1]!);
      if (weights.join() === '63,37,0') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(weights).toEqual(['63', '37', '0']);
    // The focus stays on the slider across the page's redraws, and the page shows the file's numbers.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await texts(`${ROUTE} .weight`)).toEqual(['v1 63%', 'v2 37%', 'v3 0%']);
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { dataset: { label: string } } } }).document.activeElement.dataset.label)).toBe('v3');
    expect(pageErrors).toEqual([]);
  }, 30_000);
});
