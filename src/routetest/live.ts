// `mesh test --live`: each test's request sent through the real proxy it names, on a running
// mesh, and what comes back compared with the offline decision. A sidecar is reached the way its
// app reaches it on the process runtime (its outbound listener is the HTTP proxy the app's
// HTTP_PROXY names), both ways clients use a proxy: absolute form and a CONNECT tunnel; the
// gateway on its listener. The listeners' addresses
// come from the control plane's API (what the proxies are served). The example apps answer with
// their service and version (x-service, x-version, and the path they received in the body).
import type { ClientRequest, IncomingMessage } from 'node:http';
import { http } from '../control/node-http.ts';
import type { MeshModel } from '../config/model.ts';
import { GATEWAY_PROXY } from '../config/names.ts';
import { apiGet } from '../control/client.ts';
import type { ProxyConfig } from '../control/api.ts';
import { gatewayListener, OUTBOUND } from '../compile/names.ts';
import { destinationRuleFor } from '../compile/lookup.ts';
import type { EnvoyJson } from '../envoy/snapshot.ts';
import { proxyStatus, target, type Decision, type Outcome } from './verdict.ts';

/** What came back for one request. */
export interface Observed {
  status: number;
  service?: string;
  version?: string;
  /** The path the app received. */
  path?: string;
  location?: string;
  body: string;
  via: Via;
}

/** Requests sent per test whose route splits traffic: every answer must come from one of the targets. */
export const SPLIT_SAMPLES = 20;

export interface LiveCheck {
  proxy: string;
  observed: Observed[];
  /** Why the live answers disagree with the offline decision; undefined when they agree. */
  disagreement?: string;
}

/** Send an outcome's request through its proxy and compare. */
export async function checkLive(api: string, model: MeshModel, outcome: Outcome): Promise<LiveCheck> {
  const { probe, decision } = outcome;
  const address = await listenerAddress(api, probe.proxy === GATEWAY_PROXY ? gatewayListener(probe.port) : OUTBOUND, probe.proxy);
  if (!address) {
    const agree = decision.kind === 'no-listener';
    return { proxy: probe.proxy, observed: [], ...(agree ? {} : { disagreement: `${probe.proxy} has no listener for this request, offline: ${decision.kind}` }) };
  }
  const ways: Via[] = probe.proxy === GATEWAY_PROXY ? ['origin'] : ['absolute', 'connect'];
  const sampled = decision.kind === 'forward' && (decision.targets.length > 1 || (decision.fault?.abort?.percent ?? 0) > 0);
  const samples = Math.max(ways.length, sampled ? SPLIT_SAMPLES : 1);
  const answers: Observed[] = [];
  for (let i = 0; i < samples; i++) answers.push(await send(address, ways[i % ways.length]!, probe.request));
  const disagreement = answers.map((o) => disagrees(model, decision, o)).find((d) => d !== undefined);
  return { proxy: probe.proxy, observed: answers, ...(disagreement ? { disagreement } : {}) };
}

async function listenerAddress(api: string, name: string, proxy: string): Promise<{ host: string; port: number } | undefined> {
  const config = await apiGet<ProxyConfig>(api, `/proxies/${encodeURIComponent(proxy)}/config?type=listeners`);
  const listener = config.resources.listeners?.find((l) => l.name === name)?.value as EnvoyJson | undefined;
  const socket = (listener?.['address'] as EnvoyJson | undefined)?.['socket_address'] as EnvoyJson | undefined;
  if (!socket) return undefined;
  const host = String(socket['address']);
  return { host: host === '0.0.0.0' ? '127.0.0.1' : host, port: Number(socket['port_value']) };
}

/**
 * How a request reaches its proxy: at the gateway as sent by a client (origin form); through a
 * sidecar as an app's HTTP client sends it to its HTTP_PROXY, in absolute form (node:http, curl,
 * Python, Go) or inside a CONNECT tunnel (Node's fetch).
 */
export type Via = 'origin' | 'absolute' | 'connect';

type Address = { host: string; port: number };

function send(address: Address, via: Via, r: Outcome['probe']['request']): Promise<Observed> {
  return new Promise((resolve, reject) => {
    const headers = { ...r.headers, host: r.authority };
    const options = { method: r.method, headers, agent: false as const, timeout: 15_000 };
    const answer = (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(observed(res, body, via)));
    };
    const fail = (req: ClientRequest) => {
      req.on('timeout', () => req.destroy(new Error(`no answer from ${address.host}:${address.port} within 15 s`)));
      req.on('error', reject);
      return req;
    };
    if (via !== 'connect') {
      const path = via === 'absolute' ? `http://${r.authority}${r.path}` : r.path;
      fail(http.request({ ...options, host: address.host, port: address.port, path }, answer)).end();
      return;
    }
    const target = /:\d+$/.test(r.authority) ? r.authority : `${r.authority}:80`;
    const tunnel = fail(http.request({ host: address.host, port: address.port, method: 'CONNECT', path: target, agent: false, timeout: 15_000 }));
    tunnel.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, body: '', via });
        return;
      }
      // No agent: node:http uses createConnection only without one.
      const inner = fail(http.request({ method: r.method, headers, timeout: 15_000, path: r.path, createConnection: () => socket }, (reply) => {
        answer(reply);
        reply.on('end', () => socket.destroy());
      }));
      inner.end();
    });
    tunnel.end();
  });
}

function observed(res: IncomingMessage, body: string, via: Via): Observed {
  let json: { service?: string; version?: string; path?: string } = {};
  try {
    json = JSON.parse(body);
  } catch {
    // not an app's answer: a direct response, a redirect, Envoy's own 404 or abort
  }
  const header = (name: string) => (typeof res.headers[name] === 'string' ? (res.headers[name] as string) : undefined);
  const service = header('x-service') ?? json.service;
  const version = header('x-version') ?? json.version;
  const location = header('location');
  return {
    status: res.statusCode ?? 0,
    body,
    via,
    ...(service ? { service } : {}),
    ...(version ? { version } : {}),
    ...(typeof json.path === 'string' ? { path: json.path } : {}),
    ...(location ? { location } : {}),
  };
}

/** The versions of a service a subset selects (all for no subset). */
function versionsOf(model: MeshModel, host: string, subset: string): string[] | undefined {
  const service = model.services.find((s) => s.name === host || s.fqdn === host);
  if (!service) return undefined;
  if (subset === '') return service.versions.map((v) => v.name);
  const labels = destinationRuleFor(model, service.fqdn)?.spec.subsets?.find((s) => s.name === subset)?.labels ?? {};
  return service.versions.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).map((v) => v.name);
}

function disagrees(model: MeshModel, decision: Decision, o: Observed): string | undefined {
  const status = proxyStatus(decision);
  const got = `live (${o.via}): ${o.status}${o.service ? ` from ${o.service} ${o.version ?? ''}`.trimEnd() : ''}`;
  if (decision.kind === 'redirect' && o.location !== decision.location) return `offline: redirect to ${decision.location}; live (${o.via}): ${o.status} to ${o.location ?? 'nowhere'}`;
  if (decision.kind === 'direct' && decision.body !== undefined && o.body !== decision.body) return `offline: body '${decision.body}'; live (${o.via}): '${o.body}'`;
  if (status !== undefined) return o.status === status && o.service === undefined ? undefined : `offline: ${status} from the proxy; ${got}`;
  if (decision.kind !== 'forward') return `offline: ${decision.kind}; ${got}`;
  // A fault that aborts some requests: an abort from the proxy is one of the expected answers.
  const abort = decision.fault?.abort?.httpStatus;
  if (abort !== undefined && o.status === abort && o.service === undefined) return undefined;
  const allowed = decision.targets.flatMap((t) => {
    const to = target(model, t.cluster);
    return to ? (versionsOf(model, to.host, to.subset) ?? []).map((v) => ({ service: to.host, version: v })) : [];
  });
  if (!allowed.some((a) => a.service === o.service && a.version === o.version)) {
    return `offline: ${allowed.map((a) => `${a.service} ${a.version}`).join(' or ')}; ${got}`;
  }
  if (o.path !== undefined && o.path !== decision.path) return `offline: the app sees ${decision.path}; live (${o.via}): ${o.path}`;
  return undefined;
}
