// The CLI's side of the control plane's HTTP API: GET a path, JSON back, failures as sentences;
// and server-sent event streams (/events, /tap), message by message.
export const DEFAULT_API = 'http://127.0.0.1:15080';

export class ApiError extends Error {}

export async function apiGet<T>(api: string, path: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(path, api), { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new ApiError(
      `No control plane answers at ${api} (${reason}). Start one with \`mesh control --dir DIR\` ` +
        `(or point at a running one with --api URL).`,
    );
  }
  const body = (await response.json().catch(() => undefined)) as { error?: string } | undefined;
  if (!response.ok) throw new ApiError(body?.error ?? `The control plane at ${api} answered ${path} with HTTP ${response.status}.`);
  return body as T;
}

/** One server-sent event: its `event:` name (`message` when none) and its data. */
export interface StreamMessage {
  event: string;
  data: string;
}

/** Reads a server-sent event stream of the API until it ends or `signal` aborts; a failure to connect is an ApiError. */
export async function apiStream(api: string, path: string, onMessage: (message: StreamMessage) => void, options: { signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<void> {
  let response: Response;
  try {
    response = await fetch(new URL(path, api), { headers: options.headers ?? {}, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    if (options.signal?.aborted) return;
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new ApiError(`No control plane answers at ${api} (${reason}). Is the mesh running (mesh up), or is it elsewhere (--api URL)?`);
  }
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => undefined)) as { error?: string } | undefined;
    throw new ApiError(body?.error ?? `The control plane at ${api} answered ${path} with HTTP ${response.status}.`);
  }
  let buffer = '';
  try {
    for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
        if (data) onMessage({ event, data });
      }
    }
  } catch (error) {
    if (!options.signal?.aborted) throw error;
  }
}

/**
 * Watches the mesh's requests, as `mesh tap` and the dashboard do (a tap stream held open, so
 * the proxies log and trace every request: control/watchers.ts): resolves once they do (the
 * stream's first `dropped` event) with the function that stops watching.
 */
export async function watchRequests(api: string): Promise<() => void> {
  const abort = new AbortController();
  const streaming = apiStream(api, '/tap?recent=no', ({ event }) => {
    if (event === 'dropped') started();
  }, { signal: abort.signal });
  let started: () => void = () => undefined;
  await Promise.race([
    new Promise<void>((resolve) => (started = resolve)),
    streaming.then(() => Promise.reject(new ApiError(`The control plane at ${api} closed the tap stream before it started.`))),
  ]);
  return () => abort.abort();
}
