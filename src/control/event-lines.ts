// The lines `mesh control` prints, from its events: one line per step, not one per proxy. The
// pushes, ACKs, NACKs, connections and disconnections of many proxies that belong together (the
// same type and version, the same NACK message) are told in one line: pushes once the burst that
// sent them is over (one publish sends them all in one go), the rest once their group has been
// quiet for `quietMs`, or as soon as every proxy pushed a version has ACKed it. Any other event
// prints the lines waiting first, so the order stays that of the events. A thousand proxies cost
// a few lines per edit, so a slow reader of stdout (a pipe blocks the writer once full) cannot
// hold up the pushes.
import { describeEvent, describeGroup } from './describe.ts';
import type { ControlEvent } from './events.ts';

export interface EventLines {
  add(event: ControlEvent): void;
  /** Prints what waits (on exit). */
  flush(): void;
}

type Grouped = Extract<ControlEvent, { type: 'pushed' | 'acked' | 'nacked' | 'connected' | 'disconnected' }>;

function groupKey(e: ControlEvent): string | undefined {
  switch (e.type) {
    case 'pushed':
    case 'acked':
      return `${e.type} ${e.kind} ${e.version}`;
    case 'nacked':
      return `${e.type} ${e.kind} ${e.version} ${e.message}`;
    case 'connected':
    case 'disconnected':
      return e.type;
    default:
      return undefined;
  }
}

export function eventLines(print: (line: string) => void, quietMs = 50): EventLines {
  /** Groups in the order they started, with the proxies in each. */
  const groups = new Map<string, { events: Grouped[]; proxies: Set<string> }>();
  /** The proxies the last push of each version went to, by `kind version`, until its ACKs are told. */
  const pushedTo = new Map<string, Set<string>>();
  let timer: NodeJS.Timeout | undefined;
  /** When the last grouped event came: the timer prints once `quietMs` have passed since. */
  let lastAt = 0;
  let immediate: NodeJS.Immediate | undefined;

  const printGroup = (key: string) => {
    const group = groups.get(key)!;
    groups.delete(key);
    const first = group.events[0]!;
    if (first.type === 'acked') pushedTo.delete(`${first.kind} ${first.version}`);
    print(group.events.length === 1 ? describeEvent(first) : describeGroup(group.events));
  };
  const flushAll = () => {
    clearTimeout(timer);
    clearImmediate(immediate);
    timer = immediate = undefined;
    for (const key of [...groups.keys()]) printGroup(key);
    pushedTo.clear(); // an ACK later than this is told on its own
  };
  const flushPushes = () => {
    immediate = undefined;
    for (const key of [...groups.keys()]) if (key.startsWith('pushed ')) printGroup(key);
  };

  return {
    add(event) {
      const key = groupKey(event);
      if (key === undefined) {
        flushAll();
        print(describeEvent(event));
        return;
      }
      const e = event as Grouped;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { events: [], proxies: new Set() }));
      group.events.push(e);
      group.proxies.add(e.proxy);
      if (e.type === 'pushed') {
        pushedTo.set(`${e.kind} ${e.version}`, group.proxies);
        immediate ??= setImmediate(flushPushes);
        return;
      }
      if (e.type === 'acked') {
        const to = pushedTo.get(`${e.kind} ${e.version}`);
        if (to && group.proxies.size >= to.size && [...to].every((p) => group.proxies.has(p))) return printGroup(key);
      }
      lastAt = performance.now();
      timer ??= setTimeout(function quiet() {
        const left = quietMs - (performance.now() - lastAt);
        if (left > 0) timer = setTimeout(quiet, left);
        else flushAll();
      }, quietMs);
    },
    flush: flushAll,
  };
}
