// The protobuf well-known types that Envoy's JSON form writes as plain values: wrappers as their
// scalar, Duration as `1.5s`. Shared by the proto check (proto.ts) and Envoy's rules (constraints.ts).

export const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((w) => `google.protobuf.${w}Value`),
);

/** A Duration's JSON form: seconds with up to nine decimals and an `s`. */
export const DURATION = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/;
