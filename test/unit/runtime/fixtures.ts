// The ingress Gateway the runtime tests' meshes publish (port 80, any host), after a `---`.
export const GATEWAY = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
`;
