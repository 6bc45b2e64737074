// Istio's rules for HTTP header names and values in VirtualServices: header operations (request
// set/add may name `:authority`/`host` but no other pseudo header; removing a request header and
// any response operation may name neither), header matches, CORS header lists, and values in
// Envoy's header formatter syntax (`%%` is a literal %, `%VAR%` a variable).
import type { SourceDocument } from './load.ts';
import { formatPath, keyAt, valueAt, type Path } from './position.ts';
import type { Report } from './report.ts';
import type { Headers } from './schema/istio.ts';

const TOKEN = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
const PSEUDO = new Set([':method', ':scheme', ':authority', ':path', ':status']);
const CONTROL = /[\u0000-\u0008\u000A-\u001F\u007F]/;

export const isAuthority = (name: string) => /^(:authority|host)$/i.test(name);

/** Why a header name cannot be matched on, or undefined. */
export function matchNameProblem(name: string): string | undefined {
  if (name === '') return 'a header name cannot be empty';
  if (name.startsWith('@request.auth.claims')) return undefined;
  if (PSEUDO.has(name) || TOKEN.test(name)) return undefined;
  return `'${name}' is not a valid HTTP header name`;
}

/** Why a header name is not a valid CORS header (or `*`), or undefined. */
export function corsNameProblem(name: string): string | undefined {
  if (name === '') return 'a header name cannot be empty';
  return name === '*' || TOKEN.test(name) ? undefined : `'${name}' is not a valid HTTP header name`;
}

/** Why a header value is not one Envoy's header formatter reads, or undefined. */
export function valueProblem(value: string): string | undefined {
  if (CONTROL.test(value)) return 'a header value cannot hold control characters';
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '%') continue;
    if (value[i + 1] === '%') {
      i++;
      continue;
    }
    const end = value.indexOf('%', i + 1);
    if (end < 0) return `'${value}' has a % that starts no %VARIABLE%; write %% for a literal %`;
    i = end;
  }
  return undefined;
}

function operationNameProblem(name: string, mayBeAuthority: boolean): string | undefined {
  if (name === '') return 'a header name cannot be empty';
  if (mayBeAuthority && isAuthority(name)) return undefined;
  if (/^host$/i.test(name)) return `the Host header cannot be ${mayBeAuthority ? 'changed' : 'removed or changed'} here`;
  if (name.startsWith(':')) return `header '${name}' cannot be changed: a name starting with ':' is a pseudo header`;
  return undefined;
}

/** Every name and value of a `headers` block (route or destination level). */
export function checkHeaderOperations(source: SourceDocument, path: Path, headers: Headers, report: Report): void {
  for (const side of ['request', 'response'] as const) {
    const ops = headers[side];
    if (!ops) continue;
    for (const op of ['set', 'add'] as const) {
      for (const [name, value] of Object.entries(ops[op] ?? {})) {
        const at = [...path, side, op, name];
        const problem = operationNameProblem(name, side === 'request');
        if (problem) report('error', keyAt(source, at), `${formatPath([...path, side, op])}: ${problem}`);
        const bad = valueProblem(value);
        if (bad) report('error', valueAt(source, at), `${formatPath(at)}: ${bad}`);
      }
    }
    ops.remove?.forEach((name, i) => {
      const problem = operationNameProblem(name, false);
      if (problem) report('error', valueAt(source, [...path, side, 'remove', i]), `${formatPath([...path, side, 'remove', i])}: ${problem}`);
    });
  }
}
