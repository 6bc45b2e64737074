// Where listeners listen and endpoints are: the Compose stack's fixed ports and DNS names, and
// loopback's ports handed out in model order (kept across reloads).
import { describe, expect, it } from 'vitest';
import { CAPTURE_PORTS, composeAddressing, loopbackAddressing } from '../../../src/compile/addressing.ts';
import { model } from './compile-helpers.ts';

const GW = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers: [{port: {number: 80, name: http-80, protocol: HTTP}, hosts: ["*"]}]`;

describe('compose addressing', () => {
  it('capture on fixed ports, the app on loopback, peers by their proxy container name', () => {
    const a = composeAddressing();
    expect(a).toMatchObject({ capture: true, listenAddress: '0.0.0.0' });
    expect([a.outboundPort('reviews-v1'), a.inboundPort('reviews-v1', 9080)]).toEqual([CAPTURE_PORTS.outbound, CAPTURE_PORTS.inbound]);
    expect(a.appAddress('reviews-v1', 9080)).toEqual({ address: '127.0.0.1', port: 9080 });
    expect(a.endpoints('reviews', 'v2', 9080)).toEqual([{ address: 'reviews-v2-proxy', port: 9080 }]);
    expect([a.gatewayPort(8080), a.tcpOutboundPort('reviews-v1', 'db.default.svc.cluster.local', 5432)]).toEqual([8080, 5432]);
  });
});

describe('loopback addressing', () => {
  it('hands out consecutive ports in model order: per version its outbound, then inbound and app per service port; then gateway ports', () => {
    const a = loopbackAddressing(model(GW), 30000);
    expect([...a.ports].slice(0, 6)).toEqual([
      ['outbound db-v1', 30000],
      ['inbound db-v1 5432', 30001],
      ['app db-v1 5432', 30002],
      ['outbound db-v2', 30003],
      ['inbound db-v2 5432', 30004],
      ['app db-v2 5432', 30005],
    ]);
    expect([...a.ports].at(-1)).toEqual(['gateway 80', 30000 + a.ports.size - 1]);
    expect(a).toMatchObject({ capture: false, listenAddress: '127.0.0.1' });
  });

  it('answers each question with the port of its key; peers reach a version at its inbound port', () => {
    const a = loopbackAddressing(model(GW), 30000);
    const port = (key: string) => a.ports.get(key)!;
    expect(a.outboundPort('reviews-v2')).toBe(port('outbound reviews-v2'));
    expect(a.inboundPort('reviews-v2', 9080)).toBe(port('inbound reviews-v2 9080'));
    expect(a.appAddress('reviews-v2', 9080)).toEqual({ address: '127.0.0.1', port: port('app reviews-v2 9080') });
    expect(a.endpoints('reviews', 'v2', 9080)).toEqual([{ address: '127.0.0.1', port: port('inbound reviews-v2 9080') }]);
    expect(a.endpoints('ratings', 'v1', 9090)).toEqual([{ address: '127.0.0.1', port: port('inbound ratings-v1 9090') }]);
    expect(a.gatewayPort(80)).toBe(port('gateway 80'));
    const size = a.ports.size;
    const tcp = a.tcpOutboundPort('reviews-v1', 'db.default.svc.cluster.local', 5432);
    expect(tcp).toBe(30000 + size);
    expect(a.tcpOutboundPort('reviews-v1', 'db.default.svc.cluster.local', 5432)).toBe(tcp);
    expect(a.ports.get('tcp reviews-v1 db.default.svc.cluster.local 5432')).toBe(tcp);
    // A version the model does not have is named SERVICE-VERSION, and gets a port of its own.
    expect(a.endpoints('reviews', 'v9', 9080)).toEqual([{ address: '127.0.0.1', port: port('inbound reviews-v9 9080') }]);
  });

  it('keeps the ports handed out before, and gives new keys ports above all of them', () => {
    const start = new Map([
      ['outbound reviews-v1', 30500],
      ['gateway 80', 30100],
    ]);
    const a = loopbackAddressing(model(GW), 30000, { ports: start, listenAddress: '127.0.0.2' });
    expect(a.ports.get('outbound reviews-v1')).toBe(30500);
    expect(a.ports.get('gateway 80')).toBe(30100);
    expect(a.ports.get('outbound db-v1')).toBe(30501);
    expect(a.listenAddress).toBe('127.0.0.2');
    expect(start.size).toBe(2);
  });
});
