// The example app: answers with its service and version, and calls its upstreams (if any) by
// plain service name, exactly as it would in Compose or Kubernetes. No dependencies.
//   SERVICE, VERSION   who it is (defaults: "app", "v1")
//   PORT               where it listens (default 9080)
//   UPSTREAMS          comma-separated URLs it calls on each request, e.g. http://pricing:9080/
//   FAIL_RATE          the share of requests it answers 500 (0 to 1; default 0): a bad canary
import http from 'node:http';

const service = process.env.SERVICE ?? 'app';
const version = process.env.VERSION ?? 'v1';
const port = Number(process.env.PORT ?? 9080);
const upstreams = (process.env.UPSTREAMS ?? '').split(',').filter(Boolean);
const failRate = Number(process.env.FAIL_RATE ?? 0);
// Headers a mesh app forwards so routing by user and tracing work along the call chain.
const FORWARDED = [
  'end-user', 'x-user',
  // Trace context (README, "Traces"): forwarded so the proxies' spans of one request join one trace.
  'x-request-id', 'traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags',
];

async function call(url, incoming) {
  const headers = {};
  for (const name of FORWARDED) if (incoming.headers[name]) headers[name] = incoming.headers[name];
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = text.slice(0, 200);
    }
    return { url, status: res.status, body };
  } catch (error) {
    return { url, status: 0, error: String(error?.cause?.message ?? error?.message ?? error) };
  }
}

const server = http.createServer(async (req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (failRate > 0 && Math.random() < failRate) {
    res.writeHead(500, { 'content-type': 'application/json', 'x-service': service, 'x-version': version });
    res.end(JSON.stringify({ service, version, path: req.url, error: 'FAIL_RATE' }) + '\n');
    return;
  }
  const calls = await Promise.all(upstreams.map((url) => call(url, req)));
  const failed = calls.some((c) => c.status === 0 || c.status >= 500);
  const body = { service, version, path: req.url, ...(calls.length ? { upstreams: calls } : {}) };
  res.writeHead(failed ? 502 : 200, { 'content-type': 'application/json', 'x-service': service, 'x-version': version });
  res.end(JSON.stringify(body) + '\n');
});

server.listen(port, () => console.log(`${service} ${version} listening on :${port}`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
