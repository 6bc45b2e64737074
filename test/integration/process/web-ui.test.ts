// The web view in a real headless Chromium against a running mesh (examples/canary on the process
// runtime): `mesh ui` prints the URL with this run's token; the page shows the route with reviews
// v1/v2 at 90/10; moving the slider to the middle writes 50/50 into reviews.yaml (only the
// numbers change), the proxies get it, and the split observed through the gateway follows; the
// service graph (where the control plane serves GET /graph) shows reviews v1 and v2.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlStatus } from '../../../src/control/controller.ts';
import type { TrafficReport } from '../../../src/control/traffic.ts';
import type { ProxyStatus } from '../../../src/xds/types.ts';
import { launchBrowser, pageProblems } from '../../helpers/browser.ts';
import { binomialCheck } from '../../helpers/traffic.ts';
import { getJson, mesh, sleep, startLoad, upExample } from './harness.ts';

const canary = upExample('canary');
const ROUTE = '.route[data-route="default/reviews#0"]';

let browser: Browser;
let page: Page;
let pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage();
  pageErrors = pageProblems(page);
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** What a test reads of an element (the project's types have no DOM). */
type Shown = { textContent: string | null; value?: string };
const texts = (selector: string) => page.$$eval(selector, (els) => els.map((e) => (e as unknown as Shown).textContent));
const textOf = async (selector: string) => (await texts(selector))[0] ?? '';
const sliderValue = () => page.$eval(`${ROUTE} input[type=range]`, (i) => (i as unknown as Shown).value);
const weightText = () => texts(`${ROUTE} .weight`);

describe('the web view in a browser', () => {
  it('mesh ui prints the URL with the token, and the page shows reviews v1/v2 at 90/10', async () => {
    const ui = await mesh('ui', '--no-open', canary.dir);
    expect(ui.code, ui.stderr).toBe(0);
    const url = /The web view: (\S+)/.exec(ui.stdout)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui\/\?token=[\w-]+$/);
    await page.goto(url!, { waitUntil: 'load' });
    await page.waitForSelector(`${ROUTE} input[type=range]`, { timeout: 10_000 });
    expect(await weightText()).toEqual(['v1 90%', 'v2 10%']);
    expect(await sliderValue()).toBe('90');
    // Kept by the page, gone from the address bar (as Jupyter does).
    expect(page.url()).not.toContain('token');
    expect(await texts('#services li')).toEqual([expect.stringMatching(/^reviews v1, v2/)]);
  }, 30_000);

  it('moving the slider to 50 writes 50/50 into reviews.yaml, and the observed split follows', async () => {
    const file = join(canary.dir, 'reviews.yaml');
    const before = await readFile(file, 'utf8');
    const version = (await getJson<ControlStatus>(`${canary.api}/status`)).version;
    // The middle of the track is 50: a click there moves the thumb as a drag would.
    const slider = (await page.$(`${ROUTE} input[type=range]`))!;
    const box = (await slider.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    expect(await sliderValue()).toBe('50');
    const after = await until('reviews.yaml at 50/50', async () => {
      const text = await readFile(file, 'utf8');
      return /weight: 50[^\n]*\n[\s\S]*weight: 50/.test(text) ? text : undefined;
    });
    expect(after.replace(/weight: \d+/g, 'weight: N')).toBe(before.replace(/weight: \d+/g, 'weight: N'));
    await until('the page showing 50/50', async () => ((await weightText()).join() === 'v1 50%,v2 50%' ? true : undefined));
    expect(await textOf('#message')).toMatch(/v1 90 → 50, v2 10 → 50/);
    // Pushed and acknowledged by every proxy.
    await until('the new version on every proxy', async () => {
      const status = await getJson<ControlStatus>(`${canary.api}/status`);
      const proxies = await getJson<ProxyStatus[]>(`${canary.api}/proxies`);
      return status.version !== version && !status.pending && proxies.every((p) => p.sync === 'SYNCED') ? true : undefined;
    });

    const load = startLoad(canary.gatewayPort, 4);
    await sleep(5000);
    // Under the load, the page's own reading of /traffic shows the same split.
    const observed = await until('the page showing the observed split', async () => {
      const text = await textOf(`${ROUTE} .observed-text`);
      return /observed v1 \d+% \/ v2 \d+%/.test(text) ? text : undefined;
    });
    const v2Shown = Number(/v2 (\d+)%/.exec(observed)![1]);
    expect(v2Shown).toBeGreaterThan(30);
    expect(v2Shown).toBeLessThan(70);
    // The service graph, where the control plane has one (GET /graph): the canary's two versions.
    if ((await fetch(`${canary.api}/graph`)).status === 404) {
      expect(await page.$eval('#graph-pane', (p) => (p as unknown as { hidden: boolean }).hidden)).toBe(true);
    } else {
      const nodes = await until('the graph showing reviews v1 and v2', async () => {
        const shown = await page.$$eval('#graph-svg [data-node]', (els) => els.map((e) => (e as unknown as { getAttribute(name: string): string | null }).getAttribute('data-node')));
        return shown.includes('reviews/v1') && shown.includes('reviews/v2') ? shown : undefined;
      });
      console.log(`web ui: the graph shows ${nodes.join(', ')}`);
    }
    // Traces, where the control plane keeps them (GET /traces): hidden otherwise.
    if ((await fetch(`${canary.api}/traces`)).status === 404) {
      expect(await page.$eval('#traces-pane', (p) => (p as unknown as { hidden: boolean }).hidden)).toBe(true);
    }
    const report = await getJson<TrafficReport>(`${canary.api}/traffic?window=3000`);
    const responses = await load.stop();
    const ok = responses.filter((r) => r.status === 200);
    const v2 = ok.filter((r) => r.version === 'v2').length;
    const check = binomialCheck(v2, ok.length, 0.5);
    const rps = (subset: string) => report.subsets.find((s) => s.host.startsWith('reviews.') && s.subset === subset)?.rps ?? 0;
    const share = rps('v2') / (rps('v1') + rps('v2'));
    console.log(`web ui: after the slider, ${v2} of ${ok.length} requests to v2 (${check.message}); /traffic v2 share ${(100 * share).toFixed(1)}%`);
    expect(ok.length).toBe(responses.length);
    expect(check.ok, check.message).toBe(true);
    expect(share).toBeGreaterThan(0.35);
    expect(share).toBeLessThan(0.65);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
