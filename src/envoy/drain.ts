// How Envoy drains the connections of a listener whose filter chains changed (an
// AuthorizationPolicy or RequestAuthentication edit changes the inbound listener): Istio's
// choice, `--drain-strategy immediate`, tells every old connection at once to close after its
// current request (HTTP/1 `Connection: close`, HTTP/2 GOAWAY), so a policy edit holds from the
// next request on each connection instead of trickling in over the drain time; nothing in flight
// fails. `--drain-time-s` bounds how long an old connection may stay open (Istio's 45 s).
export const ENVOY_DRAIN_ARGS = ['--drain-strategy', 'immediate', '--drain-time-s', '45'] as const;
