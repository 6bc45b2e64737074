// A Service port's protocol as Istio selects it (pkg/config/kube ConvertProtocol), in localmesh's terms.
import { describe, expect, it } from 'vitest';
import { portProtocol } from '../../../src/config/kubernetes/protocol.ts';

describe('portProtocol', () => {
  it.each([
    [{ port: 80, name: 'http' }, 'http', false],
    [{ port: 80, name: 'HTTP-web' }, 'http', false],
    [{ port: 80, name: 'http2-api' }, 'http2', false],
    [{ port: 80, name: 'grpc' }, 'grpc', false],
    [{ port: 80, name: 'grpc-web-ui' }, 'grpc', false],
    [{ port: 80, name: 'GRPC-Web' }, 'grpc', false],
    [{ port: 80, name: 'tcp-db' }, 'tcp', false],
    [{ port: 80, name: 'tls-x' }, 'tcp', false],
    [{ port: 80, name: 'https' }, 'tcp', false],
    [{ port: 80, name: 'mongo' }, 'tcp', false],
    [{ port: 80, name: 'redis-cache' }, 'tcp', false],
    [{ port: 80, name: 'mysql' }, 'tcp', false],
    [{ port: 80, name: 'web', appProtocol: 'grpc' }, 'grpc', false],
    [{ port: 80, name: 'http', appProtocol: 'tcp' }, 'tcp', false],
    [{ port: 80, appProtocol: 'kubernetes.io/h2c' }, 'http2', false],
    [{ port: 80, appProtocol: 'kubernetes.io/ws' }, 'http', false],
    [{ port: 80, appProtocol: 'kubernetes.io/wss' }, 'tcp', false],
    [{ port: 3306 }, 'tcp', false],
    [{ port: 27017, name: 'db' }, 'tcp', false],
    [{ port: 8080 }, 'http', true],
    [{ port: 8080, name: 'metrics' }, 'http', true],
    [{ port: 8080, name: 'httpx' }, 'http', true],
  ])('%j → %s (detected: %s)', (port, protocol, detected) => {
    expect(portProtocol(port)).toEqual({ protocol, detected });
  });

  it('does not proxy UDP, whatever the name', () => {
    expect(portProtocol({ port: 53, name: 'http', protocol: 'UDP' })).toEqual({ protocol: 'udp' });
  });
});
