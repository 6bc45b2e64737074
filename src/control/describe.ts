// One plain sentence per control-plane event, as `mesh control` prints them.
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
