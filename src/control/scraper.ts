// Reads every proxy's Envoy stats once a second and keeps a sliding window of samples, for
// /traffic. A proxy that cannot be reached is reported as such; the others still count.
// Its cost stays bounded however many proxies there are and however many are unreachable: at
// most `concurrency` scrapes at once, a proxy's host name is looked up once and kept while its
// scrapes succeed (a lookup is a getaddrinfo on libuv's thread pool that no timeout cancels: a
// lookup per proxy per second piles up past a few hundred proxies, and its backlog holds the
// process's memory and its exit), and a proxy that keeps failing is tried less often (every 5th
// round at most), so a stopped stack costs little and a restarted proxy is seen within seconds.
// It reads with node:http (./node-http.ts), not fetch: fetch (undici) alone would add about 15 MB
// to the control plane, and more CPU per scrape.
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Agent } from 'node:http';
import { http } from './node-http.ts';
import { isIP } from 'node:net';
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
  /** Scrapes in flight at once (default 16). */
  concurrency?: number;
  /** A host name's address (default: the system resolver, as fetch would). */
  lookup?: (host: string) => Promise<string>;
}

/** Rounds a proxy sits out after its n-th failure in a row: 0, 1, 3, then 4 (every 5th round). */
const skippedRounds = (failures: number) => Math.min(2 ** (failures - 1) - 1, 4);

export interface Scraper {
  /** The traffic over the last `windowMs` (at most the window kept; all of it by default). */
  report(windowMs?: number): TrafficReport;
  /** One round now (tests; the timer does the rest). */
  scrape(): Promise<void>;
  /** Stops: no round starts, and the one under way starts no more scrapes. */
  close(): void;
}

export function startScraper(options: ScraperOptions): Scraper {
  const { targets, intervalMs = 1000, windowMs = 10_000, concurrency = 16 } = options;
  const lookup = options.lookup ?? (async (host: string) => (await dnsLookup(host)).address);
  const samples = new Map<string, StatsSample[]>();
  const scrapes = new Map<string, ProxyScrape>();
  /** Connections kept open between rounds, one per proxy at a time. */
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  /** Host name → address, while scrapes of it succeed. */
  const addresses = new Map<string, string>();
  /** Proxies failing: how many times in a row, and the rounds still to sit out. */
  const failing = new Map<string, { failures: number; skip: number }>();

  /** The URL with its host name replaced by its address (looked up once, and again after a failure). */
  async function resolved(url: URL): Promise<URL> {
    const host = url.hostname;
    if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) return url;
    let address = addresses.get(host);
    if (address === undefined) addresses.set(host, (address = await lookup(host)));
    const out = new URL(url);
    out.hostname = isIP(address) === 6 ? `[${address}]` : address;
    return out;
  }

  async function scrapeOne({ proxy, statsUrl, faults }: StatsTarget): Promise<void> {
    const url = new URL(`${statsUrl}${statsUrl.includes('?') ? '&' : '?'}${STATS_QUERY}`);
    try {
      const body = await getJson(await resolved(url), Math.max(200, intervalMs - 100), agent, statsUrl);
      const at = Date.now();
      const sample = parseStats(body, at);
      if (faults?.length) sample.faults = faults;
      const windowStart = at - windowMs;
      samples.set(proxy, inWindow([...sameEnvoy(samples.get(proxy) ?? [], sample.startedAt, windowStart), sample], windowStart));
      scrapes.set(proxy, { proxy, url: statsUrl, reachable: true, lastScrapeAt: at });
      failing.delete(proxy);
    } catch (error) {
      addresses.delete(url.hostname);
      const failures = (failing.get(proxy)?.failures ?? 0) + 1;
      failing.set(proxy, { failures, skip: skippedRounds(failures) });
      scrapes.set(proxy, { ...scrapes.get(proxy), proxy, url: statsUrl, reachable: false, error: (error as Error).message });
    }
  }

  let round: Promise<void> | undefined;
  let closed = false;
  async function scrape(): Promise<void> {
    const current = targets();
    const names = new Set(current.map((t) => t.proxy));
    for (const proxy of samples.keys()) if (!names.has(proxy)) samples.delete(proxy);
    for (const proxy of scrapes.keys()) if (!names.has(proxy)) scrapes.delete(proxy);
    for (const proxy of failing.keys()) if (!names.has(proxy)) failing.delete(proxy);
    const hosts = new Set(current.map((t) => new URL(t.statsUrl).hostname));
    for (const host of addresses.keys()) if (!hosts.has(host)) addresses.delete(host);
    const due = current.filter(({ proxy }) => {
      const f = failing.get(proxy);
      if (!f || f.skip === 0) return true;
      f.skip--;
      return false;
    });
    let next = 0;
    const worker = async () => {
      while (!closed && next < due.length) await scrapeOne(due[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
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
    close() {
      closed = true;
      clearInterval(timer);
      agent.destroy();
    },
  };
}

/** GET `url`: its body read as JSON; an answer other than 200, a failed connection or no answer within `timeoutMs` throws. */
function getJson(url: URL, timeoutMs: number, agent: Agent, name: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, timeout: timeoutMs }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new Error(`HTTP ${response.statusCode} from ${name}`));
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(new Error(`${name} answered with something else than JSON: ${(error as Error).message}`));
        }
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer from ${name} within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
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
