// What one compile keeps for the next (the control plane's reloads): the pieces of the output
// that do not depend on the VirtualServices, while nothing but VirtualServices changed.
//
// The rule is simple so that it stays checkable. A compile's model is split in two: its
// VirtualServices, and everything else with the addressing (the "base", keyed by its JSON text).
// While the base keys equal, a piece built under a key that names all it reads besides the base
// (`keep`) is the previous compile's object; when the base changes, everything is forgotten.
// So a weight edit builds again only what reads the edited VirtualService: the virtual hosts it
// routes (the others are kept) and so the route configurations holding them, the listener lists
// of sidecars whose TCP or captured TLS targets it decides, and the gateway's routes and TCP/TLS
// listeners. The clusters, endpoints and other listeners are the same objects as before, which
// the xDS cache (xds/cache.ts) sees as unchanged at no cost; a resource checked against Envoy's
// protos once is not checked again. What reads VirtualServices: sidecar.ts, routes.ts and
// gateway.ts (their keys say what each piece reads); test/unit/compile/memo.test.ts compares
// memoised compiles with full ones over random edit sequences.
import type { MeshModel } from '../config/model.ts';
import type { Addressing } from './addressing.ts';
import { shared } from './generator.ts';

export class CompileMemo {
  #base: string | undefined;
  /** The pieces the last compile used (what this one may take), and those this one uses. */
  #last = new Map<string, unknown>();
  #used = new Map<string, unknown>();
  #ids = 0;
  /** Resources (and lists) checked against Envoy's protos: never changed once built, so checked once. */
  readonly checked = new WeakSet<object>();

  /**
   * Starts a compile of `model`: the pieces of the last compile are kept when its base is the
   * same, else forgotten. Only what the last compile used is kept: a memo does not grow with edits.
   */
  begin(model: MeshModel, addressing: Addressing): void {
    const base = baseKey(model, addressing);
    this.#last = base === this.#base ? this.#used : new Map();
    this.#used = new Map();
    this.#base = base;
  }

  /**
   * The piece under `key`: the last compile's (or this one's), else built. `key` must name
   * everything `build` reads that may differ between two compiles of the same base (a
   * VirtualService's content, a proxy's port), and no other piece may have the same key.
   */
  keep<T>(key: string, build: () => T): T {
    return shared(this.#used as Map<string, T>, key, () => (this.#last.has(key) ? (this.#last.get(key) as T) : build()));
  }

  /** A short name for a long key, the same while the base is. */
  idOf(key: string): string {
    return this.keep(`id ${key}`, () => `#${this.#ids++}`);
  }

  /** The piece under `key` built from `parts`: the last one when its parts were these same objects. */
  from<P, T>(key: string, parts: readonly P[], build: (parts: readonly P[]) => T): T {
    const kept = this.keep(key, () => ({ parts, value: build(parts) }));
    if (kept.parts.length === parts.length && kept.parts.every((p, i) => p === parts[i])) return kept.value;
    const made = { parts, value: build(parts) };
    this.#used.set(key, made);
    return made.value;
  }
}

/** Everything a compile reads but the VirtualServices: the rest of the model, and the addressing. */
function baseKey(model: MeshModel, addressing: Addressing): string {
  const { virtualServices: _, ...rest } = model;
  return `${addressingKey(addressing)}\n${JSON.stringify(rest, withoutPlaces)}`;
}

/**
 * Where a resource is written (its `source`, a SourceRef) is not read by a compile, and its line
 * is worked out by parsing the file again with positions (config/position.ts): left out of the
 * key, which then also holds while an edit moves the lines of the resources below it. An
 * AuthorizationPolicy rule's `source` (spec) has no `file`, and stays.
 */
function withoutPlaces(key: string, value: unknown): unknown {
  return key === 'source' && typeof value === 'object' && value !== null && typeof (value as { file?: unknown }).file === 'string' && 'line' in value ? undefined : value;
}

const addressingIds = new WeakMap<Addressing, number>();
let nextAddressing = 0;

/**
 * An addressing is functions of the model: the same object gives the same answers (compose), but
 * a loopback one also hands out the ports in its `ports` map, which is then part of its key.
 */
function addressingKey(addressing: Addressing): string {
  const ports = (addressing as { ports?: unknown }).ports;
  if (ports instanceof Map) return `loopback ${addressing.capture} ${addressing.listenAddress} ${JSON.stringify([...ports])}`;
  let id = addressingIds.get(addressing);
  if (id === undefined) addressingIds.set(addressing, (id = nextAddressing++));
  return `object ${id}`;
}

/** A VirtualService's content (not where it is written), for the keys of the pieces it feeds. */
export function contentKey(value: unknown): string {
  return value === undefined ? '-' : JSON.stringify(value, withoutPlaces);
}

