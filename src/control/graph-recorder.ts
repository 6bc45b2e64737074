// The calls the service graph is drawn from (control/graph.ts), kept for the longest window a
// reader may ask (MAX_GRAPH_WINDOW_MS) from every entry the tap store hears: the tap's own rings
// keep the newest 500 requests per proxy, too few for a window at a few hundred requests/s.
// Each call is joined, as its entries arrive, with the inbound entry of the sidecar that served
// it (same request id, during the call): its destination becomes that version. Either side waits
// at most JOIN_MS for the other (the proxies' streams flush apart). Bounded memory: at most
// `maxCalls` calls (the oldest go first, counted).
import { buildGraph, graphCall, servedBy, servedDuring, servedKey, SETTLE_MS, type GraphCall, type GraphReport, type Served } from './graph.ts';
import type { TapStore } from './tap.ts';

export const MAX_GRAPH_WINDOW_MS = 60_000;
export const DEFAULT_GRAPH_WINDOW_MS = 10_000;
const MAX_NAMES = 10_000;
/** How long an unmatched call or inbound entry waits for its other side. */
const JOIN_MS = 5000;

export interface GraphRecorder {
  /**
   * The graph over the last `windowMs` (DEFAULT_GRAPH_WINDOW_MS; its `windowMs` is shorter in the
   * first seconds of the control plane, the time it has heard calls for): every service by
   * version, or only those of `expand`; `dropped`: calls let go to stay within the bound.
   */
  report(windowMs?: number, expand?: ReadonlySet<string>): GraphReport & { dropped: number };
  close(): void;
}

/** Entries by key, oldest first, for a join: each waits for its other side until `JOIN_MS` old. */
function waiting<T extends { at: number }>() {
  const byKey = new Map<string, T[]>();
  return {
    add(key: string, item: T) {
      const list = byKey.get(key);
      if (list) list.push(item);
      else byKey.set(key, [item]);
    },
    /** The first waiting under `key` that `fits`, taken out. */
    take(key: string, fits: (item: T) => boolean): T | undefined {
      const list = byKey.get(key);
      const at = list?.findIndex(fits) ?? -1;
      if (at < 0) return undefined;
      const [item] = list!.splice(at, 1);
      if (list!.length === 0) byKey.delete(key);
      return item;
    },
    /** Gives up on those older than JOIN_MS (the map keeps the order they came in). */
    expire(now: number) {
      for (const [key, list] of byKey) {
        if (list[0]!.at > now - JOIN_MS) break;
        const kept = list.filter((item) => item.at > now - JOIN_MS);
        if (kept.length) byKey.set(key, kept);
        else byKey.delete(key);
      }
    },
    size: () => byKey.size,
  };
}

export function graphRecorder(tap: Pick<TapStore, 'subscribe'>, options: { maxCalls?: number; now?: () => number } = {}): GraphRecorder {
  const maxCalls = options.maxCalls ?? 100_000;
  const now = options.now ?? Date.now;
  const started = now();
  let calls: GraphCall[] = [];
  let dropped = 0;
  const services = new Set<string>();
  // The few names, one string each: the calls hold the same ones (a third of the memory otherwise).
  const names = new Map<string, string>();
  const intern = (name: string) => names.get(name) ?? (names.size < MAX_NAMES ? (names.set(name, name), name) : name);
  const calling = waiting<GraphCall>();
  const serving = waiting<Served>();
  /** The calls older than the longest window let go (they arrive about in order of time). */
  const forget = (at: number) => {
    const oldest = calls.findIndex((c) => c.at > at - MAX_GRAPH_WINDOW_MS);
    calls = oldest < 0 ? [] : oldest === 0 ? calls : calls.slice(oldest);
    calling.expire(at);
    serving.expire(at);
  };
  const served = (call: GraphCall, by: Served) => {
    call.toSubset = by.version;
    call.requestId = '';
  };
  const unsubscribe = tap.subscribe((entry) => {
    const inbound = servedBy(entry, services);
    if (inbound) {
      const version = intern(inbound.served.version);
      const call = calling.take(inbound.key, (c) => servedDuring(c, inbound.served));
      if (call) served(call, { at: inbound.served.at, version });
      else serving.add(inbound.key, { at: inbound.served.at, version });
      return;
    }
    const found = graphCall(entry, services);
    if (!found) return;
    services.add(found.toService);
    const call: GraphCall = { ...found, fromService: intern(found.fromService), fromVersion: intern(found.fromVersion), toService: intern(found.toService), toSubset: intern(found.toSubset) };
    calls.push(call);
    if (call.requestId) {
      const key = servedKey(call.requestId, call.toService);
      const by = serving.take(key, (s) => servedDuring(call, s));
      if (by) served(call, by);
      else calling.add(key, call);
    }
    if (calls.length % 1024 === 0) forget(now());
    // Over the bound (more than maxCalls / 60 calls a second): the oldest go, counted.
    if (calls.length > maxCalls * 1.25) {
      dropped += calls.length - maxCalls;
      calls = calls.slice(calls.length - maxCalls);
    }
  });
  return {
    report(windowMs = DEFAULT_GRAPH_WINDOW_MS, expand) {
      const at = now();
      forget(at);
      // Just started: the rate over the time there was to hear calls in, not the whole window.
      const counted = Math.max(1000, Math.min(windowMs, at - started));
      return { ...buildGraph(calls, { now: at, windowMs: counted, settleMs: SETTLE_MS, ...(expand ? { expand } : {}) }), dropped };
    },
    close: unsubscribe,
  };
}
