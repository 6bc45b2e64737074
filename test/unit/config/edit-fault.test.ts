// The dashboard's `f` key: a fault put into one HTTP route and taken out again, in the YAML text,
// with comments kept, the other documents byte for byte, and the result still a valid mesh.
import { describe, expect, it } from 'vitest';
import { describeFault, faultKind, nextFault, routePosition, setFault, type FaultKind } from '../../../src/config/edit-fault.ts';
import { EDGE_GATEWAY, load, REVIEWS_RULE } from './fixtures.ts';

const GATEWAY = `# the gateway, untouched\n${EDGE_GATEWAY}`;

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews   # the name
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
    # users of the canary
    - match:
        - headers: {end-user: {exact: jason}}
      route:
        - destination: {host: reviews, subset: v2}
    # everyone else
    - route:
        - destination:
            host: reviews
            subset: v1
          weight: 90 # stable
        - destination:
            host: reviews
            subset: v2
          weight: 10 # canary
`;

const FILE = `${GATEWAY}---\n${VS}`;

/** Loads the mesh with the file, toggles the fault of http[index], checks the mesh still loads. */
function toggle(text: string, index: number, kind: FaultKind | undefined) {
  const { model } = load({ 'dr.yaml': REVIEWS_RULE, 'vs.yaml': text });
  const vs = model!.virtualServices.find((v) => v.name === 'reviews')!;
  const edit = setFault(text, { vs, index }, kind);
  if ('error' in edit) throw new Error(edit.error.message);
  const after = load({ 'dr.yaml': REVIEWS_RULE, 'vs.yaml': edit.text });
  expect(after.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { edit, route: after.model!.virtualServices.find((v) => v.name === 'reviews')!.spec.http![index]! };
}

describe('edit-fault', () => {
  it('adds a delay to the chosen route; comments stay, the gateway document is byte for byte', () => {
    const { edit, route } = toggle(FILE, 1, 'delay');
    expect(route.fault).toEqual({ delay: { fixedDelay: '1s', percentage: { value: 50 } } });
    expect(edit.text.startsWith(`${GATEWAY}---\n`)).toBe(true);
    for (const comment of ['# the name', '# users of the canary', '# everyone else', '# stable', '# canary']) expect(edit.text).toContain(comment);
    expect(edit.summary).toBe('VirtualService reviews http[1] (vs.yaml:25): fault delay 1s on 50%');
    // Block style: the fault's lines are added after the route's last field, every other byte stays.
    const added = '      fault:\n        delay:\n          fixedDelay: 1s\n          percentage:\n            value: 50\n';
    expect(edit.text).toBe(FILE.replace('weight: 10 # canary\n', `weight: 10 # canary\n${added}`));
  });

  it('edits a VirtualService that is an item of a kind: List (kubectl get -o yaml)', () => {
    const item = VS.trimEnd().split('\n').map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`)).join('\n');
    const list = `${GATEWAY}---\napiVersion: v1\nkind: List\nitems:\n${item}\n`;
    const { edit, route } = toggle(list, 1, 'delay');
    expect(route.fault).toEqual({ delay: { fixedDelay: '1s', percentage: { value: 50 } } });
    const line = list.split('\n').indexOf('      - route:') + 1;
    expect(edit.summary).toBe(`VirtualService reviews http[1] (vs.yaml:${line}): fault delay 1s on 50%`);
    expect(toggle(edit.text, 1, undefined).edit.text).toBe(list);
  });

  it('prints a flow-style route again, comments kept', () => {
    const flow = VS.replace(/    # everyone else\n[\s\S]*$/, '    - {route: [{destination: {host: reviews, subset: v1}}]}  # flow\n');
    const { edit, route } = toggle(`${GATEWAY}---\n${flow}`, 1, 'abort');
    expect(route.fault?.abort?.httpStatus).toBe(503);
    expect(edit.text).toContain('# flow');
    expect(edit.text).toContain('# users of the canary');
  });

  it('replaces a delay by an abort, then removes the fault: the file is as it was', () => {
    const delayed = toggle(FILE, 1, 'delay').edit.text;
    const aborted = toggle(delayed, 1, 'abort');
    expect(aborted.route.fault).toEqual({ abort: { httpStatus: 503, percentage: { value: 50 } } });
    const cleared = toggle(aborted.edit.text, 1, undefined);
    expect(cleared.route.fault).toBeUndefined();
    expect(cleared.edit.text).toBe(FILE);
  });

  it('touches only the chosen route', () => {
    const { edit } = toggle(FILE, 0, 'abort');
    const { model } = load({ 'dr.yaml': REVIEWS_RULE, 'vs.yaml': edit.text });
    const http = model!.virtualServices[0]!.spec.http!;
    expect(http[0]!.fault?.abort?.httpStatus).toBe(503);
    expect(http[1]!.fault).toBeUndefined();
  });

  it('cycles none → delay → abort → none, and reads deprecated and user-written faults', () => {
    expect(nextFault(undefined)).toBe('delay');
    expect(nextFault({ delay: { fixedDelay: '5s', percent: 10 } })).toBe('abort');
    expect(nextFault({ abort: { httpStatus: 500 }, delay: { fixedDelay: '1s' } })).toBeUndefined();
    expect(faultKind({})).toBeUndefined();
    expect(describeFault({ delay: { fixedDelay: '5s', percent: 10 } })).toBe('fault delay 5s on 10%');
    expect(describeFault({ abort: { httpStatus: 500 } })).toBe('fault abort 500 on 100%');
  });

  it('finds the route line for the editor, and says so when the document moved', () => {
    const { model } = load({ 'dr.yaml': REVIEWS_RULE, 'vs.yaml': FILE });
    const vs = model!.virtualServices[0]!;
    expect(routePosition(FILE, { vs, index: 0 })).toEqual({ line: 20, col: 7 });
    expect(routePosition(FILE, { vs, index: 1 })).toEqual({ line: 25, col: 7 });
    const moved = setFault(`# a new first line\n${FILE}`, { vs, index: 1 }, 'delay');
    expect('error' in moved && moved.error.message).toBe('the VirtualService reviews or its http[1] is no longer where it was in vs.yaml');
  });
});
