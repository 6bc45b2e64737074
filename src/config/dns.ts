// Istio's rules for the names it reads as DNS: labels (subset, namespace and Gateway names),
// hosts with a wildcard first label (VirtualService and DestinationRule hosts), and Gateway
// server hosts (`[NAMESPACE/]HOST`, no short names). Pure predicates returning the problem.
import { isIP } from 'node:net';

const LABEL = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const WILDCARD_LABEL = /^(\*|\*?[-a-zA-Z0-9]*[a-zA-Z0-9])$/;

/** A DNS-1123 label, at most 63 characters. */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && LABEL.test(name);
}

export function isIpAddress(text: string): boolean {
  return isIP(text) !== 0;
}

/** Why `host` is not a DNS name whose first label may be a wildcard (Istio's ValidateWildcardDomain), or undefined. */
export function wildcardDomainProblem(host: string): string | undefined {
  if (host.length === 0) return 'an empty host is not allowed';
  if (host.length > 255) return `host '${host}' is longer than 255 characters`;
  const [first, ...rest] = host.split('.');
  if (first!.length > 63 || !WILDCARD_LABEL.test(first!)) return `host '${host}' is not a valid DNS name (label '${first}'); only the first label may be a wildcard`;
  if (rest.length === 0) return undefined;
  const last = rest[rest.length - 1]!;
  if (/^\d+$/.test(last)) return `host '${host}' is not a valid DNS name (its top-level domain '${last}' is all digits)`;
  for (const [i, label] of rest.entries()) {
    if (i === rest.length - 1 && label === '') return undefined; // `istio.io.`
    if (!isDnsLabel(label)) return `host '${host}' is not a valid DNS name (label '${label}'); only the first label may be a wildcard`;
  }
  return undefined;
}

/** Why a Gateway server host (`[NAMESPACE/]HOST`) is not one Istio accepts, or undefined. */
export function serverHostProblem(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const namespace = slash >= 0 ? entry.slice(0, slash) : undefined;
  const host = slash >= 0 ? entry.slice(slash + 1) : entry;
  if (namespace !== undefined) {
    if (namespace === '' || host === '') return `server host '${entry}' needs a namespace and a host on either side of the /`;
    if (namespace !== '*' && namespace !== '.' && !isDnsLabel(namespace)) {
      return `the namespace '${namespace}' of server host '${entry}' is not valid: write *, . or a namespace name`;
    }
  }
  if (host !== '*' && !host.includes('.')) return `server host '${entry}' is a short name; a Gateway server takes fully qualified hosts (or *)`;
  if (host.includes('*') && host !== '*' && !host.startsWith('*.')) return `server host '${entry}' has a partial wildcard; only *.DOMAIN or * is allowed`;
  if (!isIpAddress(host)) {
    const problem = wildcardDomainProblem(host);
    if (problem) return problem;
  }
  return undefined;
}
