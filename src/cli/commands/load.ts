import { parseDuration } from '../../config/duration.ts';
import { startLoad, type LoadResult } from '../../load/generator.ts';
import type { Runtimes } from '../../runtime/contract.ts';
import { EXIT, UsageError } from '../output.ts';

export const help = `Usage: mesh load [DIR] [URL] [--rps N] [--duration D] [-H 'Name: value']... [--json]

Sends requests to URL at a fixed rate, at most --concurrency at a time (like fortio), then prints
how many each version answered (the x-version header, or the JSON body's "version"), the status
codes, and the latency percentiles p50, p90, p99.

URL defaults to the gateway of the mesh running in DIR (mesh up; DIR is the first argument or
--dir DIR, default the current directory).

Options:
  --rps N            requests per second (default 50)
  --duration D       how long, e.g. 10s, 500ms, 1m (default 5s)
  -c, --concurrency  requests in flight at most (default 32)
  -H 'Name: value'   a request header; repeat for more
  --json             the result as JSON
  --dir DIR          the mesh directory whose gateway is the default URL, as DIR first
  -h, --help         show this help`;

export interface LoadArgs {
  rps: string;
  duration: string;
  concurrency: string;
  header: string[];
  json: boolean;
}

export async function run(dir: string, args: readonly string[], options: LoadArgs, runtimes: Runtimes): Promise<number> {
  if (args.length > 1) throw new UsageError(`mesh load takes one URL, got ${args.length}: ${args.join(' ')}.`);
  const rps = Number(options.rps);
  if (!(rps > 0)) throw new UsageError(`--rps is a number of requests per second above 0, not ${options.rps}.`);
  const durationMs = parseDuration(options.duration);
  if (durationMs === undefined || durationMs <= 0) throw new UsageError(`--duration is a duration such as 10s or 500ms, not ${options.duration}.`);
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency is a whole number from 1, not ${options.concurrency}.`);
  const headers: Record<string, string> = {};
  for (const header of options.header) {
    const m = /^([^:\s]+):\s*(.*)$/.exec(header);
    if (!m) throw new UsageError(`-H '${header}' is not 'Name: value'.`);
    headers[m[1]!.toLowerCase()] = m[2]!;
  }
  if (args[0] !== undefined && !/^https?:\/\/[^/]/.test(args[0])) {
    throw new UsageError(`${args[0]} is neither a URL (http://HOST:PORT/PATH) nor a mesh directory; mesh load [DIR] [URL].`);
  }
  const url = args[0] ?? (await runtimes.running(dir))?.state.gateways[0];
  if (!url) {
    console.error(`mesh load: no URL given, and ${await runtimes.noMeshRuns(dir, (d) => `mesh load ${d}`)}.`);
    return EXIT.invalid;
  }
  let load;
  try {
    load = startLoad({ url, rps, durationMs, headers, concurrency });
  } catch (error) {
    console.error(`mesh load: ${(error as Error).message}`);
    return EXIT.invalid;
  }
  if (!options.json) console.log(`Sending ${rps} requests/s to ${url} for ${options.duration} (at most ${concurrency} at a time)`);
  const stop = () => void load.stop();
  process.once('SIGINT', stop);
  const result = await load.done;
  process.off('SIGINT', stop);
  console.log(options.json ? JSON.stringify(result, null, 2) : formatLoad(result));
  return result.byStatus.error === result.requests && result.requests > 0 ? EXIT.invalid : EXIT.ok;
}

/** The tally as fortio prints it, in a few lines. */
export function formatLoad(r: LoadResult): string {
  const share = (table: Record<string, number>) =>
    Object.entries(table)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ${n} (${((100 * n) / Math.max(r.requests, 1)).toFixed(1)}%)`)
      .join(', ');
  const ms = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} ms`);
  const lines = [
    `${r.requests} requests in ${(r.durationMs / 1000).toFixed(1)} s (${r.rps}/s of ${r.targetRps}/s asked)`,
    `Versions:  ${share(r.byVersion) || 'none'}`,
    `Statuses:  ${share(r.byStatus) || 'none'}`,
    `Latency:   p50 ${ms(r.p50Ms)}, p90 ${ms(r.p90Ms)}, p99 ${ms(r.p99Ms)}, max ${ms(r.maxMs)}`,
  ];
  const errors = Object.entries(r.errors);
  if (errors.length) lines.push(`Errors:    ${errors.map(([e, n]) => `${e} ×${n}`).join(', ')}`);
  return lines.join('\n');
}
