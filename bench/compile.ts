// Benchmark: validate + compile a generated mesh of 1000 services × 3 versions, each with a
// VirtualService (header match, weighted split, retries, timeout) and a DestinationRule
// (three subsets, traffic policy). Prints time and peak memory; exits 1 past the bounds.
//   node bench/compile.ts [--services N]
import { parseArgs } from 'node:util';
import { loadMeshFromSources } from '../src/config/index.ts';
import { compileMesh } from '../src/compile/index.ts';
import { composeAddressing } from '../src/compile/addressing.ts';
import { encodeResource } from '../src/envoy/proto.ts';
import { RESOURCE_KINDS } from '../src/envoy/snapshot.ts';

const BOUND_MS = 1000;
const BOUND_MB = 300;

const { values } = parseArgs({ options: { services: { type: 'string', default: '1000' } } });
const count = Number(values.services);

function meshFiles(n: number): { path: string; text: string }[] {
  const services: string[] = [];
  const istio: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `svc${i}`;
    const upstream = `http://svc${(i + 1) % n}:9080/`;
    services.push(`    ${name}:
      ports: [{ port: 9080, protocol: http }]
      versions:
${['v1', 'v2', 'v3'].map((v) => `        ${v}: { image: example/app, env: { UPSTREAMS: "${upstream}" } }`).join('\n')}`);
    istio.push(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name} }
spec:
  hosts: [${name}]
  http:
    - match: [{ headers: { end-user: { exact: tester } } }]
      route: [{ destination: { host: ${name}, subset: v3 } }]
    - route:
        - { destination: { host: ${name}, subset: v1 }, weight: 80 }
        - { destination: { host: ${name}, subset: v2 }, weight: 20 }
      timeout: 3s
      retries: { attempts: 2, perTryTimeout: 1s, retryOn: "5xx,connect-failure" }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${name} }
spec:
  host: ${name}
  trafficPolicy:
    connectionPool: { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 100 } }
    outlierDetection: { consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s }
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
    - { name: v3, labels: { version: v3 }, trafficPolicy: { loadBalancer: { simple: LEAST_REQUEST } } }`);
  }
  const mesh = `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: { name: bench }
spec:
  services:
${services.join('\n')}
`;
  return [
    { path: 'bench/mesh.yaml', text: mesh },
    { path: 'bench/istio.yaml', text: istio.join('\n---\n') },
  ];
}

const files = meshFiles(count);
const mb = (bytes: number) => bytes / 1024 / 1024;
let peakHeap = 0;
const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 5);

// The Envoy protos are loaded once per process (the control plane does it at start): timed apart.
let t = performance.now();
encodeResource('clusters', { name: 'warm-up', connect_timeout: '1s' });
const protoMs = performance.now() - t;

const baseRss = process.memoryUsage().rss;
const cpuStart = process.cpuUsage();
t = performance.now();
const { model, diagnostics } = loadMeshFromSources(files);
const validateMs = performance.now() - t;
if (!model) {
  console.error(diagnostics.slice(0, 5));
  throw new Error('the generated mesh did not validate');
}
t = performance.now();
const compiled = compileMesh(model, composeAddressing());
const compileMs = performance.now() - t;
const cpu = process.cpuUsage(cpuStart);
clearInterval(sampler);
peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);

const unique = new Set<object>();
let resources = 0;
for (const snapshot of compiled.snapshots)
  for (const kind of RESOURCE_KINDS) for (const r of snapshot[kind]) (resources++, unique.add(r.value));

const totalMs = validateMs + compileMs;
const peakRssMb = process.resourceUsage().maxRSS / 1024;

// Again in the same process, as the control plane does on every reload (code already compiled by the JIT).
t = performance.now();
const again = loadMeshFromSources(files);
compileMesh(again.model!, composeAddressing());
const warmMs = performance.now() - t;
console.log(`mesh: ${count} services × 3 versions, ${count} VirtualServices, ${count} DestinationRules`);
console.log(`proxies: ${compiled.snapshots.length}; resources: ${resources} (${unique.size} distinct objects)`);
console.log(`proto load (once per process): ${protoMs.toFixed(0)} ms`);
console.log(`parse + validate: ${validateMs.toFixed(0)} ms`);
console.log(`compile (incl. strict proto check): ${compileMs.toFixed(0)} ms`);
console.log(`validate + compile: ${totalMs.toFixed(0)} ms (bound ${BOUND_MS} ms)`);
console.log(`validate + compile again in the same process (a reload): ${warmMs.toFixed(0)} ms`);
// CPU time includes the garbage collector's threads; on a busy machine it is the steadier number.
console.log(`CPU time for validate + compile: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`);
console.log(`peak memory: process RSS ${peakRssMb.toFixed(0)} MB (bound ${BOUND_MB} MB; RSS before validating ${mb(baseRss).toFixed(0)} MB), heap ${mb(peakHeap).toFixed(0)} MB`);
const ok = totalMs < BOUND_MS && peakRssMb < BOUND_MB;
console.log(ok ? 'PASS' : 'FAIL: past the bound');
process.exit(ok ? 0 : 1);
