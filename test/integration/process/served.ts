// What a running process-runtime mesh serves, set against the compile of its files as they are
// on disk now: each Envoy's resources from its admin /config_dump, the versions each proxy ACKed
// and the control API's /status. Both sides go through the same proto codec, so a difference is a
// difference in config, not in how Envoy prints it.
import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { readMeshDir, type SourceFile } from '../../../src/config/load.ts';
import { compileMesh } from '../../../src/compile/index.ts';
import { decodeResource, encodeResource } from '../../../src/envoy/proto.ts';
import type { EnvoyJson, ResourceKind } from '../../../src/envoy/snapshot.ts';
import { addressingMode } from '../../../src/control/addressing-mode.ts';
import { filesHash, type ControlStatus } from '../../../src/control/controller.ts';
import { prepareSnapshot } from '../../../src/xds/cache.ts';
import type { ProxyStatus } from '../../../src/xds/types.ts';
import { statePaths } from '../../../src/runtime/process/state.ts';
import { getJson } from './harness.ts';

/** The kinds Envoy's /config_dump shows, and where in it. */
const DUMPED = {
  listeners: { section: 'dynamic_listeners', value: (c: Dumped) => c.active_state?.listener },
  routes: { section: 'dynamic_route_configs', value: (c: Dumped) => c.route_config },
  clusters: { section: 'dynamic_active_clusters', value: (c: Dumped) => c.cluster },
} as const satisfies Partial<Record<ResourceKind, unknown>>;
type DumpedKind = keyof typeof DUMPED;

interface Dumped {
  active_state?: { listener?: EnvoyJson };
  route_config?: EnvoyJson;
  cluster?: EnvoyJson;
}

/** Resource JSON in one canonical form (encoded, then decoded), by name. */
type Canonical = Record<string, unknown>;

function canonical(kind: ResourceKind, value: EnvoyJson): unknown {
  const { ['@type']: _type, ...rest } = value;
  return decodeResource(kind, encodeResource(kind, rest as EnvoyJson));
}

export interface DiskMesh {
  /** The hash the control plane puts in its version (`COUNTER-HASH`). */
  hash: string;
  valid: boolean;
  /** Per proxy and kind, the resources the files compile to (only when valid). */
  resources?: Map<string, Record<DumpedKind, Canonical>>;
  /** Per proxy and kind, the version the xDS cache gives those resources. */
  versions?: Map<string, Record<ResourceKind, string>>;
  /** Per proxy and kind, how many resources the compile gives. */
  counts?: Map<string, Record<ResourceKind, number>>;
}

/** Reads the mesh files as they are now and compiles them as the control plane does. */
export async function onDisk(dir: string): Promise<DiskMesh> {
  return compileFiles(dir, await readMeshDir(dir));
}

/** Validates and compiles a set of mesh files of `dir` as the control plane does. */
export async function compileFiles(dir: string, files: SourceFile[]): Promise<DiskMesh> {
  const hash = filesHash(files).slice(0, 8);
  let result;
  try {
    result = loadMeshFromSources(files, dir);
  } catch {
    return { hash, valid: false }; // a loader bug; the control plane must still keep the last good version serving
  }
  if (!result.model || result.diagnostics.some((d) => d.severity === 'error')) return { hash, valid: false };
  const mode = await addressingMode(statePaths(dir).portMap);
  const compiled = compileMesh(result.model, mode.forModel(result.model));
  const resources = new Map<string, Record<DumpedKind, Canonical>>();
  const versions = new Map<string, Record<ResourceKind, string>>();
  const counts = new Map<string, Record<ResourceKind, number>>();
  for (const snapshot of compiled.snapshots) {
    const byKind = {} as Record<DumpedKind, Canonical>;
    for (const kind of Object.keys(DUMPED) as DumpedKind[]) {
      byKind[kind] = Object.fromEntries(snapshot[kind].map((r) => [r.name, canonical(kind, r.value)]));
    }
    resources.set(snapshot.proxy, byKind);
    const types = prepareSnapshot(snapshot.proxy, snapshot).types;
    versions.set(snapshot.proxy, Object.fromEntries(Object.entries(types).map(([k, t]) => [k, t.version])) as Record<ResourceKind, string>);
    counts.set(snapshot.proxy, Object.fromEntries(Object.keys(types).map((k) => [k, (snapshot as unknown as Record<string, unknown[] | undefined>)[k]?.length ?? 0])) as Record<ResourceKind, number>);
  }
  return { hash, valid: true, resources, versions, counts };
}

/** The listeners, routes and clusters an Envoy has, canonical, by name. */
export async function envoyResources(adminUrl: string): Promise<Record<DumpedKind, Canonical>> {
  const dump = await getJson<{ configs: Array<Record<string, unknown>> }>(`${adminUrl}/config_dump`);
  const out = {} as Record<DumpedKind, Canonical>;
  for (const [kind, { section, value }] of Object.entries(DUMPED) as Array<[DumpedKind, (typeof DUMPED)[DumpedKind]]>) {
    const entries = dump.configs.flatMap((c) => (c[section] as Dumped[] | undefined) ?? []);
    out[kind] = {};
    for (const entry of entries) {
      const v = value(entry);
      if (v) out[kind][(v as { name: string }).name] = canonical(kind, v);
    }
  }
  // A removed listener drains (and keeps its route configuration) for Envoy's drain time: what
  // serves are the route configurations the active listeners name.
  const listeners = dump.configs.flatMap((c) => (c.dynamic_listeners as Dumped[] | undefined) ?? []).map((l) => l.active_state?.listener);
  const named = new Set(JSON.stringify(listeners).match(/"route_config_name":"[^"]*"/g)?.map((m) => m.slice(21, -1)));
  out.routes = Object.fromEntries(Object.entries(out.routes).filter(([name]) => named.has(name)));
  return out;
}

/** The admin URL of each proxy of the mesh `mesh up` started in `dir`. */
export async function adminUrls(dir: string): Promise<Map<string, string>> {
  const { ports } = JSON.parse(await readFile(statePaths(dir).portMap, 'utf8')) as { ports: Record<string, number> };
  return new Map(Object.entries(ports).flatMap(([key, port]) => (key.startsWith('admin ') ? [[key.slice(6), `http://127.0.0.1:${port}`]] : [])));
}

/**
 * Every way what serves differs from the compile of the files on disk (empty when it is the
 * same): the status (version hash, valid, pending), each proxy's ACKed versions and each Envoy's
 * resources. When the files are invalid, the last good compile `lastGood` must still serve.
 */
export async function differences(dir: string, api: string, admins: Map<string, string>, disk: DiskMesh, lastGood: DiskMesh | undefined): Promise<string[]> {
  const problems: string[] = [];
  const status = await getJson<ControlStatus>(`${api}/status`);
  const serving = disk.valid ? disk : lastGood;
  if (status.valid !== disk.valid) problems.push(`status says valid=${status.valid}, the files are ${disk.valid ? 'valid' : 'invalid'}`);
  if (status.pending) problems.push('status says a reload is pending');
  if (serving && status.version?.split('-')[1] !== serving.hash) {
    problems.push(`status serves version ${status.version}, the ${disk.valid ? 'files on disk' : 'last good files'} hash to ${serving.hash}`);
  }
  if (!serving?.resources || !serving.versions) return problems;
  const proxies = await getJson<ProxyStatus[]>(`${api}/proxies`);
  const compiledCounts = serving.counts ?? new Map<string, Record<ResourceKind, number>>();
  for (const [proxy, expected] of serving.resources) {
    const acked = proxies.find((p) => p.id === proxy);
    for (const [kind, version] of Object.entries(serving.versions.get(proxy)!)) {
      const type = acked?.types[kind as ResourceKind];
      // A kind the compile gives this proxy nothing of (secrets without mTLS) is never asked for.
      const none = ((compiledCounts.get(proxy)?.[kind as ResourceKind]) ?? 0) === 0;
      if (none && type?.state === 'NOT USED') continue;
      if (type?.state !== 'SYNCED' || type.ackedVersion !== version) {
        problems.push(`${proxy} ${kind}: ${type?.state} at ${type?.ackedVersion}, expected SYNCED at ${version}`);
      }
    }
    const admin = admins.get(proxy);
    if (!admin) {
      problems.push(`${proxy}: no admin port`);
      continue;
    }
    const has = await envoyResources(admin);
    for (const kind of Object.keys(DUMPED) as DumpedKind[]) {
      if (!isDeepStrictEqual(has[kind], expected[kind])) {
        const names = [...new Set([...Object.keys(has[kind]), ...Object.keys(expected[kind])])];
        const differing = names.filter((n) => !isDeepStrictEqual(has[kind][n], expected[kind][n]));
        problems.push(`${proxy} serves other ${kind} than the files compile to: ${differing.join(', ')}`);
      }
    }
  }
  return problems;
}
