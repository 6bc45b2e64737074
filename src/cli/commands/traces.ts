import { writeFile } from 'node:fs/promises';
import { parseDuration } from '../../config/duration.ts';
import { apiGet, ApiError } from '../../control/client.ts';
import { otlpJson, traceLine, waterfall } from '../../control/trace-view.ts';
import type { TraceSpan, TraceSummary } from '../../control/traces.ts';
import { EXIT, UsageError } from '../output.ts';

export const help = `Usage: mesh traces [DIR] [TRACE_ID] [--service S] [--min-duration D] [--limit N] [-o json]
                   [--export FILE] [--api URL]

The traces of the requests the mesh served: every proxy (gateway and sidecars) sends a span per
request to the control plane over OpenTelemetry (OTLP), and the spans of one request join one
trace when the apps forward the trace headers (x-request-id, traceparent, tracestate, x-b3-*).
The control plane keeps the last 1000 traces.

  TRACE_ID           that trace as a waterfall: each span under its parent, a bar for its time
  --service S        only traces through S (a span from one of its proxies; mesh-gateway too)
  --min-duration D   only traces that took at least D (a duration: 50ms, 1.5s)
  --limit N          the newest N traces (default 20)
  -o json            the list (TraceSummary) or the trace's spans (TraceSpan) as JSON
  --export FILE      write the traces listed as OTLP JSON (ExportTraceServiceRequest), which
                     Jaeger and Tempo load
  --dir DIR          the mesh whose control plane to ask (default: the current directory)
  --api URL          the control plane's API (default: the one mesh up recorded in DIR)
  -h, --help         show this help

Each line: trace id, start time, duration, spans, errors, the services it passed, and what its
first span served.`;

export interface TracesOptions {
  api: string;
  id?: string;
  service?: string;
  minDuration?: string;
  limit?: string;
  output?: string;
  export?: string;
}

function query(options: TracesOptions, limit: string | undefined): string {
  const params = new URLSearchParams();
  if (options.service) params.set('service', options.service);
  if (options.minDuration !== undefined) {
    const ms = parseDuration(options.minDuration);
    if (ms === undefined) throw new UsageError(`--min-duration ${options.minDuration} is not a duration such as 50ms or 1.5s.`);
    params.set('min-duration', String(ms));
  }
  if (limit !== undefined) {
    if (!/^[1-9]\d*$/.test(limit)) throw new UsageError(`--limit ${limit} is not a positive whole number.`);
    params.set('limit', limit);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export async function run(options: TracesOptions): Promise<number> {
  if (options.output !== undefined && options.output !== 'json') throw new UsageError(`-o ${options.output} is not an output format; use -o json.`);
  if (options.id !== undefined && options.export !== undefined) throw new UsageError('--export writes the traces listed; give it no TRACE_ID.');
  try {
    if (options.export !== undefined) {
      const traces = await apiGet<TraceSpan[][]>(options.api, `/traces/all${query(options, options.limit)}`);
      await writeFile(options.export, JSON.stringify(otlpJson(traces), null, 2) + '\n');
      console.log(`Wrote ${traces.length} trace(s), ${traces.flat().length} span(s), to ${options.export} (OTLP JSON).`);
      return EXIT.ok;
    }
    if (options.id !== undefined) {
      const spans = await apiGet<TraceSpan[]>(options.api, `/traces/${encodeURIComponent(options.id)}`);
      console.log(options.output === 'json' ? JSON.stringify(spans, null, 2) : waterfall(spans, process.stdout.columns || 100).join('\n'));
      return EXIT.ok;
    }
    const list = await apiGet<TraceSummary[]>(options.api, `/traces${query(options, options.limit ?? '20')}`);
    if (options.output === 'json') console.log(JSON.stringify(list, null, 2));
    else if (list.length === 0) console.log('No traces kept yet. The proxies trace every request while someone watches (this question starts that for 30 s; mesh tap, the dashboard and the web view too), 1% otherwise: send requests through the gateway (mesh load), then ask again.');
    else for (const t of list) console.log(traceLine(t));
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    console.error(`mesh traces: ${error.message}`);
    return EXIT.invalid;
  }
}
