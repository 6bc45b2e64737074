import { describe, expect, it } from 'vitest';
import {
  envoyName,
  GATEWAY_PROXY,
  inboundCluster,
  instanceName,
  outboundCluster,
  parseCluster,
  portKey,
  proxyId,
  sidecarName,
} from '../../../src/config/names.ts';

describe('shared names', () => {
  it('names proxies, their instances and their Envoys', () => {
    expect(proxyId('reviews', 'v1')).toBe('reviews-v1');
    expect([1, 2, 3].map((r) => instanceName('reviews-v1', r))).toEqual(['reviews-v1', 'reviews-v1-r2', 'reviews-v1-r3']);
    expect(sidecarName('reviews-v1-r2')).toBe('reviews-v1-r2-proxy');
    expect(envoyName('reviews-v1')).toBe('reviews-v1-proxy');
    expect(envoyName(GATEWAY_PROXY)).toBe('mesh-gateway');
  });

  it("builds Istio's cluster names and reads them back", () => {
    expect(outboundCluster(9080, 'v1', 'reviews.default.svc.cluster.local')).toBe('outbound|9080|v1|reviews.default.svc.cluster.local');
    expect(outboundCluster(9080, undefined, 'reviews.default.svc.cluster.local')).toBe('outbound|9080||reviews.default.svc.cluster.local');
    expect(inboundCluster(9080)).toBe('inbound|9080||');
    expect(parseCluster(outboundCluster(9080, 'v1', 'reviews.default.svc.cluster.local'))).toEqual({
      direction: 'outbound', port: 9080, subset: 'v1', host: 'reviews.default.svc.cluster.local',
    });
    expect(parseCluster(outboundCluster(80, undefined, 'a.b.svc.cluster.local'))).toEqual({ direction: 'outbound', port: 80, subset: '', host: 'a.b.svc.cluster.local' });
    expect(parseCluster(inboundCluster(9080))).toEqual({ direction: 'inbound', port: 9080, subset: '', host: '' });
  });

  it('reads no other name as a cluster of a service', () => {
    for (const name of ['PassthroughCluster', 'outbound_tunnel', 'outbound|x|v1|h', 'outbound|9080|v1|', 'outbound|9080|v1', 'tcp|9080|v1|h', 'outbound|1|a|b|c']) {
      expect(parseCluster(name), name).toBeUndefined();
    }
  });

  it('builds the port-map keys', () => {
    expect([
      portKey.outbound('reviews-v1'),
      portKey.inbound('reviews-v1', 9080),
      portKey.app('reviews-v1', 9080),
      portKey.gateway(80),
      portKey.tcp('reviews-v1', 'db.default.svc.cluster.local', 5432),
      portKey.admin('reviews-v1'),
    ]).toEqual(['outbound reviews-v1', 'inbound reviews-v1 9080', 'app reviews-v1 9080', 'gateway 80', 'tcp reviews-v1 db.default.svc.cluster.local 5432', 'admin reviews-v1']);
  });
});
