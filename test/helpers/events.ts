// A client of the control plane's GET /events (server-sent events) for tests.
import type { ControlEvent } from '../../src/control/events.ts';

export interface ReadEventsOptions {
  /** Stop after this many events. */
  count?: number;
  /** Stop when nothing arrives for this long. */
  quietMs?: number;
  headers?: Record<string, string>;
  /** Started once the stream is open (to cause the events awaited). */
  during?: () => Promise<void>;
}

/** The events of the stream at `url`, each checked to carry its id on the `id:` line. */
export async function readEvents(url: string, options: ReadEventsOptions = {}): Promise<ControlEvent[]> {
  const { count = Infinity, quietMs = 5000, headers = {}, during } = options;
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  if (response.headers.get('content-type') !== 'text/event-stream') throw new Error(`${url} is not an event stream`);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const received: ControlEvent[] = [];
  let buffer = '';
  void during?.();
  while (received.length < count) {
    let timer: NodeJS.Timeout | undefined;
    const quiet = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), quietMs)));
    const chunk = await Promise.race([reader.read(), quiet]);
    clearTimeout(timer);
    if (chunk === undefined || chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    const blocks = buffer.split('\n\n');
    buffer = blocks.pop()!;
    for (const block of blocks) {
      const lines = block.split('\n');
      const data = lines.find((l) => l.startsWith('data: '));
      if (!data) continue;
      const event = JSON.parse(data.slice(6)) as ControlEvent;
      if (!lines.includes(`id: ${event.id}`)) throw new Error(`event ${event.id} came without its id line: ${block}`);
      received.push(event);
    }
  }
  abort.abort();
  return received;
}
