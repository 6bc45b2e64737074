// Ctrl-C (SIGINT) and SIGTERM while `mesh up` starts and runs: one AbortSignal that every wait
// of the start-up listens to, so that a signal at any moment undoes what was started instead of
// killing `mesh up` and leaving it running. The listeners stay until `dispose`: a second Ctrl-C
// while stopping does not cut the clean-up short (and execa's exit handler, which re-raises a
// signal nobody else listens to, sees a listener).

export interface Interrupt {
  /** Aborted on the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** The signal received, if any. */
  received(): NodeJS.Signals | undefined;
  /** Throws `Interrupted` once a signal was received. */
  check(): void;
  dispose(): void;
}

/** Thrown by a wait that a signal cut short. */
export class Interrupted extends Error {
  readonly by: NodeJS.Signals;
  constructor(by: NodeJS.Signals) {
    super(`interrupted by ${by}`);
    this.by = by;
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function onInterrupt(): Interrupt {
  const abort = new AbortController();
  let got: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (got) return;
    got = signal;
    abort.abort(new Interrupted(signal));
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    signal: abort.signal,
    received: () => got,
    check() {
      if (got) throw new Interrupted(got);
    },
    dispose() {
      for (const s of SIGNALS) process.off(s, handler);
    },
  };
}

/** The shell's exit code for a process ended by a signal: 130 for SIGINT, 143 for SIGTERM. */
export const signalExitCode = (signal: NodeJS.Signals): number => (signal === 'SIGINT' ? 130 : 143);

/** How a user names the signal: Ctrl-C for SIGINT. */
export const signalName = (signal: NodeJS.Signals): string => (signal === 'SIGINT' ? 'Ctrl-C' : signal);

/** Waits `ms`, or less when `signal` aborts first (then throws its reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
