// Small HTTP upstream servers standing in for the apps of a mesh. Each answers
// `{service, version, path, method, headers}` as JSON and can be told to misbehave.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Behaviour {
  /** Answer the first N requests (after this call) with `failStatus`. */
  failFirst?: number;
  /** Answer every request with this status (e.g. 500 for a broken version). */
  status?: number;
  /** Status of the failures of `failFirst`; 503 unless given. */
  failStatus?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface UpstreamReply {
  service: string;
  version: string;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface Upstream {
  service: string;
  version: string;
  port: number;
  /** Requests received since the last `behave`, in arrival order. */
  received: ReceivedRequest[];
  /** Replace the behaviour and forget what was received. */
  behave(behaviour?: Behaviour): void;
  close(): Promise<void>;
}

export async function startUpstream(service: string, version: string): Promise<Upstream> {
  let behaviour: Behaviour = {};
  let failuresLeft = 0;
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers };
    received.push(request);
    req.resume();
    if (behaviour.hang) return;
    let status = behaviour.status ?? 200;
    if (failuresLeft > 0) {
      failuresLeft--;
      status = behaviour.failStatus ?? 503;
    }
    const reply: UpstreamReply = { service, version, ...request };
    const answer = () => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-upstream': `${service}-${version}` });
      res.end(JSON.stringify(reply));
    };
    if (behaviour.delayMs) setTimeout(answer, behaviour.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream: Upstream = {
    service,
    version,
    port: (server.address() as { port: number }).port,
    received,
    behave(next = {}) {
      behaviour = next;
      failuresLeft = next.failFirst ?? 0;
      received.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return upstream;
}
