// The xDS snapshot cache: one snapshot per proxy id, checked for internal consistency before it
// is published (as go-control-plane's Snapshot.Consistent), with a content hash per resource and
// a version per (proxy, type) derived from those hashes, so a version changes exactly when that
// type's resources change (and is the same again after a control-plane restart). Watchers of a
// proxy hear of every snapshot published for it; proxies may have a snapshot before they connect.
// What is the same for many proxies is prepared once: the compiler shares resource objects across
// proxies, so each distinct resource is read for the names it refers to once (per object),
// proxies whose list of a type holds the same resource objects share one CachedType (its version,
// list and index), and proxies with the same lists of every type one consistency check; so
// publishing to a thousand proxies costs about what publishing to the few distinct configurations
// among them does. Encodings are kept from one publish to the next by content: an edit encodes
// the resources it changed, not the mesh.
import { createHash } from 'node:crypto';
import { encodeResource } from '../envoy/proto.ts';
import { RESOURCE_KINDS, type EnvoyJson, type ProxySnapshot, type Resource, type ResourceKind } from '../envoy/snapshot.ts';

export interface CachedResource {
  name: string;
  /** The protobuf encoding (the `value` of the Any sent to Envoy). */
  bytes: Uint8Array;
  /** Hash of `bytes`. */
  hash: string;
}

export interface CachedType {
  /** Changes exactly when the resources of this type change (a hash of names and hashes). */
  version: string;
  /** In snapshot order. */
  resources: CachedResource[];
  byName: Map<string, CachedResource>;
}

export interface CachedSnapshot {
  proxy: string;
  snapshot: ProxySnapshot;
  types: Record<ResourceKind, CachedType>;
}

export class InconsistentSnapshotError extends Error {
  readonly proxy: string;
  readonly problems: string[];
  constructor(proxy: string, problems: string[]) {
    super(`snapshot for proxy ${proxy} is inconsistent: ${problems.join('; ')}`);
    this.proxy = proxy;
    this.problems = problems;
  }
}

export type SnapshotWatcher = (cached: CachedSnapshot) => void;

export class SnapshotCache {
  #snapshots = new Map<string, CachedSnapshot>();
  #watchers = new Map<string, Set<SnapshotWatcher>>();
  /** Encodings kept from one publish to the next, by content: an edit encodes only what it changed. */
  #encodings = new EncodingCache();

  /** Check, hash and publish one proxy's snapshot. Throws InconsistentSnapshotError (or EnvoyConfigError). */
  setSnapshot(proxy: string, snapshot: ProxySnapshot): CachedSnapshot {
    // Encodings by content are kept by the publishes of every proxy at once (setSnapshots), which
    // know what is no longer used; one proxy's publish does not.
    const cached = prepareSnapshot(proxy, snapshot);
    this.#publish(cached);
    return cached;
  }

  /** Several snapshots at once: every one is checked before any is published. */
  setSnapshots(snapshots: readonly ProxySnapshot[]): void {
    const preparation = new Preparation(this.#encodings);
    const prepared = snapshots.map((s) => prepareSnapshot(s.proxy, s, preparation));
    this.#encodings.keepOnly(preparation.used);
    for (const cached of prepared) this.#publish(cached);
  }

  /** Forget a proxy's snapshot (a proxy that left the mesh); a connected proxy keeps what it has. */
  clearSnapshot(proxy: string): void {
    this.#snapshots.delete(proxy);
  }

  getSnapshot(proxy: string): CachedSnapshot | undefined {
    return this.#snapshots.get(proxy);
  }

  /** Proxy ids with a snapshot, sorted. */
  proxies(): string[] {
    return [...this.#snapshots.keys()].sort();
  }

  /** Call `fn` with every snapshot published for `proxy` from now on; returns the unsubscribe. */
  watch(proxy: string, fn: SnapshotWatcher): () => void {
    let set = this.#watchers.get(proxy);
    if (!set) this.#watchers.set(proxy, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement,CallExpression: keeping the empty set only costs memory (a new watcher reuses it); no behaviour depends on its removal
      if (set.size === 0 && this.#watchers.get(proxy) === set) this.#watchers.delete(proxy);
    };
  }

  #publish(cached: CachedSnapshot): void {
    this.#snapshots.set(cached.proxy, cached);
    for (const fn of [...(this.#watchers.get(cached.proxy) ?? [])]) fn(cached);
  }
}

/**
 * What snapshots prepared together share: the lists of resources they have in common (the same
 * resource objects in the same order) as one CachedType, and the consistency check of each
 * distinct snapshot (the same lists of every type), so a thousand proxies cost what the few
 * distinct configurations among them do. Resource objects are not changed once compiled.
 */
export class Preparation {
  readonly types = new Map<string, CachedType>();
  readonly problems = new Map<string, string[]>();
  /** The encodings this preparation used (see EncodingCache.keepOnly). */
  readonly used = new Set<string>();
  readonly encodings: EncodingCache;
  constructor(encodings = new EncodingCache()) {
    this.encodings = encodings;
  }
}

/**
 * Check a snapshot's consistency and compute its hashes and versions (pure but for the caches of
 * `preparation`). Throws InconsistentSnapshotError, or EnvoyConfigError for an invalid resource.
 */
export function prepareSnapshot(proxy: string, snapshot: ProxySnapshot, preparation = new Preparation()): CachedSnapshot {
  const keys = RESOURCE_KINDS.map((kind) => listKey(snapshot[kind]));
  const whole = keys.join('|');
  let problems = preparation.problems.get(whole);
  if (!problems) preparation.problems.set(whole, (problems = consistencyProblems(snapshot)));
  if (problems.length > 0) throw new InconsistentSnapshotError(proxy, problems);
  const types = {} as Record<ResourceKind, CachedType>;
  RESOURCE_KINDS.forEach((kind, i) => {
    const key = `${kind} ${keys[i]}`;
    let type = preparation.types.get(key);
    if (!type) {
      const resources = snapshot[kind].map((r) => preparation.encodings.get(kind, r, preparation.used));
      preparation.types.set(key, (type = { version: versionOf(resources), resources, byName: new Map(resources.map((r) => [r.name, r])) }));
    }
    types[kind] = type;
  });
  return { proxy, snapshot, types };
}

const ids = new WeakMap<Resource, number>();
let nextId = 0;

/** A list of resources by the identity of its resource objects (the compiler shares them across proxies). */
function listKey(list: readonly Resource[]): string {
  return list
    .map((r) => {
      let id = ids.get(r);
      if (id === undefined) ids.set(r, (id = nextId++));
      return id;
    })
    .join(',');
}

/**
 * Resources' encodings and hashes: once per resource object, and across publishes by content (a
 * compile makes new objects for everything, but an edit changes few resources: the others are
 * found by their JSON text and not encoded again).
 */
export class EncodingCache {
  #byObject = new WeakMap<Resource, { cached: CachedResource; key: string }>();
  #byContent = new Map<string, CachedResource>();

  /** The resource's encoding; its content key goes into `used`. */
  get(kind: ResourceKind, r: Resource, used: Set<string>): CachedResource {
    let entry = this.#byObject.get(r);
    if (!entry) {
      const key = `${kind} ${r.name} ${JSON.stringify(r.value)}`;
      let cached = this.#byContent.get(key);
      if (!cached) {
        const bytes = encodeResource(kind, r.value);
        this.#byContent.set(key, (cached = { name: r.name, bytes, hash: hashOf(bytes) }));
      }
      // Stryker disable next-line CallExpression: the cache only saves time
      this.#byObject.set(r, (entry = { cached, key }));
    }
    used.add(entry.key);
    return entry.cached;
  }

  /** Forget the encodings by content that the last publish did not use. */
  keepOnly(used: ReadonlySet<string>): void {
    for (const key of this.#byContent.keys()) if (!used.has(key)) this.#byContent.delete(key);
  }
}

/**
 * What makes a snapshot unusable as a whole: duplicate or mismatched names, an EDS cluster without
 * its ClusterLoadAssignment or one no EDS cluster names, a listener's RDS name without its
 * RouteConfiguration or a RouteConfiguration no listener names. Empty when consistent.
 */
export function consistencyProblems(snapshot: ProxySnapshot): string[] {
  const problems: string[] = [];
  const nameField: Record<ResourceKind, string> = { listeners: 'name', routes: 'name', clusters: 'name', endpoints: 'cluster_name', secrets: 'name', runtime: 'name' };
  for (const kind of RESOURCE_KINDS) {
    const seen = new Set<string>();
    for (const r of snapshot[kind]) {
      if (seen.has(r.name)) problems.push(`${kind}: "${r.name}" appears twice`);
      seen.add(r.name);
      const inner = r.value[nameField[kind]];
      if (inner !== r.name) problems.push(`${kind}: "${r.name}" has ${nameField[kind]} ${JSON.stringify(inner)}`);
    }
  }
  const edsNames = new Set<string>();
  for (const { value } of snapshot.clusters) {
    if (value.type !== 'EDS') continue;
    const config = value.eds_cluster_config as { service_name?: string } | undefined;
    edsNames.add(config?.service_name || String(value.name));
  }
  problems.push(
    ...crossCheck(edsNames, names(snapshot.endpoints), {
      missing: (n) => `EDS cluster "${n}" has no ClusterLoadAssignment`,
      unused: (n) => `ClusterLoadAssignment "${n}" is named by no EDS cluster`,
    }),
  );
  const rdsNames = new Set<string>();
  for (const { value } of snapshot.listeners) for (const name of refsOf(value).rds) rdsNames.add(name);
  problems.push(
    ...crossCheck(rdsNames, names(snapshot.routes), {
      missing: (n) => `a listener refers to RouteConfiguration "${n}", which is not in the snapshot`,
      unused: (n) => `RouteConfiguration "${n}" is named by no listener`,
    }),
  );
  problems.push(
    ...crossCheck(referencedSecrets(snapshot), names(snapshot.secrets), {
      missing: (n) => `a transport socket refers to secret "${n}", which is not in the snapshot`,
      unused: (n) => `secret "${n}" is named by no transport socket`,
    }),
  );
  return problems;
}

/** The SDS secret names the listeners and clusters of a snapshot refer to (`sds_config` beside `name`). */
export function referencedSecrets(snapshot: Pick<ProxySnapshot, 'listeners' | 'clusters'>): Set<string> {
  const out = new Set<string>();
  for (const { value } of snapshot.listeners) for (const name of refsOf(value).secrets) out.add(name);
  for (const { value } of snapshot.clusters) for (const name of refsOf(value).secrets) out.add(name);
  return out;
}

/** The names a resource refers to: SDS secrets, and RDS route configurations (listeners). */
interface Refs {
  secrets: string[];
  rds: string[];
}

const refs = new WeakMap<EnvoyJson, Refs>();

/** Once per resource object: resources are shared across proxies and not changed once compiled. */
function refsOf(value: EnvoyJson): Refs {
  let found = refs.get(value);
  if (!found) {
    found = { secrets: [...secretNames(value)], rds: [] };
    const rds = new Set<string>();
    collectRdsNames(value, rds);
    found.rds = [...rds];
    // Stryker disable next-line CallExpression: the cache only saves time
    refs.set(value, found);
  }
  return found;
}

function secretNames(root: EnvoyJson): Set<string> {
  const out = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      const v = value as EnvoyJson;
      if (v.sds_config !== undefined && typeof v.name === 'string') out.add(v.name);
      else Object.values(v).forEach(walk);
    }
  };
  walk(root);
  return out;
}

function names(resources: ProxySnapshot[ResourceKind]): Set<string> {
  return new Set(resources.map((r) => r.name));
}

/** Names referenced but not present, and present but not referenced. */
function crossCheck(
  referenced: Set<string>,
  present: Set<string>,
  say: { missing: (name: string) => string; unused: (name: string) => string },
): string[] {
  return [...[...referenced].filter((n) => !present.has(n)).map(say.missing), ...[...present].filter((n) => !referenced.has(n)).map(say.unused)];
}

/** Every `rds.route_config_name` anywhere inside a listener. */
function collectRdsNames(value: unknown, out: Set<string>): void {
  // Stryker disable next-line ConditionalExpression: equivalent: Object.entries of an array walks the same elements below
  if (Array.isArray(value)) {
    for (const v of value) collectRdsNames(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value as EnvoyJson)) {
      const name = key === 'rds' ? (child as { route_config_name?: unknown }).route_config_name : undefined;
      if (typeof name === 'string') out.add(name);
      else collectRdsNames(child, out);
    }
  }
}

/** Content hash of encoded bytes (once per distinct resource: see EncodingCache). */
function hashOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

function versionOf(resources: readonly CachedResource[]): string {
  // Stryker disable next-line EqualityOperator,ConditionalExpression: names are unique (consistencyProblems) and V8's sort only asks whether compare(a, b) < 0, so every variant gives one canonical order
  const sorted = [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return createHash('sha256').update(sorted.map((r) => `${r.name}\0${r.hash}\n`).join('')).digest('hex').slice(0, 12);
}
