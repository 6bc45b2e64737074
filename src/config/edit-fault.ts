// The `f` key of the dashboard: inject a fault into one HTTP route of a VirtualService, or take
// it out, by editing the YAML text in place. Pure: text in, text (or a Diagnostic) out. The
// `yaml` document API finds the route and writes the fault; in a block-style route the lines of
// its `fault:` are spliced in or out and every other byte stays, otherwise (a flow-style route)
// the route's document is printed again, comments and key order kept.
import { Document, isMap, isScalar, type Pair, type YAMLMap } from 'yaml';
import type { Diagnostic } from './diagnostics.ts';
import { documentOf, inDocument, positionIn, reprint, type FoundDocument } from './find-document.ts';
import type { VirtualServiceModel } from './model.ts';
import type { HTTPRoute } from './schema/istio.ts';

export type FaultKind = 'delay' | 'abort';
type Fault = NonNullable<HTTPRoute['fault']>;

/** The faults the dashboard injects: noticeable, and half the requests still pass untouched. */
export const FAULTS: Record<FaultKind, Fault> = {
  delay: { delay: { fixedDelay: '1s', percentage: { value: 50 } } },
  abort: { abort: { httpStatus: 503, percentage: { value: 50 } } },
};

/** The route's fault, by kind: abort when it aborts at all, delay when it only delays. */
export function faultKind(fault: Fault | undefined): FaultKind | undefined {
  return fault?.abort ? 'abort' : fault?.delay ? 'delay' : undefined;
}

/** What `f` does next: none → delay → abort → none. */
export function nextFault(fault: Fault | undefined): FaultKind | undefined {
  const kind = faultKind(fault);
  return kind === undefined ? 'delay' : kind === 'delay' ? 'abort' : undefined;
}

export interface RouteRef {
  vs: Pick<VirtualServiceModel, 'name' | 'source' | 'from'>;
  /** Index in `spec.http`. */
  index: number;
}

export interface FaultEdit {
  file: string;
  text: string;
  /** For the user, e.g. `VirtualService reviews http[0]: fault delay 1s on 50% of requests`. */
  summary: string;
}

/** `spec.http[index]` of a VirtualService; the rule it comes from in an HTTPRoute. */
export function routePath(route: RouteRef): (string | number)[] {
  const rule = route.vs.from?.rules[route.index];
  return rule !== undefined ? ['spec', 'rules', rule] : ['spec', 'http', route.index];
}

/** Where `spec.http[index]` of the VirtualService starts in the text (for `$EDITOR +LINE`). */
export function routePosition(text: string, route: RouteRef): { line: number; col: number } | undefined {
  const found = documentOf(text, route.vs.source);
  return found && positionIn(found, routePath(route));
}

export function describeFault(fault: Fault | undefined): string {
  if (!fault?.delay && !fault?.abort) return 'no fault';
  const share = (p: { percentage?: { value: number }; percent?: number }) => `${p.percentage?.value ?? p.percent ?? 100}%`;
  const parts = [
    fault.delay && `delay ${fault.delay.fixedDelay ?? fault.delay.exponentialDelay ?? '?'} on ${share(fault.delay)}`,
    fault.abort && `abort ${fault.abort.httpStatus ?? fault.abort.grpcStatus ?? fault.abort.http2Error ?? '?'} on ${share(fault.abort)}`,
  ];
  return `fault ${parts.filter(Boolean).join(', ')}`;
}

/** The text with the route's `fault` set to `kind` (replacing any fault it had), or removed when undefined. */
export function setFault(text: string, route: RouteRef, kind: FaultKind | undefined): FaultEdit | { error: Diagnostic } {
  const file = route.vs.source.file;
  if (route.vs.from) {
    return { error: { file, line: route.vs.source.line, col: route.vs.source.col, severity: 'error',
      message: `HTTPRoute ${route.vs.name} cannot take a fault: the Gateway API has no fault injection`,
      hint: 'inject faults with an Istio VirtualService for the service' } };
  }
  const found = documentOf(text, route.vs.source);
  const at = found && positionIn(found, ['spec', 'http', route.index]);
  if (!found || !at) {
    return { error: { file, line: route.vs.source.line, col: route.vs.source.col, severity: 'error',
      message: `the VirtualService ${route.vs.name} or its http[${route.index}] is no longer where it was in ${file}`,
      hint: 'the file changed meanwhile; try again once the dashboard shows it' } };
  }
  const withoutFault = removeFault(text, found, route.index);
  const out = withoutFault === undefined
    ? reprinted(text, found, route.index, kind)
    : kind === undefined ? withoutFault : (insertFault(withoutFault, documentOf(withoutFault, route.vs.source)!, route.index, kind) ?? reprinted(text, found, route.index, kind));
  const summary = `VirtualService ${route.vs.name} http[${route.index}] (${file}:${at.line}): ${describeFault(kind && FAULTS[kind])}`;
  return { file, text: out, summary };
}

const routeMap = (found: FoundDocument, index: number) => found.docs[found.index]!.getIn(inDocument(found, ['spec', 'http', index]), true) as YAMLMap | undefined;
const lineStart = (text: string, at: number) => text.lastIndexOf('\n', at - 1) + 1;
const lineEnd = (text: string, at: number) => (text.indexOf('\n', at) < 0 ? text.length : text.indexOf('\n', at) + 1);
const splicable = (map: YAMLMap | undefined): map is YAMLMap => isMap(map) && !map.flow;

/** The text without the route's `fault:` lines; undefined when they cannot be cut out whole (flow style, or `- fault:`). */
function removeFault(text: string, found: FoundDocument, index: number): string | undefined {
  const map = routeMap(found, index);
  if (!splicable(map)) return undefined;
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === 'fault') as Pair<{ range?: number[] }, { range?: number[] }> | undefined;
  if (!pair) return text;
  const keyAt = pair.key?.range?.[0];
  const valueEnd = pair.value?.range?.[1];
  if (keyAt === undefined || valueEnd === undefined) return undefined;
  const from = lineStart(text, keyAt);
  if (text.slice(from, keyAt).trim() !== '') return undefined;
  return text.slice(0, from) + text.slice(lineEnd(text, valueEnd - 1));
}

/** The text with `fault:` lines added after the route's last field, at its fields' indentation. */
function insertFault(text: string, found: FoundDocument, index: number, kind: FaultKind): string | undefined {
  const map = routeMap(found, index);
  const first = (map?.items[0]?.key as { range?: number[] } | undefined)?.range?.[0];
  const lastEnd = (map?.items.at(-1)?.value as { range?: number[] } | undefined)?.range?.[1];
  if (!splicable(map) || first === undefined || lastEnd === undefined) return undefined;
  const indent = ' '.repeat(first - lineStart(text, first));
  const lines = new Document({ fault: FAULTS[kind] }).toString().trimEnd().split('\n').map((l) => indent + l).join('\n');
  const at = lineEnd(text, lastEnd - 1);
  return text.slice(0, at) + (at === text.length && !text.endsWith('\n') ? '\n' : '') + lines + '\n' + text.slice(at);
}

/** The file with the route's document printed again after setting or deleting its fault. */
function reprinted(text: string, found: FoundDocument, index: number, kind: FaultKind | undefined): string {
  const doc = found.docs[found.index]!;
  const path = inDocument(found, ['spec', 'http', index, 'fault']);
  if (kind === undefined) doc.deleteIn(path);
  else doc.setIn(path, doc.createNode(FAULTS[kind]));
  return reprint(text, found);
}
