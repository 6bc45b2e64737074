// What happens in the control plane, in order: the controller's steps (files changed, invalid,
// compiled, unchanged) and the xDS server's (pushed, acked, nacked, connected, disconnected).
// The log keeps the last events for those who connect later and tells subscribers as it goes.
import type { Diagnostic } from '../config/diagnostics.ts';
import type { XdsEvent } from '../xds/types.ts';

export type ControllerEvent =
  /**
   * A burst of file events, seen first at `at`, settled `ms` later; `unreported` when no event
   * told of it and reading the files back found it (the watcher missed the last of a burst).
   */
  | { type: 'changed'; files: string[]; unreported?: true; at: number; ms: number }
  /** The mesh does not validate (or compile); `serving` is the version that keeps serving. */
  | { type: 'invalid'; diagnostics: Diagnostic[]; serving?: string; at: number; ms: number }
  /** A new version compiled and published to every proxy's snapshot. */
  | { type: 'compiled'; version: string; proxies: string[]; warnings: number; at: number; ms: number }
  /** The mesh is valid and the same as the version serving. */
  | { type: 'unchanged'; version: string; at: number; ms: number };

/** Every event with its place in the log; `ms` is the time the step took, where it has one. */
export type ControlEvent = (ControllerEvent | XdsEvent) & { id: number; ms?: number };

export interface EventLog {
  publish(event: ControllerEvent | XdsEvent): ControlEvent;
  /** The last events, oldest first. */
  recent(): ControlEvent[];
  /** Calls `fn` with every event published from now on; returns the unsubscribe function. */
  subscribe(fn: (event: ControlEvent) => void): () => void;
}

export function eventLog(keep = 100): EventLog {
  const events: ControlEvent[] = [];
  const subscribers = new Set<(event: ControlEvent) => void>();
  let next = 1;
  return {
    publish(event) {
      const logged: ControlEvent = { ...event, id: next++, ...(event.type === 'acked' ? { ms: event.latencyMs } : {}) };
      events.push(logged);
      if (events.length > keep) events.shift();
      for (const fn of subscribers) fn(logged);
      return logged;
    },
    recent: () => [...events],
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}
