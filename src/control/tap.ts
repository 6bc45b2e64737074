// What `mesh tap` shows: the requests every proxy logs over ALS (xds/access-log.ts), kept in a
// ring per proxy (bounded memory: the newest KEEP per proxy) and handed to subscribers as they
// arrive. Counts what the rings dropped, so a reader can say so.
import type { TapEntry } from '../xds/access-log.ts';

export interface TapStore {
  add(entries: readonly TapEntry[]): void;
  /** The kept entries, oldest first (across proxies, by time). */
  recent(): TapEntry[];
  /** Hear every entry from now on; returns the unsubscribe. */
  subscribe(fn: (entry: TapEntry) => void): () => void;
  /** Entries pushed out of the rings so far. */
  dropped(): number;
}

export function tapStore(keepPerProxy = 500): TapStore {
  const rings = new Map<string, TapEntry[]>();
  const listeners = new Set<(entry: TapEntry) => void>();
  let dropped = 0;
  return {
    add(entries) {
      for (const entry of entries) {
        const ring = rings.get(entry.proxy) ?? [];
        rings.set(entry.proxy, ring);
        ring.push(entry);
        if (ring.length > keepPerProxy) {
          ring.shift();
          dropped++;
        }
        for (const fn of listeners) fn(entry);
      }
    },
    recent: () => [...rings.values()].flat().sort((a, b) => a.at - b.at),
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    dropped: () => dropped,
  };
}
