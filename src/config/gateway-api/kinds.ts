// The Gateway API kinds (gateway.networking.k8s.io) a mesh directory may hold: the Gateway and
// HTTPRoute localmesh translates as Istio does, the route kinds it does not serve yet (errors:
// ignoring a route changes where traffic goes) and GatewayClass, which only names the controller.
import { GATEWAY_API_GROUP, GATEWAY_API_VERSIONS, HTTPRouteKind, KubeGateway } from '../schema/gateway-api.ts';

export const GATEWAY_API_KINDS = {
  /** The Gateway API's `Gateway`; `Gateway` alone is Istio's (networking.istio.io). */
  KubeGateway: { apiVersions: GATEWAY_API_VERSIONS, schema: KubeGateway },
  HTTPRoute: { apiVersions: GATEWAY_API_VERSIONS, schema: HTTPRouteKind },
} as const;

/** Route and policy kinds of the Gateway API that localmesh does not serve yet. */
export const UNSUPPORTED_GATEWAY_API_KINDS: ReadonlySet<string> = new Set([
  'GRPCRoute',
  'TCPRoute',
  'TLSRoute',
  'UDPRoute',
  'BackendTLSPolicy',
  'ListenerSet',
  'XListenerSet',
]);

/** The kind a document is read as: `KubeGateway` for a Gateway of the Gateway API's group, else its own. */
export function gatewayApiKind(kind: unknown, apiVersion: unknown): unknown {
  if (kind === 'Gateway' && typeof apiVersion === 'string' && apiVersion.startsWith(`${GATEWAY_API_GROUP}/`)) return 'KubeGateway';
  return kind;
}
