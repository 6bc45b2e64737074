// The keys of an AuthorizationPolicy `when` condition, as Istio documents them
// (reference/config/security/conditions): parsed once here for validation and for the compiler.
// `request.headers[NAME]` and `request.auth.claims[NAME]` (nested: `[a][b]`) carry a name.

export type ConditionKey =
  | { key: 'request.headers'; name: string }
  | { key: 'request.auth.claims'; path: string[] }
  | {
      key:
        | 'source.ip'
        | 'remote.ip'
        | 'source.namespace'
        | 'source.principal'
        | 'request.auth.principal'
        | 'request.auth.audiences'
        | 'request.auth.presenter'
        | 'destination.ip'
        | 'destination.port'
        | 'connection.sni';
    };

const PLAIN = new Set([
  'source.ip', 'remote.ip', 'source.namespace', 'source.principal', 'request.auth.principal', 'request.auth.audiences',
  'request.auth.presenter', 'destination.ip', 'destination.port', 'connection.sni',
] as const);

/** Every key Istio documents, for a hint. */
export const CONDITION_KEYS = ['request.headers[NAME]', 'request.auth.claims[NAME]', ...PLAIN];

/** The key's meaning, or undefined for a key Istio does not document (or `experimental.*`, not supported here). */
export function parseConditionKey(text: string): ConditionKey | undefined {
  if ((PLAIN as Set<string>).has(text)) return { key: text as Exclude<ConditionKey, { name: string } | { path: string[] }>['key'] };
  const header = /^request\.headers\[([^\][]+)\]$/.exec(text);
  if (header) return { key: 'request.headers', name: header[1]!.toLowerCase() };
  const claims = /^request\.auth\.claims((?:\[[^\][]+\])+)$/.exec(text);
  if (claims) return { key: 'request.auth.claims', path: [...claims[1]!.matchAll(/\[([^\][]+)\]/g)].map((m) => m[1]!) };
  return undefined;
}

/** Whether an address or CIDR (`10.0.0.0/8`, `192.168.1.7`, `::1/128`) is well formed: its address and prefix length. */
export function parseCidr(text: string): { address: string; prefixLen: number } | undefined {
  const [address, len, ...rest] = text.split('/');
  if (rest.length > 0 || address === undefined) return undefined;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  const v6 = !v4 && /^[0-9a-fA-F:]+$/.test(address) && address.includes(':');
  if (!v4 && !v6) return undefined;
  if (v4 && v4.slice(1).some((o) => Number(o) > 255)) return undefined;
  const max = v4 ? 32 : 128;
  if (len === undefined) return { address, prefixLen: max };
  if (!/^\d+$/.test(len) || Number(len) > max) return undefined;
  return { address, prefixLen: Number(len) };
}
