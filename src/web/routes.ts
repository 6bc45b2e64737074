// The web view's routes on the control plane's API (behind its Host and Origin guard):
//   GET  /ui/, /ui/FILE           the page: static files of web/ (no build step, nothing fetched)
//   GET  /ui/mesh                 the mesh files as the dashboard shows them (MeshView, tui/mesh-view.ts)
//   POST /routes/KEY/weights      {"weights": {"v1": 50, "v2": 50}}: written into the YAML as the
//                                 dashboard writes it (config/write-weights.ts); the watcher then
//                                 reloads the file as for any edit. Needs the run's token in X-Mesh-Token.
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { extname, join } from 'node:path';
import { formatDiagnostic, hasErrors } from '../config/diagnostics.ts';
import { loadMesh } from '../config/index.ts';
import { writeRouteWeights } from '../config/write-weights.ts';
import { HttpError, type ApiReply, type ApiRoutes } from '../control/api.ts';
import { meshView } from '../tui/mesh-view.ts';
import { TOKEN_HEADER, tokenMatches } from './token.ts';

export const ASSETS = new URL('../../web/', import.meta.url).pathname;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The page may load only its own files and talk only to this API; no other page may frame it. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const MAX_BODY = 16 * 1024;

export interface WebOptions {
  /** The mesh directory the control plane watches. */
  dir: string;
  /** The run's write token; undefined when it could not be kept (writes are then refused). */
  token: string | undefined;
  assets?: string;
}

export function webRoutes(options: WebOptions): ApiRoutes {
  const assets = options.assets ?? ASSETS;
  // Writes one after another (two tabs at once): each edits the file as the last one left it.
  let writes: Promise<unknown> = Promise.resolve();
  const inTurn = (write: () => Promise<ApiReply>): Promise<ApiReply> => {
    const next = writes.then(write, write);
    writes = next.catch(() => undefined);
    return next;
  };
  return (req, url) => {
    const path = url.pathname;
    if (path === '/ui') return Promise.resolve({ status: 302, content: '', type: 'text/plain', headers: { location: `/ui/${url.search}` } });
    if (path === '/ui/mesh') return only('GET', req, () => mesh(options.dir));
    if (path.startsWith('/ui/')) return only('GET', req, () => asset(assets, path.slice(4) || 'index.html'));
    const weights = /^\/routes\/([^/]+)\/weights$/.exec(path);
    if (weights) return only('POST', req, () => inTurn(() => writeWeights(options, decodeURIComponent(weights[1]!), req)));
    return undefined;
  };
}

function only(method: string, req: IncomingMessage, answer: () => Promise<ApiReply>): Promise<ApiReply> {
  if (req.method !== method) return Promise.reject(new HttpError(405, `${req.method} is not supported here; use ${method}.`));
  return answer();
}

async function asset(assets: string, name: string): Promise<ApiReply> {
  // Only the files of the folder itself, by exact name: no path reaches outside it.
  const files = await readdir(assets).catch(() => [] as string[]);
  const type = TYPES[extname(name)];
  if (!files.includes(name) || !type) throw new HttpError(404, `The web view has no ${name}.`);
  return { status: 200, content: await readFile(join(assets, name)), type, headers: PAGE_HEADERS };
}

async function mesh(dir: string): Promise<ApiReply> {
  const { model, diagnostics } = await loadMesh(dir);
  if (!model || hasErrors(diagnostics)) {
    const first = diagnostics.find((d) => d.severity === 'error');
    return { status: 200, json: { problem: `The mesh files are invalid: ${first ? formatDiagnostic(first).split('\n')[0] : 'no mesh found'}` } };
  }
  return { status: 200, json: { mesh: meshView(model) } };
}

async function writeWeights(options: WebOptions, key: string, req: IncomingMessage): Promise<ApiReply> {
  if (!tokenMatches(options.token, req.headers[TOKEN_HEADER])) {
    throw new HttpError(403, options.token
      ? 'A write needs this run\'s token in the X-Mesh-Token header: open the web view with `mesh ui`, whose URL carries it.'
      : 'Writes are off: the control plane could not keep a token for the web view.');
  }
  const body = await readJson(req);
  const weights = (body as { weights?: unknown } | undefined)?.weights;
  const { model, diagnostics } = await loadMesh(options.dir);
  if (!model || hasErrors(diagnostics)) throw new HttpError(409, 'The mesh files are invalid; fix them before changing weights.');
  const route = meshView(model).routes.find((r) => r.key === key);
  if (!route) throw new HttpError(404, `No route ${key} in the mesh.`);
  const labels = route.destinations.map((d) => d.label);
  const problem = weightsProblem(weights, labels);
  if (problem) throw new HttpError(400, problem);
  const vs = model.virtualServices.find((v) => v.name === route.vs && v.namespace === route.namespace && (v.from ? 'HTTPRoute' : undefined) === route.from);
  const http = vs?.spec.http?.[route.index];
  if (!vs || !http) throw new HttpError(404, `No route ${key} in the mesh.`);
  const result = await writeRouteWeights(options.dir, { vs, index: route.index, route: http, labels }, weights as Record<string, number>);
  if ('error' in result) {
    const first = result.diagnostics?.find((d) => d.severity === 'error');
    throw new HttpError(409, result.error.split('\n')[0]! + (first ? ` ${formatDiagnostic(first).split('\n')[0]}` : ''));
  }
  return { status: 200, json: result };
}

/** Why `weights` is not a whole percentage per destination label adding up to 100; undefined when it is. */
export function weightsProblem(weights: unknown, labels: readonly string[]): string | undefined {
  if (typeof weights !== 'object' || weights === null || Array.isArray(weights)) return 'The body is {"weights": {"SUBSET": PERCENT, …}}.';
  const entries = Object.entries(weights);
  const unknown = entries.filter(([label]) => !labels.includes(label)).map(([label]) => label);
  if (unknown.length) return `The route has no destination ${unknown.join(', ')}; its destinations are ${labels.join(', ')}.`;
  if (entries.some(([, w]) => !Number.isInteger(w) || (w as number) < 0 || (w as number) > 100)) return 'Each weight is a whole percentage from 0 to 100.';
  const total = entries.reduce((sum, [, w]) => sum + (w as number), 0);
  if (total !== 100) return `The weights add up to ${total}, not 100.`;
  return undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'A write is JSON: send Content-Type: application/json.');
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > MAX_BODY) throw new HttpError(413, 'The body is too large.');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'The body is not JSON.');
  }
}
