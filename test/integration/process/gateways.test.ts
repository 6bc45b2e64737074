// Gateways on the process runtime, through real Envoys: HTTPS servers with the local certificate
// (signed by the mesh root in DIR/.mesh/ca), with a user's files and with a credentialName (picked
// by SNI on one port), MUTUAL refusing a client without a certificate, httpsRedirect, SNI
// passthrough to an app that terminates TLS itself, and a second Gateway selector served by a
// gateway proxy of its own that serves only its own Gateway's hosts.
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority, createRoot } from '../../../src/control/ca.ts';
import type { ProxyStatus } from '../../../src/xds/types.ts';
import { freePorts } from '../../helpers/ports.ts';
import { send } from '../../helpers/traffic.ts';
import { apiOf, getJson, mesh, meshWith, processesIn } from './harness.ts';

const APP = new URL('../../../examples/app/server.mjs', import.meta.url).pathname;
const YEAR = 365 * 24 * 3600_000;

const TLS_APP = `import https from 'node:https';
import { readFileSync } from 'node:fs';
https.createServer({ cert: readFileSync('certs/secure.crt'), key: readFileSync('certs/secure.key') }, (req, res) => {
  res.end('tls-app answered ' + req.socket.servername);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

function meshYaml(ports: Record<string, number>): string {
  return `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: gateways}
spec:
  settings:
    gateway:
      ports: ${JSON.stringify(ports)}
  services:
    web:
      ports: [{port: 9080}]
      versions:
        v1: {command: [node, server.mjs], env: {SERVICE: web, VERSION: v1}, healthcheck: {path: /healthz}}
    caller2:
      ports: [{port: 9080}]
      versions:
        v1: {command: [node, server.mjs], env: {SERVICE: caller2, VERSION: v1, UPSTREAMS: "http://web.default.svc.cluster.local:9080/"}, healthcheck: {path: /healthz}}
    caller:
      ports: [{port: 9080}]
      versions:
        v1: {command: [node, server.mjs], env: {SERVICE: caller, VERSION: v1, UPSTREAMS: "http://admin.default.svc.cluster.local:9080/"}, healthcheck: {path: /healthz}}
    admin:
      ports: [{port: 9080}]
      versions:
        v1: {command: [node, server.mjs], env: {SERVICE: admin, VERSION: v1}, healthcheck: {path: /healthz}}
    secure:
      ports: [{port: 9443, protocol: tcp}]
      versions:
        v1: {command: [node, tls-app.mjs]}
`;
}

function gatewaysYaml(internalPort: number): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [web.example.com]
    tls: {httpsRedirect: true}
  - port: {number: 80, name: http-caller, protocol: HTTP}
    hosts: [caller.example.com, caller2.example.com]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [web.example.com]
    tls: {mode: SIMPLE}
  - port: {number: 8443, name: https-files, protocol: HTTPS}
    hosts: [web.example.com]
    tls: {mode: SIMPLE, serverCertificate: certs/user.crt, privateKey: certs/user.key}
  - port: {number: 8443, name: https-credential, protocol: HTTPS}
    hosts: [web2.example.com]
    tls: {mode: SIMPLE, credentialName: web2}
  - port: {number: 9443, name: https-mutual, protocol: HTTPS}
    hosts: [web.example.com]
    tls: {mode: MUTUAL, serverCertificate: certs/user.crt, privateKey: certs/user.key, caCertificates: certs/ca.crt}
  - port: {number: 15443, name: tls-passthrough, protocol: TLS}
    hosts: [secure.example.com]
    tls: {mode: PASSTHROUGH}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: internal}
spec:
  selector: {istio: internalgateway}
  servers:
  - port: {number: ${internalPort}, name: http, protocol: HTTP}
    hosts: [admin.example.com]
---
# The two-hop pattern of Istio's egress gateway task: the caller's sidecar sends admin's calls to
# the egress gateway's Service, subset admin, and the egress gateway on to admin (called by its
# full name, which the gateway's virtual host serves, as edition.cnn.com in Istio's task).
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: istio-egressgateway}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [admin.default.svc.cluster.local]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [web.default.svc.cluster.local]
    tls: {mode: ISTIO_MUTUAL}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-admin}
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
  - name: admin
  - name: web
    trafficPolicy:
      portLevelSettings:
      - port: {number: 443}
        tls: {mode: ISTIO_MUTUAL, sni: web.default.svc.cluster.local}
---
# The same with mTLS from the sidecar to the egress gateway (Istio's task variant).
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web-through-egress-gateway}
spec:
  hosts: [web.default.svc.cluster.local]
  gateways: [istio-egressgateway, mesh]
  http:
  - match: [{gateways: [mesh], port: 9080}]
    route: [{destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: web, port: {number: 443}}}]
  - match: [{gateways: [istio-egressgateway], port: 443}]
    route: [{destination: {host: web.default.svc.cluster.local, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: caller2}
spec:
  hosts: [caller2.example.com]
  gateways: [public]
  http:
  - route: [{destination: {host: caller2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: admin-through-egress-gateway}
spec:
  hosts: [admin.default.svc.cluster.local]
  gateways: [istio-egressgateway, mesh]
  http:
  - match: [{gateways: [mesh], port: 9080}]
    route: [{destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: admin, port: {number: 80}}}]
  - match: [{gateways: [istio-egressgateway], port: 80}]
    route: [{destination: {host: admin.default.svc.cluster.local, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: caller}
spec:
  hosts: [caller.example.com]
  gateways: [public]
  http:
  - route: [{destination: {host: caller}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web.example.com, web2.example.com]
  gateways: [public]
  http:
  - route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: admin}
spec:
  hosts: [admin.example.com]
  gateways: [internal]
  http:
  - route: [{destination: {host: admin}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: secure}
spec:
  hosts: [secure.example.com]
  gateways: [public]
  tls:
  - match: [{sniHosts: [secure.example.com]}]
    route: [{destination: {host: secure, port: {number: 9443}}}]
`;
}

interface HttpsAnswer {
  status: number;
  body: string;
  peer?: PeerCertificate;
  error?: string;
}

function https(port: number, servername: string, options: { ca: string; cert?: string; key?: string; path?: string }): Promise<HttpsAnswer> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, servername, path: options.path ?? '/', headers: { host: servername }, ca: options.ca, cert: options.cert, key: options.key, agent: false, timeout: 10_000 },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, peer }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ status: 0, body: '', error: error.message }));
    req.end();
  });
}

const run = { dir: '', root: '', api: '', up: '', ports: {} as Record<string, number>, internalPort: 0 };
const certs = { ca: '', client: { cert: '', key: '' } };

beforeAll(async () => {
  run.root = await mkdtemp(join(tmpdir(), 'localmesh-process-gateways-'));
  const dir = (run.dir = join(run.root, 'gateways'));
  await mkdir(join(dir, 'certs'), { recursive: true });
  await cp(APP, join(dir, 'server.mjs'));
  await writeFile(join(dir, 'tls-app.mjs'), TLS_APP);
  // The user's own CA: the gateway's file certificate, the credential's, the passthrough app's, a client's.
  const now = new Date();
  const userRoot = await createRoot(now, YEAR, 'user');
  const ca = new CertificateAuthority(userRoot);
  certs.ca = userRoot.certPem;
  const user = await ca.issueServer(['web.example.com'], now, YEAR);
  const web2 = await ca.issueServer(['web2.example.com'], now, YEAR);
  const secure = await ca.issueServer(['secure.example.com'], now, YEAR);
  const client = await ca.issue('spiffe://cluster.local/ns/default/sa/tester', now, YEAR);
  certs.client = { cert: client.certPem, key: client.keyPem };
  await writeFile(join(dir, 'certs', 'ca.crt'), userRoot.certPem);
  await writeFile(join(dir, 'certs', 'user.crt'), user.certPem);
  await writeFile(join(dir, 'certs', 'user.key'), user.keyPem);
  await writeFile(join(dir, 'certs', 'secure.crt'), secure.certPem);
  await writeFile(join(dir, 'certs', 'secure.key'), secure.keyPem);
  await mkdir(join(dir, 'credentials', 'web2'), { recursive: true });
  await writeFile(join(dir, 'credentials', 'web2', 'tls.crt'), web2.certPem);
  await writeFile(join(dir, 'credentials', 'web2', 'tls.key'), web2.keyPem);

  const [p80, p443, p8443, p9443, p15443, internal] = (await freePorts(6)) as [number, number, number, number, number, number];
  run.ports = { '80': p80, '443': p443, '8443': p8443, '9443': p9443, '15443': p15443 };
  run.internalPort = internal;
  await writeFile(join(dir, 'mesh.yaml'), meshYaml(run.ports));
  await writeFile(join(dir, 'gateways.yaml'), gatewaysYaml(internal));
  const up = await meshWith({}, 'up', '--runtime', 'process', '-d', dir);
  run.up = up.stdout + up.stderr;
  expect(up.code, run.up).toBe(0);
  run.api = await apiOf(dir);
}, 120_000);

afterAll(async () => {
  if (!run.dir) return;
  await mesh('down', run.dir);
  expect(await processesIn(run.dir)).toEqual([]);
  await rm(run.root, { recursive: true, force: true });
}, 30_000);

describe('gateway HTTPS servers on the process runtime', () => {
  it('serves the local certificate, signed by the mesh root, and mesh up says how to trust it', async () => {
    const rootPem = await readFile(join(run.dir, '.mesh', 'ca', 'root-cert.pem'), 'utf8');
    const answer = await https(run.ports['443']!, 'web.example.com', { ca: rootPem, path: '/hello' });
    expect(answer.error).toBeUndefined();
    expect([answer.status, JSON.parse(answer.body).service]).toEqual([200, 'web']);
    expect(answer.peer?.subjectaltname).toContain('DNS:web.example.com');
    expect(run.up).toContain('serves a local certificate for web.example.com');
    expect(run.up).toContain(`curl --cacert ${join(run.dir, '.mesh', 'ca', 'root-cert.pem')}`);
    await readFile(join(run.dir, '.mesh', 'gateway-certs', 'web.example.com', 'tls.crt'), 'utf8');
  });

  it("serves a user's certificate files and a credentialName's, one port, picked by SNI", async () => {
    const files = await https(run.ports['8443']!, 'web.example.com', { ca: certs.ca });
    expect([files.error, files.status]).toEqual([undefined, 200]);
    const credential = await https(run.ports['8443']!, 'web2.example.com', { ca: certs.ca });
    expect([credential.error, credential.status]).toEqual([undefined, 200]);
    expect(credential.peer?.subjectaltname).toContain('DNS:web2.example.com');
    // The mesh root did not sign the user's certificate.
    const rootPem = await readFile(join(run.dir, '.mesh', 'ca', 'root-cert.pem'), 'utf8');
    expect((await https(run.ports['8443']!, 'web.example.com', { ca: rootPem })).error).toMatch(/certificate/);
  });

  it('MUTUAL: a client without a certificate is refused, one with a certificate from caCertificates answers', async () => {
    const without = await https(run.ports['9443']!, 'web.example.com', { ca: certs.ca });
    expect(without.status).toBe(0);
    expect(without.error).toBeDefined();
    const withCert = await https(run.ports['9443']!, 'web.example.com', { ca: certs.ca, ...certs.client });
    expect([withCert.error, withCert.status]).toEqual([undefined, 200]);
  });

  it('httpsRedirect answers 301 to https', async () => {
    const r = await send({ port: run.ports['80']!, path: '/x', headers: { host: 'web.example.com' }, timeoutMs: 5000 });
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('https://web.example.com/x');
  });
});

describe('TLS passthrough at the ingress gateway', () => {
  it('routes by SNI to an app that terminates TLS itself', async () => {
    const answer = await https(run.ports['15443']!, 'secure.example.com', { ca: certs.ca });
    expect(answer.error).toBeUndefined();
    expect(answer.body).toBe('tls-app answered secure.example.com');
    // An SNI no tls route names finds no chain: the connection is closed.
    expect((await https(run.ports['15443']!, 'other.example.com', { ca: certs.ca })).status).toBe(0);
  });
});

describe('a Gateway selector of its own', () => {
  it('is its own gateway proxy, SYNCED, serving only its own Gateway hosts', async () => {
    const proxies = await getJson<ProxyStatus[]>(`${run.api}/proxies`);
    const internal = proxies.find((p) => p.id === 'mesh-gateway-internalgateway');
    expect(internal?.sync).toBe('SYNCED');
    expect(proxies.find((p) => p.id === 'mesh-gateway')?.sync).toBe('SYNCED');
    const status = await mesh('status', run.dir);
    expect(status.stdout).toMatch(/mesh-gateway-internalgateway/);

    const admin = await send({ port: run.internalPort, path: '/', headers: { host: 'admin.example.com' }, timeoutMs: 5000 });
    expect([admin.status, JSON.parse(admin.body).service]).toEqual([200, 'admin']);
    // The internal gateway does not serve the public Gateway's hosts, nor the ingress gateway the internal one's.
    expect((await send({ port: run.internalPort, path: '/', headers: { host: 'web.example.com' }, timeoutMs: 5000 })).status).toBe(404);
    const viaIngress = await send({ port: run.ports['80']!, path: '/', headers: { host: 'admin.example.com' }, timeoutMs: 5000 });
    expect(viaIngress.status).toBe(404);
  });
});

describe('the egress gateway two-hop pattern', () => {
  it("a sidecar's call goes through the egress gateway proxy (its stats count it) to the destination", async () => {
    const map = JSON.parse(await readFile(join(run.dir, '.mesh', 'process', 'addressing.json'), 'utf8')) as { ports: Record<string, number> };
    const stat = async () => {
      const text = await (await fetch(`http://127.0.0.1:${map.ports['admin mesh-gateway-egressgateway']}/stats?filter=upstream_rq_total`)).text();
      const line = text.split('\n').find((l) => l.startsWith('cluster.outbound|9080||admin.default.svc.cluster.local.upstream_rq_total:'));
      return Number(line?.split(': ')[1] ?? 0);
    };
    const before = await stat();
    for (let i = 0; i < 5; i++) {
      const r = await send({ port: run.ports['80']!, path: '/', headers: { host: 'caller.example.com' }, timeoutMs: 10_000 });
      expect(r.status, r.body).toBe(200);
      const upstream = JSON.parse(r.body).upstreams[0];
      expect([upstream.status, upstream.body.service]).toEqual([200, 'admin']);
    }
    expect(await stat()).toBe(before + 5);
  });

  it('with mTLS to the egress gateway (ISTIO_MUTUAL): the gateway sees TLS handshakes and routes on', async () => {
    const map = JSON.parse(await readFile(join(run.dir, '.mesh', 'process', 'addressing.json'), 'utf8')) as { ports: Record<string, number> };
    const handshakes = async () => {
      const text = await (await fetch(`http://127.0.0.1:${map.ports['admin mesh-gateway-egressgateway']}/stats?filter=ssl.handshake`)).text();
      return text.split('\n').filter((l) => /^listener\..*ssl\.handshake: /.test(l)).reduce((sum, l) => sum + Number(l.split(': ')[1]), 0);
    };
    const before = await handshakes();
    const r = await send({ port: run.ports['80']!, path: '/', headers: { host: 'caller2.example.com' }, timeoutMs: 10_000 });
    expect(r.status, r.body).toBe(200);
    const upstream = JSON.parse(r.body).upstreams[0];
    expect([upstream.status, upstream.body.service]).toEqual([200, 'web']);
    expect(await handshakes()).toBeGreaterThan(before);
  });
});

describe('a Gateway selector added while the mesh runs', () => {
  it('starts its gateway proxy, which serves its Gateway; removing the Gateway stops it', async () => {
    const [port] = (await freePorts(1)) as [number];
    const later = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: later}
spec:
  selector: {istio: latergateway}
  servers:
  - port: {number: ${port}, name: http, protocol: HTTP}
    hosts: [later.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: later}
spec:
  hosts: [later.example.com]
  gateways: [later]
  http:
  - route: [{destination: {host: web}}]
`;
    // Into a file the mesh has (the runtime's watcher follows the files it knows).
    const file = join(run.dir, 'gateways.yaml');
    const before = await readFile(file, 'utf8');
    await writeFile(file, `${before}---\n${later}`);
    const deadline = Date.now() + 30_000;
    let answer = 0;
    while (Date.now() < deadline && answer !== 200) {
      await new Promise((r) => setTimeout(r, 200));
      const map = JSON.parse(await readFile(join(run.dir, '.mesh', 'process', 'addressing.json'), 'utf8')) as { ports: Record<string, number> };
      const listen = map.ports[`gateway mesh-gateway-latergateway ${port}`];
      if (listen) answer = (await send({ port: listen, path: '/', headers: { host: 'later.example.com' }, timeoutMs: 2000 })).status;
    }
    const logs = join(run.dir, '.mesh', 'process', 'logs');
    const supervisorLog = async () => (await readdir(logs)).filter((f) => f.startsWith('mesh-supervis')).map((f) => join(logs, f));
    expect(answer, (await Promise.all((await supervisorLog()).map((f) => readFile(f, 'utf8')))).join('\n')).toBe(200);
    await writeFile(file, before);
    const gone = Date.now() + 30_000;
    // Its process is gone (the control plane's proxy table may still name it, not connected).
    const processes = async () => (await mesh('status', run.dir)).stdout.split('\nPROXY')[0]!;
    let status = 'mesh-gateway-latergateway';
    while (Date.now() < gone && status.includes('mesh-gateway-latergateway')) {
      await new Promise((r) => setTimeout(r, 200));
      status = await processes();
    }
    expect(status).not.toContain('mesh-gateway-latergateway');
  }, 70_000);
});
