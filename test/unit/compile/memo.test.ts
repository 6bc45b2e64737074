// The compile memo (src/compile/memo.ts): a compile that keeps what the last one built gives
// byte for byte what a full compile gives, over random sequences of edits (weights, adding and
// removing VirtualServices, DestinationRule subsets, services and versions added, ServiceEntry
// hosts), with both addressings; and after a weight edit, what the edit does not feed is the
// same objects as before.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadMeshFromSources, ParseCache, type SourceFile } from '../../../src/config/index.ts';
import type { MeshModel } from '../../../src/config/model.ts';
import { CompileMemo, compileMesh, type CompiledMesh } from '../../../src/compile/index.ts';
import { composeAddressing, loopbackAddressing } from '../../../src/compile/addressing.ts';

const SEED = Number(process.env.FC_SEED ?? 20261201);
const RUNS = Number(process.env.FC_RUNS ?? 40);

const HTTP_HOSTS = ['reviews', 'ratings', 'pricing'] as const;
type Host = (typeof HTTP_HOSTS)[number] | 'db';

interface Route {
  weights: number[];
  /** A first route for these source labels to the last version. */
  sourceLabels?: 'v1' | 'v2';
  header?: boolean;
  gateway?: boolean;
  exportTo?: '.' | 'billing';
  retries?: boolean;
}

interface State {
  /** Versions per service (≥ 1). */
  versions: Record<Host, number>;
  /** The subsets of each service's DestinationRule (versions by number), none without a rule. */
  subsets: Partial<Record<Host, { versions: number[]; lb?: 'LEAST_REQUEST' | 'hash' }>>;
  routes: Partial<Record<Host, Route>>;
  extraServices: number;
  /** The ServiceEntry's host and its VirtualService (its `tls` route to reviews: what the captured outbound listener reads). */
  external?: { tlsToGateway: boolean; vs: boolean };
  /** `settings.tracing.sampling`: the listeners are copies (compile/tracing.ts). */
  sampling?: number;
}

const NAMESPACE: Record<Host, string> = { reviews: 'default', ratings: 'default', pricing: 'billing', db: 'default' };

function meshFile(s: State): string {
  const service = (name: string, ns: string, ports: string, count: number) =>
    `    ${name}:\n      namespace: ${ns}\n      ports: [${ports}]\n      versions:\n${Array.from({ length: count }, (_, i) => `        v${i + 1}: {image: ${name}:${i + 1}, labels: {tier: t${i % 2}}}`).join('\n')}`;
  return `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: memo}
spec:
  settings: {gateway: {ports: {"80": 8080}}${s.sampling !== undefined ? `, tracing: {sampling: ${s.sampling}}` : ''}}
  services:
${service('reviews', 'default', '{port: 9080}', s.versions.reviews)}
${service('ratings', 'default', '{port: 9080}, {port: 9090, protocol: grpc}', s.versions.ratings)}
${service('pricing', 'billing', '{port: 9080}', s.versions.pricing)}
${service('db', 'default', '{port: 5432, protocol: tcp}', s.versions.db)}
${Array.from({ length: s.extraServices }, (_, i) => service(`extra${i}`, i % 2 ? 'billing' : 'default', '{port: 8000}', 1)).join('\n')}
`;
}

const doc = (kind: string, name: string, namespace: string, spec: string) =>
  `apiVersion: networking.istio.io/v1\nkind: ${kind}\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n${spec}`;

/** A route over the subsets of the host's rule (its first and last for the extra matches), or to the host itself without one. */
function virtualService(host: Host, r: Route, subsets: number[] | undefined): string {
  const ns = NAMESPACE[host];
  const port = host === 'db' ? 5432 : host === 'ratings' ? 9080 : undefined;
  const dest = (v?: number) => `{host: ${host}${v ? `, subset: v${v}` : ''}${port ? `, port: {number: ${port}}` : ''}}`;
  const targets = subsets ?? [undefined];
  const split = targets.map((v, i) => `      - {destination: ${dest(v)}, weight: ${r.weights[i]}}`).join('\n');
  const gateways = r.gateway && host !== 'db' ? `  gateways: [default/gw, mesh]\n` : '';
  const exportTo = r.exportTo ? `  exportTo: ["${r.exportTo}"]\n` : '';
  const bySource = r.sourceLabels ? `  - match: [{sourceLabels: {version: ${r.sourceLabels}}}]\n    route: [{destination: ${dest(targets.at(-1))}}]\n` : '';
  if (host === 'db') return doc('VirtualService', host, ns, `  hosts: [${host}]\n${exportTo}  tcp:\n${bySource}  - route:\n${split}\n`);
  const byHeader = r.header ? `  - match: [{headers: {end-user: {exact: jason}}}]\n    route: [{destination: ${dest(targets[0])}}]\n` : '';
  const hosts = `[${host}${gateways ? `, "${host}.example.com"` : ''}]`;
  return doc('VirtualService', host, ns, `  hosts: ${hosts}\n${gateways}${exportTo}  http:\n${bySource}${byHeader}  - route:\n${split}\n${r.retries ? '    retries: {attempts: 2, retryOn: 5xx}\n' : ''}`);
}

function files(s: State): SourceFile[] {
  const out: SourceFile[] = [{ path: 'mesh.yaml', text: meshFile(s) }];
  out.push({
    path: 'gateway.yaml',
    text: doc('Gateway', 'gw', 'default', `  selector: {istio: ingressgateway}\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]\n`),
  });
  for (const host of [...HTTP_HOSTS, 'db'] as const) {
    const rule = s.subsets[host];
    if (rule) {
      const lb = rule.lb === 'hash' ? `  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}\n` : rule.lb ? `  trafficPolicy: {loadBalancer: {simple: ${rule.lb}}}\n` : '';
      out.push({ path: `${host}-rule.yaml`, text: doc('DestinationRule', host, NAMESPACE[host], `  host: ${host}\n${lb}  subsets: [${rule.versions.map((v) => `{name: v${v}, labels: {version: v${v}}}`).join(', ')}]\n`) });
    }
    const route = s.routes[host];
    if (route) out.push({ path: `${host}-route.yaml`, text: virtualService(host, route, rule?.versions) });
  }
  if (s.external) {
    const entry = doc('ServiceEntry', 'api', 'default', `  hosts: [api.example.org]\n  location: MESH_EXTERNAL\n  resolution: DNS\n  ports: [{number: 443, name: tls, protocol: TLS}, {number: 80, name: http, protocol: HTTP}]\n`);
    const vs = s.external.vs
      ? `\n---\n${doc('VirtualService', 'api', 'default', `  hosts: [api.example.org]\n  http:\n  - route: [{destination: {host: api.example.org, port: {number: 80}}}]\n    timeout: 3s\n${s.external.tlsToGateway ? `  tls:\n  - match: [{port: 443, sniHosts: [api.example.org]}]\n    route: [{destination: {host: reviews, port: {number: 9080}}}]\n` : ''}`)}`
      : '';
    out.push({ path: 'external.yaml', text: entry + vs });
  }
  return out;
}

const weights = fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 6, maxLength: 6 });
const routeArb: fc.Arbitrary<Route> = fc.record(
  {
    weights,
    sourceLabels: fc.constantFrom('v1', 'v2'),
    header: fc.boolean(),
    gateway: fc.boolean(),
    exportTo: fc.constantFrom('.', 'billing'),
    retries: fc.boolean(),
  },
  { requiredKeys: ['weights'] },
);
const hostArb = fc.constantFrom<Host>(...HTTP_HOSTS, 'db');

type Edit = (s: State) => State;
const editArb: fc.Arbitrary<{ name: string; edit: Edit }> = fc.oneof(
  // The common edit, three times as likely: new weights for a host's route (added when it has none).
  ...Array.from({ length: 3 }, () =>
    fc.tuple(hostArb, weights).map(([host, w]) => ({
      name: `weights ${host} ${w}`,
      edit: (s: State) => ({ ...s, routes: { ...s.routes, [host]: { ...(s.routes[host] ?? { weights: w }), weights: w } } }),
    })),
  ),
  fc.tuple(hostArb, routeArb).map(([host, r]) => ({ name: `route ${host} ${JSON.stringify(r)}`, edit: (s: State) => ({ ...s, routes: { ...s.routes, [host]: r } }) })),
  hostArb.map((host) => ({ name: `no route ${host}`, edit: (s: State) => ({ ...s, routes: { ...s.routes, [host]: undefined } }) })),
  fc
    .tuple(hostArb, fc.option(fc.record({ versions: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), lb: fc.constantFrom(undefined, 'LEAST_REQUEST' as const, 'hash' as const) }), { nil: undefined }))
    .map(([host, rule]) => ({ name: `subsets ${host} ${JSON.stringify(rule)}`, edit: (s: State) => ({ ...s, subsets: { ...s.subsets, [host]: rule } }) })),
  hostArb.map((host) => ({ name: `version of ${host}`, edit: (s: State) => ({ ...s, versions: { ...s.versions, [host]: Math.min(4, s.versions[host] + 1) } }) })),
  fc.constant({ name: 'service added', edit: (s: State) => ({ ...s, extraServices: s.extraServices + 1 }) }),
  fc.option(fc.constantFrom(10, 50), { nil: undefined }).map((sampling) => ({ name: `sampling ${sampling}`, edit: (s: State) => ({ ...s, sampling }) })),
  fc
    .option(fc.record({ tlsToGateway: fc.boolean(), vs: fc.boolean() }), { nil: undefined })
    .map((external) => ({ name: `external ${JSON.stringify(external)}`, edit: (s: State) => ({ ...s, external }) })),
);

const START: State = {
  versions: { reviews: 3, ratings: 2, pricing: 2, db: 2 },
  subsets: { reviews: { versions: [1, 2, 3] }, db: { versions: [1, 2] } },
  routes: { reviews: { weights: [80, 20, 0, 0, 0, 0], sourceLabels: 'v2' }, db: { weights: [50, 50, 0, 0, 0, 0] } },
  extraServices: 0,
};

const text = (compiled: CompiledMesh) => JSON.stringify(compiled.snapshots);

/** Loads the files as the controller does (a ParseCache), or afresh; undefined for a mesh that does not validate. */
function load(sources: SourceFile[], cache?: ParseCache): MeshModel | undefined {
  const { model, diagnostics } = loadMeshFromSources(sources, '.', undefined, {}, cache);
  return model && !diagnostics.some((d) => d.severity === 'error') ? model : undefined;
}

/**
 * Compiles each state's files with one memo (the files loaded through one ParseCache, as the
 * controller does) and afresh, and expects the same text and the same ports handed out. Returns
 * how many states validated.
 */
function checkSequence(states: State[], loopback: boolean): number {
  const cache = new ParseCache();
  const memo = new CompileMemo();
  const compose = composeAddressing();
  // The port-map mode's way: the ports handed out for one model stay for the next.
  let ports = new Map<string, number>();
  let compiled = 0;
  for (const state of states) {
    const sources = files(state);
    const model = load(sources, cache);
    if (!model) continue;
    const fresh = load(sources)!;
    if (loopback) {
      const start = new Map(ports);
      const kept = loopbackAddressing(model, 20000, { ports });
      const full = loopbackAddressing(fresh, 20000, { ports: start });
      expect(text(compileMesh(model, kept, memo))).toBe(text(compileMesh(fresh, full)));
      expect([...kept.ports]).toEqual([...full.ports]);
      ports = kept.ports;
    } else {
      expect(text(compileMesh(model, compose, memo))).toBe(text(compileMesh(fresh, composeAddressing())));
    }
    compiled++;
  }
  return compiled;
}
describe('the compile memo', () => {
  it('gives what a full compile gives, edit after edit, with compose and loopback addressing', () => {
    fc.assert(
      fc.property(fc.array(editArb, { minLength: 1, maxLength: 12 }), fc.boolean(), (edits, loopback) => {
        let state = START;
        const states = [START, ...edits.map(({ edit }) => (state = edit(state)))];
        const compiled = checkSequence(states, loopback);
        expect(compiled).toBeGreaterThan(0);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it.each([false, true])('gives what a full compile gives for edits only a VirtualService makes (loopback: %s)', (loopback) => {
    const external = { ...START, external: { tlsToGateway: false, vs: true } };
    const withTls = { ...external, external: { tlsToGateway: true, vs: true } };
    const bySource = { ...START, routes: { ...START.routes, ratings: { weights: [30, 70, 0, 0, 0, 0], sourceLabels: 'v1' as const } } };
    const dbBySource = { ...bySource, routes: { ...bySource.routes, db: { weights: [10, 90, 0, 0, 0, 0], sourceLabels: 'v2' as const } } };
    const exported = { ...dbBySource, routes: { ...dbBySource.routes, pricing: { weights: [100, 0, 0, 0, 0, 0], exportTo: '.' as const, gateway: true } } };
    const sampled = (s: State): State => ({ ...s, sampling: 50 });
    expect(checkSequence([external, withTls, external, withTls, bySource, dbBySource, exported, bySource, START], loopback)).toBe(9);
    expect(checkSequence([external, withTls, external, bySource, dbBySource, exported].map(sampled), loopback)).toBe(6);
  });

  it('keeps, after a weight edit, every resource the edited VirtualService does not feed', () => {
    const cache = new ParseCache();
    const memo = new CompileMemo();
    const addressing = composeAddressing();
    const before = compileMesh(load(files(START), cache)!, addressing, memo);
    const edited = { ...START, routes: { ...START.routes, reviews: { ...START.routes.reviews!, weights: [10, 90, 0, 0, 0, 0] } } };
    const after = compileMesh(load(files(edited), cache)!, addressing, memo);
    expect(text(after)).not.toBe(text(before));
    const old = new Map(before.snapshots.map((s) => [s.proxy, s]));
    for (const snapshot of after.snapshots) {
      const last = old.get(snapshot.proxy)!;
      expect(snapshot.clusters).toBe(last.clusters);
      expect(snapshot.endpoints).toBe(last.endpoints);
      if (snapshot.kind === 'sidecar') {
        expect(snapshot.listeners).toBe(last.listeners);
        // The route configuration is new; the virtual hosts of services reviews' route does not feed are the last ones.
        const hosts = (s: typeof snapshot) => s.routes[0]!.value.virtual_hosts as { name: string }[];
        expect(snapshot.routes[0]).not.toBe(last.routes[0]);
        for (const [i, host] of hosts(snapshot).entries()) {
          if (host.name.startsWith('reviews.')) expect(host).not.toBe(hosts(last)[i]);
          else expect(host).toBe(hosts(last)[i]);
        }
      }
    }
  });

  it('keeps what an edit does not feed when the lines of the resources move, and reads no place', () => {
    const cache = new ParseCache();
    const memo = new CompileMemo();
    const addressing = composeAddressing();
    const before = compileMesh(load(files(START), cache)!, addressing, memo);
    // The same mesh with every resource a line lower: where they are written is not what a compile reads.
    const model = load(files(START).map((f) => ({ ...f, text: `# moved\n${f.text}` })), cache)!;
    for (const list of [model.services, model.destinationRules, model.gateways]) {
      for (const item of list) {
        Object.defineProperty(item, 'source', { value: { file: item.source.file, get line(): number { throw new Error('a compile read a line'); }, col: 0 } });
      }
    }
    const after = compileMesh(model, addressing, memo);
    expect(text(after)).toBe(text(before));
    expect(after.snapshots[0]!.clusters).toBe(before.snapshots[0]!.clusters);
  });

  it('builds everything again when anything but a VirtualService changed', () => {
    const cache = new ParseCache();
    const memo = new CompileMemo();
    const addressing = composeAddressing();
    const before = compileMesh(load(files(START), cache)!, addressing, memo);
    const after = compileMesh(load(files({ ...START, subsets: { ...START.subsets, reviews: { versions: [1, 2, 3], lb: 'LEAST_REQUEST' } } }), cache)!, addressing, memo);
    expect(after.snapshots[0]!.clusters).not.toBe(before.snapshots[0]!.clusters);
  });
});
