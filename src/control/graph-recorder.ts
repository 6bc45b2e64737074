// The calls the service graph is drawn from (control/graph.ts), kept for the longest window a
// reader may ask (MAX_GRAPH_WINDOW_MS) from every entry the tap store hears: the tap's own rings
// keep the newest 500 requests per proxy, too few for a window at a few hundred requests/s.
// Bounded memory: at most `maxCalls` calls (the oldest go first, counted).
import { buildGraph, graphCall, servedBy, withServedVersions, type GraphCall, type GraphReport, type Served } from './graph.ts';
import type { TapStore } from './tap.ts';

export const MAX_GRAPH_WINDOW_MS = 60_000;
export const DEFAULT_GRAPH_WINDOW_MS = 10_000;
const MAX_NAMES = 10_000;

export interface GraphRecorder {
  /**
   * The graph over the last `windowMs` (DEFAULT_GRAPH_WINDOW_MS; its `windowMs` is shorter in the
   * first seconds of the control plane, the time it has heard calls for): every service by
   * version, or only those of `expand`; `dropped`: calls let go to stay within the bound.
   */
  report(windowMs?: number, expand?: ReadonlySet<string>): GraphReport & { dropped: number };
  close(): void;
}

export function graphRecorder(tap: Pick<TapStore, 'subscribe'>, options: { maxCalls?: number; now?: () => number } = {}): GraphRecorder {
  const maxCalls = options.maxCalls ?? 100_000;
  const now = options.now ?? Date.now;
  const started = now();
  let calls: GraphCall[] = [];
  let dropped = 0;
  const services = new Set<string>();
  /** The calls older than the longest window let go (they arrive about in order of time). */
  const forget = (at: number) => {
    const oldest = calls.findIndex((c) => c.at > at - MAX_GRAPH_WINDOW_MS);
    calls = oldest < 0 ? [] : oldest === 0 ? calls : calls.slice(oldest);
  };
  // The few names, one string each: the calls hold the same ones (a third of the memory otherwise).
  const names = new Map<string, string>();
  const intern = (name: string) => names.get(name) ?? (names.size < MAX_NAMES ? (names.set(name, name), name) : name);
  /** Which version served a request (`REQUEST-ID|SERVICE`), from the sidecars' inbound entries; the newest maxCalls. */
  let served = new Map<string, Served[]>();
  const unsubscribe = tap.subscribe((entry) => {
    const serving = servedBy(entry, services);
    if (serving) {
      const one = { at: serving.served.at, version: intern(serving.served.version) };
      const known = served.get(serving.key);
      if (known) known.push(one);
      else served.set(serving.key, [one]);
      if (served.size > maxCalls * 1.25) served = new Map([...served].slice(-maxCalls));
      return;
    }
    const call = graphCall(entry, services);
    if (!call) return;
    services.add(call.toService);
    calls.push({ ...call, fromService: intern(call.fromService), fromVersion: intern(call.fromVersion), toService: intern(call.toService), toSubset: intern(call.toSubset) });
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
      return { ...buildGraph(withServedVersions(calls, served, at), { now: at, windowMs: counted, ...(expand ? { expand } : {}) }), dropped };
    },
    close: unsubscribe,
  };
}
