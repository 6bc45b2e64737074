// A load generator in the manner of fortio: requests at a fixed rate with at most `concurrency`
// in flight, tallied by the version that answered (the `x-version` header, else the JSON body's
// `version`), by status, and by latency. Used by `mesh load` and the dashboard's `t` key.
import { Agent, request, type OutgoingHttpHeaders } from 'node:http';

export interface LoadOptions {
  url: string;
  /** Requests per second; changeable while running with `setRate`. */
  rps: number;
  /** Stop after this long; runs until `stop()` without it. */
  durationMs?: number;
  headers?: OutgoingHttpHeaders;
  concurrency?: number;
  timeoutMs?: number;
}

export interface LoadResult {
  url: string;
  targetRps: number;
  durationMs: number;
  /** Requests completed (with a response or an error), and per second. */
  requests: number;
  rps: number;
  /** By answering version; `none` for a response without one (made by Envoy, or an error). */
  byVersion: Record<string, number>;
  /** By HTTP status; `error` for a request that got no response. */
  byStatus: Record<string, number>;
  /** Why requests got no response, by message. */
  errors: Record<string, number>;
  /** Latency in ms; null without requests. */
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface Load {
  setRate(rps: number): void;
  /** The tally so far. */
  result(): LoadResult;
  /** Stops sending, waits for the requests in flight, the final tally. */
  stop(): Promise<LoadResult>;
  /** Resolves with the final tally once `durationMs` passed (or `stop()` was called). */
  done: Promise<LoadResult>;
}

const TICK_MS = 5;

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export function startLoad(options: LoadOptions): Load {
  const url = new URL(options.url);
  if (url.protocol !== 'http:') throw new Error(`${options.url} is not an http:// URL; mesh load speaks plain HTTP.`);
  const concurrency = options.concurrency ?? 32;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const byVersion: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const latencies: number[] = [];
  const count = (table: Record<string, number>, key: string) => (table[key] = (table[key] ?? 0) + 1);

  let rps = options.rps;
  // The schedule restarts at each rate change: `sent` requests since `since`.
  let since = performance.now();
  let sentSinceRate = 0;
  const started = since;
  let stoppedAt: number | undefined;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  function one(): void {
    inFlight++;
    const begin = performance.now();
    const finish = (status: string, version: string, error?: string) => {
      latencies.push(performance.now() - begin);
      count(byStatus, status);
      count(byVersion, version);
      if (error) count(errors, error);
      inFlight--;
      if (inFlight === 0) idle?.();
    };
    const req = request(url, { agent, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => finish('error', 'none', e.message));
      res.on('end', () => finish(String(res.statusCode), versionOf(res.headers['x-version'], Buffer.concat(chunks).toString('utf8'))));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
    req.on('error', (e) => finish('error', 'none', (e as NodeJS.ErrnoException).code ?? e.message));
    req.end();
  }

  const timer = setInterval(() => {
    const now = performance.now();
    if (options.durationMs !== undefined && now - started >= options.durationMs) return void stop();
    const due = Math.floor(((now - since) * rps) / 1000) - sentSinceRate;
    // Behind schedule with every slot busy: the rest go as slots free up (the rate achieved shows it).
    const launch = Math.max(0, Math.min(due, concurrency - inFlight));
    sentSinceRate += launch;
    for (let i = 0; i < launch; i++) one();
  }, TICK_MS);

  function result(): LoadResult {
    const sorted = [...latencies].sort((a, b) => a - b);
    const durationMs = (stoppedAt ?? performance.now()) - started;
    const round = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);
    return {
      url: url.href,
      targetRps: rps,
      durationMs: Math.round(durationMs),
      requests: latencies.length,
      rps: Math.round((latencies.length / Math.max(durationMs, 1)) * 1000 * 10) / 10,
      byVersion: { ...byVersion },
      byStatus: { ...byStatus },
      errors: { ...errors },
      p50Ms: round(percentile(sorted, 0.5)),
      p90Ms: round(percentile(sorted, 0.9)),
      p99Ms: round(percentile(sorted, 0.99)),
      maxMs: round(sorted.at(-1) ?? null),
    };
  }

  let finished: Promise<LoadResult> | undefined;
  let resolveDone: (r: LoadResult) => void = () => undefined;
  const done = new Promise<LoadResult>((resolve) => (resolveDone = resolve));
  function stop(): Promise<LoadResult> {
    finished ??= (async () => {
      clearInterval(timer);
      stoppedAt = performance.now();
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      agent.destroy();
      const final = result();
      resolveDone(final);
      return final;
    })();
    return finished;
  }

  return {
    setRate(next) {
      rps = Math.max(0, next);
      since = performance.now();
      sentSinceRate = 0;
    },
    result,
    stop,
    done,
  };
}

/** Who answered: the `x-version` header, else the `version` of a JSON body, else `none`. */
function versionOf(header: string | string[] | undefined, body: string): string {
  if (typeof header === 'string' && header) return header;
  try {
    const value = JSON.parse(body) as { version?: unknown };
    return typeof value?.version === 'string' ? value.version : 'none';
  } catch {
    return 'none';
  }
}
