// Reads every proxy's Envoy stats once a second and keeps a sliding window of samples, for
// /traffic. A proxy that cannot be reached is reported as such; the others still count.
import { parseStats, startSample, STATS_QUERY, trafficReport, type FaultRoute, type ProxyScrape, type StatsSample, type TrafficReport } from './traffic.ts';

/** A proxy and the URL of its Envoy `/stats` (admin, or a stats port that serves it). */
export interface StatsTarget {
  proxy: string;
  statsUrl: string;
  /** Its routes that inject faults (fault-routes.ts), so that what they inject is counted. */
  faults?: FaultRoute[];
}

export interface ScraperOptions {
  /** The proxies to read, asked before every round (they change with the mesh). */
  targets(): StatsTarget[];
  intervalMs?: number;
  windowMs?: number;
}

export interface Scraper {
  /** The traffic over the last `windowMs` (at most the window kept; all of it by default). */
  report(windowMs?: number): TrafficReport;
  /** One round now (tests; the timer does the rest). */
  scrape(): Promise<void>;
  close(): void;
}

export function startScraper(options: ScraperOptions): Scraper {
  const { targets, intervalMs = 1000, windowMs = 10_000 } = options;
  const samples = new Map<string, StatsSample[]>();
  const scrapes = new Map<string, ProxyScrape>();

  async function scrapeOne({ proxy, statsUrl, faults }: StatsTarget): Promise<void> {
    const url = `${statsUrl}${statsUrl.includes('?') ? '&' : '?'}${STATS_QUERY}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.max(200, intervalMs - 100)) });
      if (!response.ok) throw new Error(`HTTP ${response.status} from ${statsUrl}`);
      const at = Date.now();
      const sample = parseStats(await response.json(), at);
      if (faults?.length) sample.faults = faults;
      const windowStart = at - windowMs;
      samples.set(proxy, inWindow([...sameEnvoy(samples.get(proxy) ?? [], sample.startedAt, windowStart), sample], windowStart));
      scrapes.set(proxy, { proxy, url: statsUrl, reachable: true, lastScrapeAt: at });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      scrapes.set(proxy, { ...scrapes.get(proxy), proxy, url: statsUrl, reachable: false, error: cause ?? (error as Error).message });
    }
  }

  let round: Promise<void> | undefined;
  async function scrape(): Promise<void> {
    const current = targets();
    const names = new Set(current.map((t) => t.proxy));
    for (const proxy of samples.keys()) if (!names.has(proxy)) samples.delete(proxy);
    for (const proxy of scrapes.keys()) if (!names.has(proxy)) scrapes.delete(proxy);
    await Promise.all(current.map(scrapeOne));
  }
  const timer = setInterval(() => {
    round ??= scrape().finally(() => (round = undefined));
  }, intervalMs);
  timer.unref();

  return {
    report(window = windowMs) {
      const at = Date.now();
      const span = Math.min(window, windowMs);
      const fresh = new Map([...samples].map(([proxy, list]) => [proxy, inWindow(list, at - span)]));
      const proxies = targets().map(({ proxy, statsUrl }) => scrapes.get(proxy) ?? { proxy, url: statsUrl, reachable: false, error: 'not read yet' });
      return trafficReport(fresh, proxies.sort((a, b) => a.proxy.localeCompare(b.proxy)), at, span);
    },
    scrape,
    close: () => clearInterval(timer),
  };
}

/** The samples after `since`, and the newest one at or before it as their baseline. */
function inWindow(list: StatsSample[], since: number): StatsSample[] {
  return list.slice(Math.max(0, list.findLastIndex((s) => s.at <= since)));
}

/**
 * The samples kept for a proxy that started at `startedAt`: the same as before when it is the same
 * Envoy; else (a first scrape, or a restart) none, plus its all-zero start when that is in the
 * window, so the requests since it started count.
 */
function sameEnvoy(list: StatsSample[], startedAt: number | undefined, windowStart: number): StatsSample[] {
  if (startedAt === undefined) return list;
  const previous = list.at(-1)?.startedAt;
  // Uptime is in whole seconds and moves at each stats flush (every second: see the bootstrap).
  if (previous !== undefined && Math.abs(previous - startedAt) < 2000) return list;
  return startedAt > windowStart ? [startSample(startedAt)] : [];
}
