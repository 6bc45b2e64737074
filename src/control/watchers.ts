// Who watches the mesh's requests: a tap stream (mesh tap, the dashboard, the web view) while it
// is open, and a question to the graph or the traces (`mesh graph`, `mesh traces`, their panes)
// for a while after it is asked. While anyone watches, the proxies log and trace every request;
// otherwise none is logged and 1% traced (compile/runtime.ts), which keeps the data path as cheap
// as a plain Envoy's. `onChange` hears each switch; `since` tells since when requests are seen.

/** How long a question to the graph or traces keeps the proxies reporting every request. */
export const WATCH_LINGER_MS = 30_000;

export interface Watchers {
  /** A stream opened: watched until the returned function is called. */
  hold(): () => void;
  /** A question was asked: watched for WATCH_LINGER_MS from now. */
  touch(): void;
  watched(): boolean;
  /** Since when the proxies report every request (ms since the epoch), undefined while nobody watches. */
  since(): number | undefined;
  close(): void;
}

export function watchers(onChange: (watched: boolean) => void, lingerMs = WATCH_LINGER_MS): Watchers {
  let streams = 0;
  let until = 0;
  let since: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const watched = () => streams > 0 || Date.now() < until;
  const update = () => {
    clearTimeout(timer);
    timer = undefined;
    const now = watched();
    if (now && since === undefined) {
      since = Date.now();
      onChange(true);
    } else if (!now && since !== undefined) {
      since = undefined;
      onChange(false);
    }
    if (now && streams === 0) timer = setTimeout(update, Math.max(1, until - Date.now())).unref();
  };
  return {
    hold() {
      streams++;
      update();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        streams--;
        // A stream that closes lingers as a question does: the dashboard reconnecting is no switch.
        until = Math.max(until, Date.now() + lingerMs);
        update();
      };
    },
    touch() {
      until = Date.now() + lingerMs;
      update();
    },
    watched,
    since: () => since,
    close: () => clearTimeout(timer),
  };
}
