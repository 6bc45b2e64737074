// `mesh graph`: who calls whom in the running mesh, from the control plane's GET /graph (the tap
// of every proxy, control/graph.ts): one line per edge with its requests/s, error rate and
// latency, as a tree from the gateway down; or the report as JSON.
import { apiGet, ApiError } from '../../control/client.ts';
import { edgeTree, type GraphReport } from '../../control/graph.ts';
import { MAX_GRAPH_WINDOW_MS } from '../../control/graph-recorder.ts';
import { parseDuration } from '../../config/duration.ts';
import { ms, percent, rate } from '../../tui/format.ts';
import { EXIT, table, UsageError } from '../output.ts';

export const help = `Usage: mesh graph [DIR] [--window 10s] [--by service] [-o json] [--api URL]

The service graph of the running mesh: each edge is the calls from a workload (SERVICE/VERSION,
or a gateway) to a service's version (the one that served them) over the window, with requests/s, error rate (5xx and no
response), p50 and p99 latency, as the proxies logged them (the tap). Edges are listed from the
gateway down: a service's calls under the calls to it. The proxies log requests while someone
watches (a tap, the dashboard, the web view, this command): asked with nobody watching, it records
for the window first.

  --window D   the time to count over (default 10s, at most ${MAX_GRAPH_WINDOW_MS / 1000}s)
  --by service each service as one node (its versions added up), not one per version
  -o json      the report of GET /graph as JSON (nodes and edges)
  --dir DIR    the mesh whose control plane to ask (default: the current directory)
  --api URL    the control plane's API (default: the one mesh up recorded in DIR)
  -h, --help   show this help

Health: ok below 1% errors, warn from 1%, bad from 10%.`;

/** A window recorded but for this much counts as recorded (the answer's own time). */
const RECORDED_ENOUGH_MS = 250;
/** While recording, asked again this often. */
const ASK_AGAIN_MS = 5000;

export interface GraphCommandOptions {
  api: string;
  window?: string;
  by?: string;
  output?: string;
}

export async function run(options: GraphCommandOptions): Promise<number> {
  const windowMs = parseDuration(options.window ?? '10s');
  if (windowMs === undefined || windowMs < 1000 || windowMs > MAX_GRAPH_WINDOW_MS) {
    throw new UsageError(`--window ${options.window} is not a duration from 1s to ${MAX_GRAPH_WINDOW_MS / 1000}s (e.g. 10s, 30s).`);
  }
  if (options.by !== undefined && options.by !== 'service' && options.by !== 'version') throw new UsageError(`--by ${options.by}: use service or version.`);
  if (options.output !== undefined && options.output !== 'json') throw new UsageError(`-o ${options.output}: the only output format is json.`);
  let report: GraphReport;
  const ask = () => apiGet<GraphReport>(options.api, `/graph?window=${Math.round(windowMs)}${options.by === 'service' ? '&expand=' : ''}`);
  try {
    report = await ask();
    // The proxies report every request only while someone watches (the question itself starts
    // that): when it began within the window, the window is filled first, asking again every
    // few seconds (each question keeps the reporting on).
    const since = report.recordingSince;
    if (typeof since === 'number' && report.at - since < windowMs - RECORDED_ENOUGH_MS) {
      console.error(`The proxies report requests only while someone watches; recording the graph for ${Math.ceil((windowMs - (report.at - since)) / 1000)} s…`);
      while (typeof report.recordingSince === 'number' && report.at - report.recordingSince < windowMs - RECORDED_ENOUGH_MS) {
        await new Promise((r) => setTimeout(r, Math.min(ASK_AGAIN_MS, windowMs - (report.at - report.recordingSince!))));
        report = await ask();
      }
    }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    console.error(`mesh graph: ${error.message}`);
    return EXIT.invalid;
  }
  if (options.output === 'json') {
    console.log(JSON.stringify(report, null, 2));
    return EXIT.ok;
  }
  if (report.edges.length === 0) {
    console.log(`No calls in the last ${windowMs / 1000} s: send requests through the gateway (mesh load).`);
    return EXIT.ok;
  }
  const rows = edgeTree(report.edges).map(({ edge, depth }) => [
    `${'  '.repeat(depth)}${edge.from} → ${edge.to}`,
    rate(edge.rps),
    percent(edge.errorRate),
    ms(edge.p50Ms),
    ms(edge.p99Ms),
    edge.health,
  ]);
  console.log(table(['EDGE', 'RPS', 'ERRORS', 'P50', 'P99', 'HEALTH'], rows));
  return EXIT.ok;
}
