// A real headless Chromium for the web view's tests, driven by puppeteer-core over the DevTools
// protocol: Debian's chromium (scripts/test installs it and passes CHROMIUM_BIN). Without one the
// test fails, saying so: never a skip.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_BIN, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`No Chromium at ${candidates.join(', ')}: install Debian's chromium (scripts/test does) or set CHROMIUM_BIN.`);
  return found;
}

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // As root in CI: Chromium's sandbox needs user namespaces a container may not give.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}

/** What the page asks for that a control plane may not have yet (the page then hides that pane). */
const OPTIONAL = ['/graph', '/traces'];

/** The page's uncaught errors, console errors and failed requests (but the optional ones), as they happen. */
export function pageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (message) => void (message.type() === 'error' && !message.text().startsWith('Failed to load resource') && problems.push(message.text())));
  page.on('response', (response) => void (response.status() >= 400 && !OPTIONAL.includes(new URL(response.url()).pathname) && problems.push(`${response.status()} ${response.url()}`)));
  return problems;
}
