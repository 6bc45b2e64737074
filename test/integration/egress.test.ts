// Past the mesh's edge, through a real Envoy sidecar in HTTP-proxy mode (the process runtime's):
// servers outside the mesh on 127.0.0.1 (no internet here), reached by apps through
// ServiceEntries under made-up names. A timeout and a fault on the external host apply; TLS is
// originated by the sidecar (the app calls http://); CONNECT tunnels reach an HTTPS port; an
// unknown host passes through with ALLOW_ANY and gets 502 with REGISTRY_ONLY.
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshYaml, startMesh, type RunningMesh } from '../helpers/mesh.ts';
import { send } from '../helpers/traffic.ts';
import { serverCertificate } from '../helpers/certificates.ts';

/** What the servers outside the mesh answer: who they are and what they got. */
function answer(server: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const reply = () => {
      res.setHeader('content-type', 'application/json');
      const servername = (req.socket as { servername?: string | false }).servername;
      res.end(JSON.stringify({ server, host: req.headers.host, path: req.url, ...(servername ? { servername } : {}) }));
    };
    if (req.url?.startsWith('/slow')) setTimeout(reply, 1500);
    else reply();
  };
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

let dir: string;
let plain: Server;
let secure: Server;
let plainPort: number;
let securePort: number;
let allowAny: RunningMesh;
let registryOnly: RunningMesh;

function entries(): string {
  return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api-external}
spec:
  hosts: [api.external.test]
  location: MESH_EXTERNAL
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {http: ${plainPort}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: by-dns}
spec:
  hosts: [dns.external.test]
  ports: [{number: 8080, name: http, protocol: HTTP}]
  resolution: DNS
  endpoints: [{address: localhost, ports: {http: ${plainPort}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api-secure}
spec:
  hosts: [api.secure.test]
  ports:
  - {number: 80, name: http-port, protocol: HTTP}
  - {number: 443, name: https-port, protocol: HTTPS}
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {http-port: ${securePort}, https-port: ${securePort}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: tls-external}
spec:
  hosts: [tls.external.test]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {https: ${securePort}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-external}
spec:
  hosts: [api.external.test]
  http:
  - match: [{uri: {prefix: /slow}}]
    timeout: 0.5s
    route: [{destination: {host: api.external.test}}]
  - match: [{uri: {prefix: /fault}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: api.external.test}}]
  - route: [{destination: {host: api.external.test}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-secure}
spec:
  hosts: [api.secure.test]
  http:
  - match: [{port: 80}]
    route: [{destination: {host: api.secure.test, port: {number: 443}}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api-secure}
spec:
  host: api.secure.test
  trafficPolicy:
    portLevelSettings:
    - port: {number: 443}
      tls: {mode: SIMPLE, caCertificates: ${join(dir, 'ca.pem')}}
`;
}

const app = (mode?: string) => {
  const yaml = meshYaml({ app: 'v1' });
  return mode ? yaml.replace('spec:\n', `spec:\n  settings: {outboundTrafficPolicy: {mode: ${mode}}}\n`) : yaml;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'egress-'));
  const { caPem, certPem, keyPem } = await serverCertificate('api.secure.test');
  writeFileSync(join(dir, 'ca.pem'), caPem);
  plain = createHttpServer(answer('plain'));
  secure = createHttpsServer({ cert: certPem, key: keyPem }, answer('tls'));
  plainPort = await listen(plain);
  securePort = await listen(secure);
  allowAny = await startMesh([app(), entries()], { sidecars: ['app-v1'] });
  registryOnly = await startMesh([app('REGISTRY_ONLY'), entries()], { sidecars: ['app-v1'] });
});

afterAll(async () => {
  await allowAny?.stop();
  await registryOnly?.stop();
  plain?.close();
  secure?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A request from the app to `http://HOST/PATH`, sent to its sidecar as to an HTTP proxy (absolute form). */
function fromApp(mesh: RunningMesh, host: string, path = '/') {
  return send({ port: mesh.addressing.outboundPort('app-v1'), path: `http://${host}${path}`, headers: { host } });
}

describe('a ServiceEntry host (STATIC endpoint on 127.0.0.1)', () => {
  it('is reached by its name through the sidecar', async () => {
    const response = await fromApp(allowAny, 'api.external.test', '/hello');
    expect(response.status, response.body).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ server: 'plain', host: 'api.external.test', path: '/hello' });
    expect(await allowAny.envoys.get('app-v1')!.stat('cluster.outbound|80||api.external.test.upstream_rq_total')).toBeGreaterThanOrEqual(1);
  });

  it("gets its VirtualService's timeout: 504 after 0.5 s, not the server's 1.5 s", async () => {
    const started = Date.now();
    const response = await fromApp(allowAny, 'api.external.test', '/slow');
    const ms = Date.now() - started;
    expect(response.status, response.body).toBe(504);
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(1400);
  });

  it("gets its VirtualService's fault: every /fault request is aborted with 418", async () => {
    for (let i = 0; i < 5; i++) expect((await fromApp(allowAny, 'api.external.test', '/fault')).status).toBe(418);
  });
});

describe('a ServiceEntry host resolved by DNS (endpoint localhost)', () => {
  it('is reached on its port through a STRICT_DNS cluster', async () => {
    const response = await fromApp(allowAny, 'dns.external.test:8080', '/dns');
    expect(response.status, response.body).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ server: 'plain', path: '/dns' });
  });
});

describe('TLS origination (DestinationRule tls.mode SIMPLE)', () => {
  it('the app calls http://, the sidecar speaks TLS with the SNI of the host and checks the server against caCertificates', async () => {
    const response = await fromApp(allowAny, 'api.secure.test', '/origin');
    expect(response.status, response.body).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ server: 'tls', host: 'api.secure.test', path: '/origin', servername: 'api.secure.test' });
  });

});

describe('an HTTPS port of a ServiceEntry host', () => {
  it("takes a CONNECT tunnel, as fetch opens it for https://, and carries the app's own TLS to the endpoint", async () => {
    const body = await throughTunnel(allowAny.addressing.outboundPort('app-v1'), 'tls.external.test:443', 'tls.external.test');
    expect(JSON.parse(body)).toMatchObject({ server: 'tls', servername: 'tls.external.test', path: '/tunnel' });
    expect(await allowAny.envoys.get('app-v1')!.stat('cluster.outbound|443||tls.external.test.upstream_cx_total')).toBeGreaterThanOrEqual(1);
  });

  it('REGISTRY_ONLY still lets the tunnel through: the host is known', async () => {
    const body = await throughTunnel(registryOnly.addressing.outboundPort('app-v1'), 'tls.external.test:443', 'tls.external.test');
    expect(JSON.parse(body)).toMatchObject({ server: 'tls', path: '/tunnel' });
  });
});

describe('the outbound traffic policy', () => {
  it('ALLOW_ANY (the default): a host the mesh does not know goes where the app sent it', async () => {
    const response = await fromApp(allowAny, `localhost:${plainPort}`, '/anywhere');
    expect(response.status, response.body).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ server: 'plain', host: `localhost:${plainPort}`, path: '/anywhere' });
  });

  it('ALLOW_ANY: a CONNECT tunnel to an unknown host passes through too (HTTPS from fetch)', async () => {
    const body = await throughTunnel(allowAny.addressing.outboundPort('app-v1'), `localhost:${securePort}`, 'api.secure.test');
    expect(JSON.parse(body)).toMatchObject({ server: 'tls', path: '/tunnel' });
  });

  it('REGISTRY_ONLY: a host the mesh does not know gets 502, and no request reaches it', async () => {
    const response = await fromApp(registryOnly, `localhost:${plainPort}`, '/blocked');
    expect(response.status).toBe(502);
    expect(response.body).not.toContain('plain');
  });

  it('REGISTRY_ONLY: inside a CONNECT tunnel to an unknown host, HTTP gets 502 and TLS is closed (curl: exit 35 in Istio)', async () => {
    const port = registryOnly.addressing.outboundPort('app-v1');
    expect(await plainThroughTunnel(port, `localhost:${plainPort}`)).toMatch(/^HTTP\/1\.1 502 /);
    await expect(throughTunnel(port, `localhost:${securePort}`, 'api.secure.test')).rejects.toThrow();
  });

  it('REGISTRY_ONLY: the hosts of ServiceEntries are still reached', async () => {
    const response = await fromApp(registryOnly, 'api.external.test', '/known');
    expect(response.status, response.body).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ server: 'plain', path: '/known' });
  });
});

/** CONNECT `authority` through the proxy on `port`, then TLS (SNI `servername`, any certificate) and GET /tunnel inside. */
function throughTunnel(port: number, authority: string, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'CONNECT', path: authority, headers: { host: authority } });
    req.setTimeout(5000, () => req.destroy(new Error('CONNECT got no answer within 5 s')));
    req.on('error', reject);
    req.on('response', (res) => reject(new Error(`CONNECT answered ${res.statusCode} without a tunnel`)));
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) return reject(new Error(`CONNECT answered ${res.statusCode}`));
      const tls = tlsConnect({ socket, servername, rejectUnauthorized: false }, () => {
        tls.write(`GET /tunnel HTTP/1.1\r\nhost: ${servername}\r\nconnection: close\r\n\r\n`);
      });
      let text = '';
      tls.on('data', (d) => (text += d));
      tls.on('error', reject);
      tls.on('end', () => resolve(text.slice(text.indexOf('\r\n\r\n') + 4)));
    });
    req.end();
  });
}

/** CONNECT `authority` through the proxy on `port`, then a plain GET inside; the raw answer. */
function plainThroughTunnel(port: number, authority: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'CONNECT', path: authority, headers: { host: authority } });
    req.setTimeout(5000, () => req.destroy(new Error('CONNECT got no answer within 5 s')));
    req.on('error', reject);
    req.on('response', (res) => reject(new Error(`CONNECT answered ${res.statusCode} without a tunnel`)));
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) return reject(new Error(`CONNECT answered ${res.statusCode}`));
      socket.write(`GET /inside HTTP/1.1\r\nhost: ${authority}\r\nconnection: close\r\n\r\n`);
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('error', reject);
      socket.on('end', () => resolve(text));
    });
    req.end();
  });
}
