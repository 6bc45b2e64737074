// The CLI's side of the control plane's HTTP API: GET a path, JSON back, failures as sentences.
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
