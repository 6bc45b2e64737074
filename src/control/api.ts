// The control plane's HTTP API (JSON over node:http) for the CLI and the TUI:
//   GET /status                  config version, last change, valid, diagnostics
//   GET /proxies                 every proxy's xDS status (ProxyStatus, src/xds/types.ts)
//   GET /proxies/ID/config?type= the resources serving for a proxy (listeners|routes|clusters|endpoints|secrets|runtime)
//   GET /events                  server-sent events: the last ones, then each as it happens
//   GET /traffic?window=MS       requests/s, success rate, p50/p99 per route and subset (over the last MS)
//   GET /tap                     server-sent events: each request a proxy logged (TapEntry), the kept ones first
//   GET /traces?service=&min-duration=MS&limit=N  the traces kept, newest first (TraceSummary)
//   GET /traces/ID               a trace's spans (TraceSpan), by start; /traces/all?…: the listed traces' spans (an export)
//   GET /graph?window=MS&expand=S,… the service graph over the last MS: edges with rps, error rate, p50/p99 (control/graph.ts)
// Errors are {"error": "a sentence"} with a 4xx status.
// Only its own callers get an answer: the Host must be a loopback name or an IP address (not a
// name a web page's DNS could point here: DNS rebinding), and a request a browser sent from
// another origin (an Origin header not the Host's own) is refused; both with 403.
// More routes (the web view's, src/web/routes.ts) come in through `routes`, behind the same guard.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { http } from './node-http.ts';
import { isIP, type AddressInfo } from 'node:net';
import { withoutPrivateKey } from './secrets.ts';
import { RESOURCE_KINDS, type ResourceKind } from '../envoy/snapshot.ts';
import type { TapEntry } from '../xds/access-log.ts';
import type { ProxyStatus } from '../xds/types.ts';
import type { Controller } from './controller.ts';
import type { ControlEvent, EventLog } from './events.ts';
import type { TapStore } from './tap.ts';
import { tracesRoute } from './traces-api.ts';
import type { TraceStore } from './traces.ts';
import { MAX_GRAPH_WINDOW_MS, type GraphRecorder } from './graph-recorder.ts';
import type { TrafficReport } from './traffic.ts';
import type { GraphReport } from './graph.ts';

export interface ApiOptions {
  host?: string;
  /** 0 picks a free port (read it back from `port`). */
  port: number;
  controller: Pick<Controller, 'status' | 'snapshot'>;
  xds: { status(): ProxyStatus[] };
  events: EventLog;
  traffic: { report(windowMs?: number): TrafficReport };
  tap?: TapStore;
  traces?: TraceStore;
  graph?: Pick<GraphRecorder, 'report'>;
  /** Who watches the requests (control/watchers.ts): a tap stream holds it, /graph and /traces touch it. */
  watch?: WatchSwitch;
  /** More routes, asked first after the guard: their reply, or undefined when the path is not theirs. */
  routes?: ApiRoutes;
}

/** The API's side of control/watchers.ts, and `ready`: resolves once the proxies report every request. */
export interface WatchSwitch {
  hold(): () => void;
  touch(): void;
  ready(): Promise<void>;
  /** Since when the proxies report every request (ms since the epoch), undefined while nobody watches. */
  since(): number | undefined;
}

/** A reply of a route of `ApiOptions.routes`: JSON, or `content` of a MIME `type` with more headers. */
export type ApiReply =
  | { status: number; json: unknown }
  | { status: number; content: string | Buffer; type: string; headers?: Record<string, string> };

export type ApiRoutes = (req: IncomingMessage, url: URL) => Promise<ApiReply> | undefined;

export interface ApiServer {
  port: number;
  close(): Promise<void>;
}

/** The body of GET /proxies/ID/config. */
export interface ProxyConfig {
  proxy: string;
  /** The control plane's config version these resources belong to. */
  version?: string;
  resources: Partial<Record<ResourceKind, Array<{ name: string; value: unknown }>>>;
}

export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const KEEPALIVE_MS = 15_000;

export async function startApi(options: ApiOptions): Promise<ApiServer> {
  const { controller, xds, events, traffic } = options;
  const streams = new Set<ServerResponse>();

  function route(req: IncomingMessage, res: ServerResponse): unknown {
    guard(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const extra = options.routes?.(req, url);
    if (extra) return extra;
    if (req.method !== 'GET') throw new HttpError(405, `${req.method} is not supported; the API only answers GET.`);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/status') return controller.status();
    if (path === '/proxies') return xds.status();
    if (path === '/traffic') return traffic.report(windowParam(url.searchParams.get('window')));
    if (path === '/events') return streamEvents(req, res);
    if (path === '/graph' && options.graph) {
      options.watch?.touch();
      const report: GraphReport = graphReport(options.graph, url.searchParams);
      return options.watch ? { ...report, recordingSince: options.watch.since() ?? null } : report;
    }
    if (path === '/tap' && options.tap) return streamTap(options.tap, url.searchParams.get('recent') !== 'no', res);
    if (options.traces && (path === '/traces' || path.startsWith('/traces/'))) {
      options.watch?.touch();
      return tracesRoute(options.traces, path, url.searchParams, (status, message) => new HttpError(status, message));
    }
    const config = /^\/proxies\/([^/]+)\/config$/.exec(path);
    if (config) return proxyConfig(decodeURIComponent(config[1]!), url.searchParams.get('type'));
    throw new HttpError(404, `There is no ${path}; the API has /status, /proxies, /proxies/ID/config, /events, /traffic, /tap, /graph and /traces.`);
  }

  function proxyConfig(proxy: string, type: string | null): ProxyConfig {
    if (type !== null && !(RESOURCE_KINDS as string[]).includes(type)) {
      throw new HttpError(400, `type=${type} is not a resource type; use one of ${RESOURCE_KINDS.join(', ')}.`);
    }
    const snapshot = controller.snapshot(proxy);
    if (!snapshot) {
      const known = controller.status().proxies;
      throw new HttpError(404, `No proxy ${proxy} in the mesh${known.length ? `; the proxies are ${known.join(', ')}` : ' (nothing is served yet)'}.`);
    }
    const kinds = type === null ? RESOURCE_KINDS : [type as ResourceKind];
    const shown = (k: ResourceKind) => (k === 'secrets' ? snapshot.secrets.map(withoutPrivateKey) : snapshot[k]);
    return { proxy, version: controller.status().version, resources: Object.fromEntries(kinds.map((k) => [k, shown(k)])) };
  }

  /** The service graph; `expand` lists the services shown by version (all when absent, none when empty). */
  function graphReport(graph: Pick<GraphRecorder, 'report'>, params: URLSearchParams): GraphReport {
    const window = windowParam(params.get('window'));
    if (window !== undefined && window > MAX_GRAPH_WINDOW_MS) throw new HttpError(400, `window=${window} is longer than the graph keeps (${MAX_GRAPH_WINDOW_MS} ms).`);
    const expand = params.get('expand');
    return graph.report(window, expand === null || expand === '*' ? undefined : new Set(expand.split(',').filter(Boolean)));
  }

  /**
   * A server-sent event stream on `res`: `start` writes what is kept and subscribes, returning the
   * unsubscribe; a comment every KEEPALIVE_MS keeps proxies from closing it; closed with the server.
   */
  function stream(res: ServerResponse, start: () => () => void): typeof STREAMING {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const unsubscribe = start();
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    streams.add(res);
    res.on('close', () => {
      unsubscribe();
      clearInterval(keepalive);
      streams.delete(res);
    });
    return STREAMING;
  }

  /** Server-sent events of the tap: the kept requests (unless ?recent=no), then each as it is logged. */
  /**
   * Server-sent events of the tap: the kept requests (unless ?recent=no), then each as it is
   * logged. The stream watches (the proxies log every request while it is open); its `dropped`
   * event comes once they do (or after a few seconds), so a client can tell when to start.
   */
  function streamTap(tap: TapStore, recent: boolean, res: ServerResponse): typeof STREAMING {
    return stream(res, () => {
      const release = options.watch?.hold();
      const send = (e: TapEntry) => res.write(`data: ${JSON.stringify(e)}\n\n`);
      if (recent) for (const e of tap.recent()) send(e);
      const unsubscribe = tap.subscribe(send);
      void (options.watch?.ready() ?? Promise.resolve()).then(() => {
        if (!res.writableEnded) res.write(`event: dropped\ndata: ${tap.dropped()}\n\n`);
      });
      return () => {
        unsubscribe();
        release?.();
      };
    });
  }

  /** Server-sent events: the events after Last-Event-ID (all it keeps when none), then live. */
  function streamEvents(req: IncomingMessage, res: ServerResponse): typeof STREAMING {
    return stream(res, () => {
      const send = (e: ControlEvent) => res.write(`id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`);
      const after = Number(req.headers['last-event-id'] ?? 0);
      for (const e of events.recent()) if (e.id > after) send(e);
      return events.subscribe(send);
    });
  }

  const failed = (res: ServerResponse, error: unknown) => {
    const status = error instanceof HttpError ? error.status : 500;
    const message = error instanceof HttpError ? error.message : `The control plane failed to answer: ${(error as Error).message}`;
    json(res, status, { error: message });
  };
  const server = http.createServer((req, res) => {
    let body: unknown;
    try {
      body = route(req, res);
    } catch (error) {
      return failed(res, error);
    }
    if (body instanceof Promise) {
      (body as Promise<ApiReply>).then((reply) => {
        if ('json' in reply) return json(res, reply.status, reply.json);
        res.writeHead(reply.status, { 'content-type': reply.type, ...reply.headers });
        res.end(reply.content);
      }, (error: unknown) => failed(res, error));
    } else if (body !== STREAMING) json(res, 200, body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const res of streams) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const STREAMING = Symbol('streaming');

/** The host name of a Host header value (`name:port`, `[v6]:port`), lower case. */
function hostName(host: string): string {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name.toLowerCase().replace(/\.$/, '');
}

/** Refuses a request whose Host is a DNS name other than localhost, or that a page of another origin sent. */
function guard(req: IncomingMessage): void {
  const host = req.headers.host ?? '';
  const name = hostName(host);
  if (name !== 'localhost' && !name.endsWith('.localhost') && isIP(name) === 0) {
    throw new HttpError(403, `Host ${JSON.stringify(host)} is not this control plane's: it answers only 127.0.0.1, localhost or an IP address (a name pointed here by DNS could be a web page reading it).`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) {
    throw new HttpError(403, `A request from ${origin} is refused: the API answers its own origin (http://${host}) and clients that send none (the CLI, the dashboard).`);
  }
}

/** `?window=MS` of /traffic: a whole number of milliseconds from 1000 (the scrape interval). */
function windowParam(value: string | null): number | undefined {
  if (value === null) return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1000) throw new HttpError(400, `window=${value} is not a whole number of milliseconds from 1000.`);
  return ms;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, null, 2) + '\n');
}
