// Sending HTTP requests through a proxy and tallying what came back, by upstream version and
// status, with latency. Uses node:http so Host and any header can be set freely.
import { Agent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { UpstreamReply } from './upstream.ts';

export interface Request {
  port: number;
  path?: string;
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string;
  /** Client-side limit; the request fails (status 0) when it passes. */
  timeoutMs?: number;
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The upstream's reply when the body is one (a request that reached an app). */
  reply?: UpstreamReply;
  /** The version of the app that answered, or `none` (a response made by Envoy, or an error). */
  version: string;
  ms: number;
  error?: string;
}

export async function send(req: Request, agent: Agent | false = false): Promise<Response> {
  const started = performance.now();
  return new Promise((resolve) => {
    const done = (partial: Omit<Response, 'ms' | 'version'>) => {
      resolve({ ...partial, version: partial.reply?.version ?? 'none', ms: performance.now() - started });
    };
    const outgoing = httpRequest(
      { host: '127.0.0.1', port: req.port, path: req.path ?? '/', method: req.method ?? 'GET', headers: req.headers, agent },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body, reply: parseReply(body) }));
        res.on('error', (err) => done({ status: 0, headers: {}, body, error: err.message }));
      },
    );
    outgoing.setTimeout(req.timeoutMs ?? 10_000, () => outgoing.destroy(new Error(`no response within ${req.timeoutMs ?? 10_000} ms`)));
    outgoing.on('error', (err) => done({ status: 0, headers: {}, body: '', error: err.message }));
    outgoing.end(req.body);
  });
}

function parseReply(body: string): UpstreamReply | undefined {
  try {
    const value = JSON.parse(body) as Partial<UpstreamReply>;
    return typeof value === 'object' && value && typeof value.version === 'string' ? (value as UpstreamReply) : undefined;
  } catch {
    return undefined;
  }
}

export interface Tally {
  total: number;
  byVersion: Record<string, number>;
  byStatus: Record<number, number>;
  /** Sorted ascending, in milliseconds. */
  latencies: number[];
  responses: Response[];
  /** One line for assertion messages: counts by version and status, latency percentiles. */
  summary: string;
}

/** Sends `count` requests, at most `concurrency` at a time; `req` may vary with the index. */
export async function sendMany(
  count: number,
  req: Request | ((i: number) => Request),
  concurrency = 16,
): Promise<Tally> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const responses: Response[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      responses[i] = await send(typeof req === 'function' ? req(i) : req, agent);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } finally {
    agent.destroy();
  }
  return tally(responses);
}

export function tally(responses: Response[]): Tally {
  const byVersion: Record<string, number> = {};
  const byStatus: Record<number, number> = {};
  for (const r of responses) {
    byVersion[r.version] = (byVersion[r.version] ?? 0) + 1;
    byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  }
  const latencies = responses.map((r) => r.ms).sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! : 0);
  const errors = [...new Set(responses.flatMap((r) => (r.error ? [r.error] : [])))];
  const summary =
    `${responses.length} requests; versions ${JSON.stringify(byVersion)}; statuses ${JSON.stringify(byStatus)}; ` +
    `latency p50 ${pct(0.5).toFixed(0)} ms, p99 ${pct(0.99).toFixed(0)} ms` +
    (errors.length ? `; errors: ${errors.join(' | ')}` : '');
  return { total: responses.length, byVersion, byStatus, latencies, responses, summary };
}

/**
 * Whether `observed` successes out of `n` trials fit probability `p` within `sigmas` standard
 * deviations of the binomial distribution; the message says expected and seen.
 */
export function binomialCheck(observed: number, n: number, p: number, sigmas = 4.5): { ok: boolean; message: string } {
  const mean = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  const ok = Math.abs(observed - mean) <= sigmas * sd;
  return {
    ok,
    message: `expected ${mean.toFixed(1)} ± ${(sigmas * sd).toFixed(1)} (${sigmas}σ) of ${n}, saw ${observed}`,
  };
}
