// One plain sentence per control-plane event, as `mesh control` prints them, and one for a group
// of proxies' events that belong together (event-lines.ts groups them).
import { formatDiagnostic } from '../config/diagnostics.ts';
import type { ControlEvent } from './events.ts';

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 23);
}

export function describeEvent(event: ControlEvent): string {
  return `${clock(event.at)} ${sentence(event)}`;
}

function sentence(e: ControlEvent): string {
  switch (e.type) {
    case 'changed':
      return `${e.files.length === 1 ? e.files[0] : plural(e.files.length, 'file')} changed${e.unreported ? ' (found by reading the files back; no file event told of it)' : ''}.`;
    case 'invalid': {
      const errors = e.diagnostics.filter((d) => d.severity === 'error');
      const keeps = e.serving ? `version ${e.serving} keeps serving` : 'nothing is served until it is fixed';
      const head = `The mesh is invalid (${plural(errors.length, 'error')}); nothing was pushed and ${keeps}.`;
      return [head, ...errors.map((d) => `  ${formatDiagnostic(d).replace(/\n/g, '\n  ')}`)].join('\n');
    }
    case 'compiled':
      return (
        `Version ${e.version} compiled in ${e.ms} ms for ${plural(e.proxies.length, 'proxy', 'proxies')}` +
        `${e.warnings > 0 ? ` (${plural(e.warnings, 'warning')})` : ''}.`
      );
    case 'unchanged':
      return `The mesh is valid and unchanged; version ${e.version} keeps serving.`;
    case 'connected':
      return `${e.proxy} connected.`;
    case 'disconnected':
      return `${e.proxy} disconnected.`;
    case 'pushed':
      return `Pushed ${e.kind} version ${e.version} to ${e.proxy} (${plural(e.resources.length, 'resource')}).`;
    case 'acked':
      return `${e.proxy} accepted ${e.kind} version ${e.version} in ${e.latencyMs} ms.`;
    case 'nacked':
      return `${e.proxy} rejected ${e.kind} version ${e.version}: ${e.message}`;
  }
}

/** Up to three proxies by name, else how many. */
function proxiesOf(events: ReadonlyArray<{ proxy: string }>): string {
  const names = [...new Set(events.map((e) => e.proxy))];
  if (names.length > 3) return plural(names.length, 'proxy', 'proxies');
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function range(values: number[], unit: string): string {
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? `${low} ${unit}` : `${low} to ${high} ${unit}`;
}

/**
 * One sentence for the events of several proxies that belong together: pushes or ACKs of one type
 * and version, NACKs of one with the same message, connections, disconnections. After the time of
 * the last of them.
 */
export function describeGroup(events: readonly ControlEvent[]): string {
  const last = events.at(-1)!;
  return `${clock(last.at)} ${groupSentence(events, last)}`;
}

function groupSentence(events: readonly ControlEvent[], e: ControlEvent): string {
  const all = events as Array<ControlEvent & { proxy: string }>;
  switch (e.type) {
    case 'pushed': {
      const counts = (all as Array<typeof e>).map((p) => p.resources.length);
      const each = Math.min(...counts) === Math.max(...counts) ? `${plural(counts[0]!, 'resource')} each` : `${range(counts, 'resources')}`;
      return `Pushed ${e.kind} version ${e.version} to ${proxiesOf(all)} (${each}).`;
    }
    case 'acked':
      return `${proxiesOf(all)} accepted ${e.kind} version ${e.version} in ${range((all as Array<typeof e>).map((a) => a.latencyMs), 'ms')}.`;
    case 'nacked':
      return `${proxiesOf(all)} rejected ${e.kind} version ${e.version}: ${e.message}`;
    case 'connected':
    case 'disconnected':
      return `${proxiesOf(all)} ${e.type}.`;
    default:
      return sentence(e);
  }
}
