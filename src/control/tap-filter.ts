// Which requests of the tap a reader wants (mesh tap's arguments, the dashboard's selected
// service), and one line per request. Pure.
import type { TapEntry } from '../xds/access-log.ts';

export interface TapQuery {
  /** SERVICE or SERVICE/VERSION. */
  target?: string;
  /** A path prefix. */
  path?: string;
  /** A response code (503) or a class (5xx). */
  status?: string;
  /** NAME=VALUE, each. */
  header?: string[];
}

/** Whether an entry is to or from SERVICE[/VERSION]: served by its sidecar, or sent to its cluster. */
export function concerns(entry: TapEntry, service: string, version?: string): boolean {
  const proxy = version ? entry.proxy === `${service}-${version}` : entry.proxy.startsWith(`${service}-`);
  const [direction, , subset, host] = entry.upstreamCluster.split('|');
  const sentTo = direction === 'outbound' && host !== undefined && host.split('.')[0] === service && (version === undefined || subset === version);
  return proxy || sentTo;
}

/** The filter of a query, or an Error with a sentence. */
export function tapFilter(options: TapQuery): (entry: TapEntry) => boolean {
  const [service, version] = options.target ? options.target.split('/') : [];
  const status = options.status;
  if (status !== undefined && !/^(\d{1,3}|[1-5]xx)$/i.test(status)) throw new Error(`--status ${status} is not a response code (503) or a class (5xx).`);
  const headers = (options.header ?? []).map((h) => {
    const at = h.indexOf('=');
    if (at <= 0) throw new Error(`--header ${h} is not NAME=VALUE.`);
    return [h.slice(0, at).toLowerCase(), h.slice(at + 1)] as const;
  });
  return (e) =>
    (service === undefined || concerns(e, service, version)) &&
    (options.path === undefined || e.path.startsWith(options.path)) &&
    (status === undefined || (/xx$/i.test(status) ? String(e.status)[0] === status[0] : e.status === Number(status))) &&
    headers.every(([name, value]) => e.headers[name] === value);
}

/** One line per request. */
export function tapLine(e: TapEntry): string {
  const time = new Date(e.at).toISOString().slice(11, 23);
  const status = `${e.status || '-'}${e.flags.length ? ` ${e.flags.join(',')}` : ''}`;
  return `${time} ${e.proxy} ${e.listener} ${e.method} ${e.authority}${e.path} ${status} ${e.durationMs}ms → ${e.upstreamCluster || '-'}`;
}

