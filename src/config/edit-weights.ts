// `mesh weight`: find the HTTP route that splits a host's traffic and rewrite its weights in the
// YAML text in place. Pure: the model and the file's text in, the new text or a Diagnostic out.
// Only the weight numbers change: everything else in the file (comments, spacing, key order,
// flow or block style, the other documents) stays byte for byte.
import { isScalar } from 'yaml';
import { documentOf, inDocument, reprint } from './find-document.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { MeshModel, VirtualServiceModel } from './model.ts';
import { fqdn, hostFqdn } from './model.ts';
import type { HTTPRoute } from './schema/istio.ts';

export interface WeightChange {
  /** The destination host: short name (in the mesh's namespace), NAME.NS or the FQDN. */
  host: string;
  /** Weight by destination subset (or destination host, for a destination without a subset). */
  weights: Record<string, number>;
  /** The HTTP route's `name`, or its VirtualService's name, when several routes go to the host. */
  route?: string;
}

/** One HTTP route of a VirtualService that sends traffic to the host. */
export interface WeightedRoute {
  vs: VirtualServiceModel;
  /** Index in `spec.http`. */
  index: number;
  route: HTTPRoute;
  /** How `mesh weight` names each destination: its subset, else its host. */
  labels: string[];
}

export interface WeightEdit {
  file: string;
  text: string;
  /** For the user, e.g. `VirtualService reviews (canary/reviews.yaml:10:7): v1 90 → 50, v2 10 → 50`. */
  summary: string;
  /** The document had to be printed again (a destination had no `weight:` key to rewrite). */
  reformatted: boolean;
}

type Result<T> = T | { error: Diagnostic };

const failure = (file: string, message: string, hint?: string, at = { line: 0, col: 0 }): { error: Diagnostic } => ({
  error: { file, ...at, severity: 'error', message, ...(hint ? { hint } : {}) },
});

/** `SUBSET=W` arguments → weights; a sentence when one is malformed or the total is not 100. */
export function parseWeightArgs(args: readonly string[]): Record<string, number> | string {
  if (args.length === 0) return 'give at least one SUBSET=WEIGHT, e.g. v1=90 v2=10';
  const weights: Record<string, number> = {};
  for (const arg of args) {
    const m = /^([^=\s]+)=(\d+)$/.exec(arg);
    if (!m) return `'${arg}' is not SUBSET=WEIGHT with a whole number from 0 to 100, e.g. v2=10`;
    const [, subset, value] = m as unknown as [string, string, string];
    if (subset in weights) return `${subset} is given twice`;
    weights[subset] = Number(value);
    if (weights[subset]! > 100) return `${arg}: a weight is a percentage, from 0 to 100`;
  }
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  if (total !== 100) return `the weights add up to ${total}, not 100`;
  return weights;
}

/**
 * The service `mesh weight` names: a host as Istio reads it, or for convenience on the command
 * line `NAME.NAMESPACE` (which a rule would take as fully qualified).
 */
function cliHostFqdn(host: string, model: MeshModel): string {
  const full = hostFqdn(host, model.namespace);
  const parts = host.split('.');
  if (parts.length !== 2 || model.services.some((s) => s.fqdn === full)) return full;
  return fqdn(parts[0]!, parts[1]!);
}

/** Where the route's destinations are written: `spec.http[i].route` of a VirtualService, or the rule's backendRefs of an HTTPRoute. */
function destinationsPath(r: Pick<WeightedRoute, 'vs' | 'index'>): (string | number)[] {
  const rule = r.vs.from?.rules[r.index];
  return rule !== undefined ? ['spec', 'rules', rule, 'backendRefs'] : ['spec', 'http', r.index, 'route'];
}

const kindOf = (vs: VirtualServiceModel) => (vs.from ? 'HTTPRoute' : 'VirtualService');
const routeName = (r: WeightedRoute) => {
  const rule = r.vs.from?.rules[r.index];
  return `${rule !== undefined ? `rules[${rule}]` : `http[${r.index}]`}${r.route.name && rule === undefined ? ` (${r.route.name})` : ''} of ${kindOf(r.vs)} ${r.vs.name}`;
};
const where = (r: WeightedRoute) => `${r.vs.source.file}:${r.vs.source.line}:${r.vs.source.col}`;

/**
 * The route whose weights `mesh weight` changes: among the HTTP routes of every VirtualService
 * with a destination on the host (a gateway's `hosts: ["*"]` VirtualService included), the one
 * named by `--route`, else the only one, else the only one without `match` (the default route).
 */
export function findWeightedRoute(model: MeshModel, change: WeightChange, dir = '.'): Result<WeightedRoute> {
  const target = cliHostFqdn(change.host, model);
  const version = model.versionServices?.find((v) => v.fqdn === target);
  if (version) {
    const service = version.service.split('.')[0]!;
    return failure(dir, `${change.host} names a version of ${service}, whose route holds the weights`,
      `set the split of ${service}: mesh weight ${service} ${change.host}=W ...`);
  }
  if (!model.services.some((s) => s.fqdn === target)) {
    const names = model.services.map((s) => s.name).join(', ');
    return failure(dir, `there is no service ${change.host} in the mesh`, `its services: ${names}`);
  }
  // An HTTPRoute's rule is one place in its file, however many parents and matches it has.
  const places = new Set<string>();
  const all: WeightedRoute[] = model.virtualServices.flatMap((vs) =>
    (vs.spec.http ?? []).flatMap((route, index) => {
      const destinations = route.route ?? [];
      if (!destinations.some((d) => hostFqdn(d.destination.host, vs.namespace) === target)) return [];
      const place = `${vs.source.file}:${vs.source.line}:${vs.source.col} ${destinationsPath({ vs, index }).join('.')}`;
      if (places.has(place)) return [];
      places.add(place);
      return [{ vs, index, route, labels: destinations.map((d) => d.destination.subset ?? d.destination.host) }];
    }),
  );
  if (all.length === 0) {
    return failure(dir, `no VirtualService or HTTPRoute routes traffic to ${change.host}`,
      `add one with an http route whose destinations are the subsets of ${change.host}, each with a weight`);
  }
  const named = change.route === undefined ? all : all.filter((r) => r.route.name === change.route || r.vs.name === change.route);
  if (named.length === 0) {
    return failure(dir, `no route named ${change.route} goes to ${change.host}`,
      `the routes to ${change.host}: ${all.map(routeName).join(', ')}`);
  }
  // A rule of an HTTPRoute bound to a Service port matches that port only: still its default route.
  const defaults = named.filter((r) => !r.route.match || (r.vs.from && r.route.match.every((m) => Object.keys(m).every((k) => k === 'port'))));
  const chosen = named.length === 1 ? named : defaults.length === 1 ? defaults : [];
  if (chosen.length === 0) {
    return failure(dir, `several routes send traffic to ${change.host}: ${named.map((r) => `${routeName(r)} at ${where(r)}`).join(', ')}`,
      'choose one with --route NAME (the route\'s name, or its VirtualService\'s or HTTPRoute\'s)');
  }
  return chosen[0]!;
}

/**
 * The file's new text with the route's weights set. Each existing weight scalar is replaced where
 * it was written; when a destination has no `weight:` key, the document is set through the
 * `yaml` document API and printed again (comments and order kept, spacing normalized).
 */
export function setWeights(text: string, target: WeightedRoute, weights: Record<string, number>): Result<WeightEdit> {
  const { vs, labels } = target;
  const file = vs.source.file;
  const found = documentOf(text, vs.source);
  if (!found) return failure(file, `the ${kindOf(vs)} ${vs.name} is no longer where it was in ${file}; run the command again`);
  const doc = found.docs[found.index]!;
  const destinations = destinationsPath(target);
  const path = (j: number) => inDocument(found, [...destinations, j, 'weight']);
  const unknown = Object.keys(weights).filter((k) => !labels.includes(k));
  if (unknown.length > 0) {
    const at = found.lines.linePos((doc.getIn(inDocument(found, destinations), true) as { range?: number[] } | undefined)?.range?.[0] ?? 0);
    return failure(file, `the route ${routeName(target)} has no destination ${unknown.join(', ')}; its destinations are ${labels.join(', ')}`,
      'name the subsets as the route does', at);
  }
  // A destination not named gets 0: the named ones already add up to 100.
  const next = labels.map((label) => weights[label] ?? 0);
  const before = labels.map((_, j) => {
    const node = doc.getIn(path(j), true);
    return isScalar(node) && typeof node.value === 'number' ? node : undefined;
  });
  // Weights when unwritten: Istio's 100 for a lone destination, else 0; the Gateway API's 1.
  const current = before.map((node) => (node ? (node.value as number) : vs.from ? 1 : labels.length === 1 ? 100 : 0));
  const summary =
    `${kindOf(vs)} ${vs.name} (${where(target)}): ` + labels.map((label, j) => `${label} ${current[j]} → ${next[j]}`).join(', ');
  if (current.every((w, j) => w === next[j])) return { file, text, summary, reformatted: false };

  if (before.every((node) => node?.range)) {
    // Splice from the end so earlier offsets stay valid.
    let out = text;
    const edits = before.map((node, j) => ({ range: node!.range!, value: String(next[j]) })).sort((a, b) => b.range[0] - a.range[0]);
    for (const { range, value } of edits) out = out.slice(0, range[0]) + value + out.slice(range[1]);
    return { file, text: out, summary, reformatted: false };
  }
  next.forEach((w, j) => doc.setIn(path(j), w));
  return { file, text: reprint(text, found), summary, reformatted: true };
}
