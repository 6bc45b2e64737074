import { apiStream, ApiError } from '../../control/client.ts';
import type { TapEntry } from '../../xds/access-log.ts';
import { tapFilter, tapLine } from '../../control/tap-filter.ts';
import { EXIT, UsageError } from '../output.ts';

export const help = `Usage: mesh tap [DIR] [SERVICE[/VERSION]] [--path PREFIX] [--status CODE] [--header NAME=VALUE]
                [-o json] [--recent] [--count N] [--max-rate N] [--api URL]

Streams the requests the mesh's proxies serve, live, as linkerd tap does: every proxy sends its
access log to the control plane (Envoy's gRPC access log service). A request through the gateway
to a version shows once per proxy it passes: the gateway's, then the version's sidecar's.

  SERVICE[/VERSION]    only requests to or from it: those its sidecars served, and those sent to it
  --path PREFIX        only paths starting with PREFIX
  --status CODE        only this response code: 503, or a class: 5xx, 4xx; 0 for no response
  --header NAME=VALUE  only requests with this header (user-agent, end-user, x-b3-traceid,
                       traceparent and content-type are logged)
  -o json              one JSON object per request (TapEntry) instead of a line
  --recent             first the requests the control plane kept (the last 500 per proxy)
  --count N            stop after N requests
  --max-rate N         lines per second at most (default 50); the rest is counted, not shown
  --dir DIR            the mesh whose control plane to ask (default: the current directory)
  --api URL            the control plane's API (default: the one mesh up recorded in DIR)
  -h, --help           show this help

Each line: time, proxy, listener, method, authority and path, status (and Envoy's response
flags, e.g. UF UH NR), duration, and the cluster it went to (→ service/subset).`;

export interface TapOptions {
  api: string;
  target?: string;
  path?: string;
  status?: string;
  header?: string[];
  output?: string;
  recent: boolean;
  count?: string;
  maxRate?: string;
}

export async function run(options: TapOptions): Promise<number> {
  let keep: ReturnType<typeof tapFilter>;
  try {
    keep = tapFilter(options);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const count = options.count === undefined ? Infinity : Number(options.count);
  const maxRate = options.maxRate === undefined ? 50 : Number(options.maxRate);
  if (!(count > 0) || !(maxRate > 0)) throw new UsageError('--count and --max-rate are positive numbers.');
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  let shown = 0;
  let second = 0;
  let inSecond = 0;
  let notShown = 0;
  const flushNotShown = () => {
    if (notShown > 0) console.error(`… ${notShown} request(s) not shown: more than ${maxRate} per second (--max-rate).`);
    notShown = 0;
  };
  try {
    await apiStream(
      options.api,
      `/tap${options.recent ? '' : '?recent=no'}`,
      ({ event, data }) => {
        if (event === 'dropped' || shown >= count) return;
        const entry = JSON.parse(data) as TapEntry;
        if (!keep(entry)) return;
        const now = Math.floor(Date.now() / 1000);
        if (now !== second) {
          flushNotShown();
          second = now;
          inSecond = 0;
        }
        if (++inSecond > maxRate) return void notShown++;
        console.log(options.output === 'json' ? JSON.stringify(entry) : tapLine(entry));
        if (++shown >= count) stop.abort();
      },
      { signal: stop.signal },
    );
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    console.error(`mesh tap: ${error.message}`);
    return EXIT.invalid;
  }
  flushNotShown();
  return EXIT.ok;
}
