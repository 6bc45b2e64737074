// The sidecar path without the gateway: an app's request leaves through its sidecar's outbound
// listener (used as an HTTP proxy, as in the process runtime) and arrives through the callee's
// sidecar inbound listener. Two sidecars: productpage-v1 (the caller) and reviews-v1.
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { meshYaml, subsetsRule, useMesh } from '../helpers/mesh.ts';
import { send, sendMany, type Request } from '../helpers/traffic.ts';
import type { UpstreamReply } from '../helpers/upstream.ts';

const mesh = useMesh(
  [
    meshYaml({
      productpage: 'v1',
      reviews: 'v1 v2',
      ratings: 'v1 v2',
      db: { versions: 'v1 v2', port: 5432, protocol: 'tcp' },
    }),
    `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts: [ratings]
  http:
    - match: [{ headers: { end-user: { exact: jason } } }]
      route: [{ destination: { host: ratings, subset: v2 } }]
    - route: [{ destination: { host: ratings, subset: v1 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: db
spec:
  hosts: [db]
  tcp:
    - route: [{ destination: { host: db, subset: v2, port: { number: 5432 } } }]
`,
    subsetsRule('db', 'v1 v2'),
    subsetsRule('ratings', 'v1 v2'),
  ],
  { sidecars: ['productpage-v1', 'reviews-v1'] },
);

/** A request from productpage's app to `http://HOST/...`, sent to its sidecar's outbound listener. */
const fromProductpage = (path = '/', headers: Record<string, string> = {}, host = 'reviews:9080'): Request => ({
  port: mesh.running.addressing.outboundPort('productpage-v1'),
  path,
  headers: { host, ...headers },
});

describe('a service without a VirtualService', () => {
  it('gets requests spread over all its versions', async () => {
    const tally = await sendMany(40, fromProductpage('/reviews/1'), 1);
    expect(tally.byStatus, tally.summary).toEqual({ 200: 40 });
    expect(tally.byVersion.v1 ?? 0, `reviews v1 share of 40; ${tally.summary}`).toBeGreaterThanOrEqual(6);
    expect(tally.byVersion.v2 ?? 0, `reviews v2 share of 40; ${tally.summary}`).toBeGreaterThanOrEqual(6);
  });

  it('reaches reviews v1 through the reviews-v1 sidecar inbound listener', async () => {
    const before = await mesh.envoy('reviews-v1').stat('cluster.inbound|9080||.upstream_rq_total');
    const tally = await sendMany(20, fromProductpage(), 1);
    const after = await mesh.envoy('reviews-v1').stat('cluster.inbound|9080||.upstream_rq_total');
    expect(after - before, `requests through reviews-v1's inbound cluster; ${tally.summary}`).toBe(tally.byVersion.v1 ?? 0);
    const reply = tally.responses.find((r) => r.version === 'v1')?.reply;
    expect(reply?.path).toBe('/');
  });

  it('knows the service by every name Kubernetes DNS gives it', async () => {
    for (const host of ['reviews:9080', 'reviews.default:9080', 'reviews.default.svc:9080', 'reviews.default.svc.cluster.local:9080']) {
      const response = await send(fromProductpage('/', {}, host));
      expect(response.reply?.service, `Host: ${host} → ${response.status} ${response.body.slice(0, 100)}`).toBe('reviews');
    }
  });

  it('accepts the absolute form proxies get (GET http://reviews:9080/path)', async () => {
    const response = await send(fromProductpage('http://reviews:9080/absolute'));
    expect(response.status, response.body).toBe(200);
    expect(response.reply).toMatchObject({ service: 'reviews', path: '/absolute' });
  });

  it('accepts a CONNECT tunnel, as fetch opens it, and routes the request inside', async () => {
    const reply = await throughConnectTunnel(mesh.running.addressing.outboundPort('productpage-v1'), 'reviews:9080', '/tunnelled');
    expect(reply).toMatchObject({ service: 'reviews', path: '/tunnelled' });
  });
});

describe('a VirtualService for the mesh (no gateways)', () => {
  it('applies on the calling sidecar: end-user jason goes to ratings v2, everyone else to v1', async () => {
    const jason = await sendMany(10, fromProductpage('/', { 'end-user': 'jason' }, 'ratings:9080'));
    const others = await sendMany(10, fromProductpage('/', { 'end-user': 'mia' }, 'ratings:9080'));
    expect(jason.byVersion, `jason: ${jason.summary}`).toEqual({ v2: 10 });
    expect(others.byVersion, `mia: ${others.summary}`).toEqual({ v1: 10 });
  });
});

describe('tcp route', () => {
  it('forwards the bytes of a TCP connection to the subset of the tcp route', async () => {
    const port = mesh.running.addressing.tcpOutboundPort('productpage-v1', 'db.default.svc.cluster.local', 5432);
    // The db apps are HTTP servers; over TCP that is just bytes, and the reply names the version.
    const versions = new Set<string>();
    for (let i = 0; i < 5; i++) versions.add((await send({ port, path: '/query' })).version);
    expect([...versions]).toEqual(['v2']);
  });
});

/** CONNECT `authority` through the proxy on `port`, then GET `path` inside the tunnel. */
function throughConnectTunnel(port: number, authority: string, path: string): Promise<UpstreamReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'CONNECT', path: authority, headers: { host: authority } });
    req.setTimeout(5000, () => req.destroy(new Error('CONNECT got no answer within 5 s')));
    req.on('error', reject);
    req.on('response', (res) => reject(new Error(`CONNECT answered ${res.statusCode} without a tunnel`)));
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) return reject(new Error(`CONNECT answered ${res.statusCode}`));
      const inner = httpRequest({ createConnection: () => socket, path, headers: { host: authority } }, (innerRes) => {
        let body = '';
        innerRes.on('data', (d) => (body += d));
        innerRes.on('end', () => {
          socket.destroy();
          try {
            resolve(JSON.parse(body) as UpstreamReply);
          } catch {
            reject(new Error(`inside the tunnel: ${innerRes.statusCode} ${body.slice(0, 200)}`));
          }
        });
      });
      inner.on('error', reject);
      inner.end();
    });
    req.end();
  });
}
