// The dashboard's state: what the control plane, the mesh files and the process runtime report
// (actions from the effects) and what the user does (actions from keys), reduced to one value the
// components render. Pure: no I/O, no clock; `keyToAction` maps a key press to an action.
import type { ControlStatus } from '../control/controller.ts';
import type { ControlEvent } from '../control/events.ts';
import type { TapEntry } from '../xds/access-log.ts';
import type { TrafficReport } from '../control/traffic.ts';
import type { GraphReport } from '../control/graph.ts';
import type { ProxyStatus } from '../xds/types.ts';
import type { CanaryState } from '../canary/run.ts';
import type { MeshView, RouteInfo } from './mesh-view.ts';
import { graphRows, rowCount, selectedRoute } from './view.ts';
import type { VersionLoop } from '../runtime/contract.ts';

export const PANES = ['services', 'routes', 'traffic', 'events', 'logs'] as const;
export type Pane = (typeof PANES)[number];

export interface ProcessInfo {
  name: string;
  running: boolean;
  /** Restarts after a crash, for a runtime that counts them. */
  restarts?: number;
  /** What is wrong with it (e.g. `unreachable: …` for an app whose sidecar is down). */
  problem?: string;
  /** Its version's last inner loop under `mesh up --watch`. */
  loop?: Pick<VersionLoop, 'action' | 'state' | 'servingMs'>;
}

export interface LoadInfo {
  running: boolean;
  rps: number;
  url?: string;
  /** Requests answered so far, by version and status. */
  requests?: number;
  byVersion?: Record<string, number>;
  byStatus?: Record<string, number>;
}

export interface DashboardState {
  api: string;
  dir?: string;
  width: number;
  height: number;
  connection: 'connecting' | 'up' | 'down';
  /** Why the API does not answer, or why the mesh files cannot be read. */
  problem?: string;
  status?: ControlStatus;
  proxies: ProxyStatus[];
  traffic?: TrafficReport;
  /** The service graph (GET /graph), read while the traffic pane shows it. */
  graph?: GraphReport;
  /** What the traffic pane shows: traffic per service and subset, or the service graph (`g`). */
  trafficView: 'traffic' | 'graph';
  /** The services the graph shows by version (Enter on an edge to one); the others added up. */
  expanded: string[];
  mesh?: MeshView;
  /** Undefined when not the process runtime (or its state is not readable). */
  processes?: ProcessInfo[];
  /** The canary of `mesh canary` in this mesh directory (DIR/.mesh/canary.json), running or last finished. */
  canary?: CanaryState;
  /** Whether the run acts on code changes under `watch:` paths (`w` switches it); undefined when it cannot. */
  codeWatch?: boolean;
  /** Weights written (or being written) by route key, shown until the files say the same. */
  pending: Record<string, number[]>;
  /**
   * The earlier weights of each route (by key), oldest first: one entry per change, made here
   * or in the files; `r` goes back to the last one and drops it.
   */
  undo: Record<string, number[][]>;
  /** Recent requests/s by traffic key (service FQDN, or cluster), oldest first. */
  history: Record<string, number[]>;
  events: ControlEvent[];
  /** The newest requests of the tap (GET /tap), oldest first; the events pane shows them after `v`. */
  requests: TapEntry[];
  /** What the events pane shows: the control plane's events, or the selected service's requests. */
  eventsView: 'events' | 'requests';
  logs: { name?: string; lines: string[] };
  focus: Pane;
  /** Selected row by pane; for events and logs, lines scrolled back from the newest. */
  selected: Record<Pane, number>;
  /** The selected destination of each route (by key); the last one when not chosen. */
  subset: Record<string, number>;
  help: boolean;
  load: LoadInfo;
  message?: { text: string; error: boolean };
}

export type Action =
  // From the effects
  | { type: 'resize'; width: number; height: number }
  | { type: 'connection'; ok: boolean; problem?: string }
  | { type: 'status'; status: ControlStatus }
  | { type: 'proxies'; proxies: ProxyStatus[] }
  | { type: 'traffic'; traffic: TrafficReport }
  | { type: 'graph'; graph: GraphReport }
  | { type: 'mesh'; mesh: MeshView }
  | { type: 'meshProblem'; problem: string }
  | { type: 'processes'; processes: ProcessInfo[] }
  | { type: 'canary'; canary?: CanaryState }
  | { type: 'codeWatch'; on?: boolean }
  | { type: 'events'; events: ControlEvent[] }
  | { type: 'requests'; requests: TapEntry[] }
  | { type: 'logs'; name: string; lines: string[] }
  | { type: 'load'; load: Partial<LoadInfo> }
  | { type: 'message'; text: string; error?: boolean }
  | { type: 'writeFailed'; key: string; text: string }
  // From keys: moving around
  | { type: 'focus'; delta: 1 | -1 }
  | { type: 'move'; delta: number }
  | { type: 'nextSubset' }
  | { type: 'help' }
  // From keys: commands (the reducer shows their effect at once, the effects write files and run things)
  | { type: 'shift'; delta: number }
  | { type: 'promote' }
  | { type: 'rollback' }
  | { type: 'canaryPause' }
  | { type: 'fault' }
  | { type: 'edit' }
  | { type: 'toggleLoad' }
  | { type: 'toggleWatch' }
  | { type: 'toggleRequests' }
  | { type: 'toggleGraph' }
  | { type: 'expand' }
  | { type: 'rate'; delta: number }
  | { type: 'quit' };

export const HISTORY = 30;
/** Changes of a route `r` can step back over. */
export const UNDO_STEPS = 50;
export const KEEP_EVENTS = 200;
export const KEEP_REQUESTS = 300;
export const RATE_STEP = 10;

export function initialState(options: { api: string; dir?: string; width?: number; height?: number; rps?: number }): DashboardState {
  return {
    api: options.api,
    ...(options.dir ? { dir: options.dir } : {}),
    width: options.width ?? 80,
    height: options.height ?? 24,
    connection: 'connecting',
    proxies: [],
    pending: {},
    undo: {},
    history: {},
    events: [],
    requests: [],
    eventsView: 'events',
    trafficView: 'traffic',
    expanded: [],
    logs: { lines: [] },
    focus: 'routes',
    selected: { services: 0, routes: 0, traffic: 0, events: 0, logs: 0 },
    subset: {},
    help: false,
    load: { running: false, rps: options.rps ?? 20 },
  };
}

/** The weights a route has now: those written by the dashboard while pending, else the files'. */
export function currentWeights(state: DashboardState, route: RouteInfo): number[] {
  return state.pending[route.key] ?? route.destinations.map((d) => d.weight);
}

/** The selected destination of a route: chosen with Enter, else the last (the canary, usually). */
export function selectedSubset(state: DashboardState, route: RouteInfo): number {
  return Math.min(state.subset[route.key] ?? route.destinations.length - 1, route.destinations.length - 1);
}

/**
 * `delta` points more (or, negative, fewer) for destination `i`, within 0–100; the points come
 * from (or go to) the other destinations, the largest first, so the total stays what it was.
 */
export function shiftWeights(weights: readonly number[], i: number, delta: number): number[] {
  const next = [...weights];
  const others = next.map((_, j) => j).filter((j) => j !== i);
  if (others.length === 0) return next;
  let left = delta > 0 ? Math.min(delta, others.reduce((sum, j) => sum + next[j]!, 0)) : Math.min(-delta, next[i]!);
  next[i] = next[i]! + (delta > 0 ? left : -left);
  // Taking: from the largest other first. Giving: to the largest other (the stable one, usually).
  const order = [...others].sort((a, b) => next[b]! - next[a]! || a - b);
  if (delta < 0) next[order[0]!] = next[order[0]!]! + left;
  else for (const j of order) {
    const take = Math.min(left, next[j]!);
    next[j] = next[j]! - take;
    left -= take;
  }
  return next;
}

const clamp = (n: number, max: number) => Math.max(0, Math.min(n, Math.max(0, max)));
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The undo history with `weights` (those before a change to route `key`) as its newest entry. */
function remember(undo: DashboardState['undo'], key: string, weights: number[]): DashboardState['undo'] {
  return { ...undo, [key]: [...(undo[key] ?? []), weights].slice(-UNDO_STEPS) };
}

/** The new weights of the selected route, the ones before it remembered. */
function changeWeights(state: DashboardState, route: RouteInfo, next: number[]): DashboardState {
  const now = currentWeights(state, route);
  if (same(now, next)) return state;
  return { ...state, pending: { ...state.pending, [route.key]: next }, undo: remember(state.undo, route.key, now) };
}

/** `r`: the selected route back to its weights before the last change, said in the status line. */
function rollback(state: DashboardState, route: RouteInfo | undefined): DashboardState {
  if (!route) return { ...state, message: { text: 'There is no route to roll back: the mesh has no VirtualService with HTTP rules.', error: true } };
  // Entries from before a destination was added or removed do not fit the route any more.
  const steps = (state.undo[route.key] ?? []).filter((w) => w.length === route.destinations.length);
  const now = currentWeights(state, route);
  while (steps.length > 0 && same(steps.at(-1)!, now)) steps.pop();
  const back = steps.pop();
  if (!back) return { ...state, undo: { ...state.undo, [route.key]: [] }, message: { text: `Nothing to roll back: ${route.name} has no earlier weights here.`, error: true } };
  const split = route.destinations.map((d, i) => `${d.label} ${back[i]}`).join(' / ');
  const more = steps.length === 0 ? 'no more steps back' : `${steps.length} more step${steps.length === 1 ? '' : 's'} back`;
  return {
    ...state,
    pending: { ...state.pending, [route.key]: back },
    undo: { ...state.undo, [route.key]: steps },
    message: { text: `Rolled back ${route.name} to ${split} (${more})`, error: false },
  };
}

function withoutMessage(state: DashboardState): DashboardState {
  const next = { ...state };
  delete next.message;
  return next;
}

function withMesh(state: DashboardState, mesh: MeshView): DashboardState {
  let undo = state.undo;
  for (const route of mesh.routes) {
    const before = state.mesh?.routes.find((r) => r.key === route.key);
    const was = before?.destinations.map((d) => d.weight);
    // A change of the weights in the files is one to step back over, unless it is our own write arriving.
    if (was && state.pending[route.key] === undefined && !same(was, route.destinations.map((d) => d.weight))) undo = remember(undo, route.key, was);
  }
  // A pending change is done once the files say the same.
  const pending = Object.fromEntries(
    Object.entries(state.pending).filter(([key, weights]) => {
      const route = mesh.routes.find((r) => r.key === key);
      return route !== undefined && !same(route.destinations.map((d) => d.weight), weights);
    }),
  );
  const next = { ...state, mesh, pending, undo };
  delete next.problem;
  return next;
}

function withTraffic(state: DashboardState, traffic: TrafficReport): DashboardState {
  const rps: Record<string, number> = {};
  for (const s of traffic.subsets) {
    rps[s.cluster] = s.rps;
    rps[s.host] = (rps[s.host] ?? 0) + s.rps;
  }
  const keys = new Set([...Object.keys(rps), ...Object.keys(state.history)]);
  const history = Object.fromEntries([...keys].map((k) => [k, [...(state.history[k] ?? []), rps[k] ?? 0].slice(-HISTORY)]));
  return { ...state, traffic, history };
}

/**
 * Whether a running canary steers the route (any, without one): its keys then steer the canary
 * (p promote, r abort, c pause/resume) instead of the weights.
 */
export function steering(state: DashboardState, route?: RouteInfo): boolean {
  const canary = state.canary;
  if (!canary || (canary.phase !== 'progressing' && canary.phase !== 'paused')) return false;
  if (!route) return true;
  const names = (host: string) => [host, host.split('.')[0]!];
  return route.destinations.some((d) => names(d.host).includes(canary.host) || d.host === canary.host) && route.destinations.some((d) => d.label === canary.to);
}

/** Keys that only move around put away the last message. */
const MOVES = new Set<Action['type']>(['focus', 'move', 'nextSubset', 'help']);

export function reduce(current: DashboardState, action: Action): DashboardState {
  const state = MOVES.has(action.type) && current.message ? withoutMessage(current) : current;
  const route = selectedRoute(state);
  switch (action.type) {
    case 'resize':
      return { ...state, width: action.width, height: action.height };
    case 'connection': {
      const next: DashboardState = { ...state, connection: action.ok ? 'up' : 'down' };
      if (action.problem) next.problem = action.problem;
      else if (action.ok && state.connection !== 'up') delete next.problem;
      return next;
    }
    case 'status':
      return { ...state, status: action.status };
    case 'proxies':
      return { ...state, proxies: action.proxies };
    case 'traffic':
      return withTraffic(state, action.traffic);
    case 'mesh':
      return withMesh(state, action.mesh);
    case 'meshProblem':
      return { ...state, problem: action.problem };
    case 'processes':
      return { ...state, processes: action.processes };
    case 'canary': {
      const next = { ...state };
      if (action.canary) next.canary = action.canary;
      else delete next.canary;
      return next;
    }
    case 'codeWatch': {
      const next = { ...state };
      if (action.on === undefined) delete next.codeWatch;
      else next.codeWatch = action.on;
      return next;
    }
    case 'toggleWatch':
      if (state.codeWatch === undefined) return { ...state, message: { text: 'Nothing watches code here: the mesh is not running (mesh up starts it; versions need a watch: section).', error: true } };
      return { ...state, codeWatch: !state.codeWatch, message: { text: state.codeWatch ? 'Watching code: off (code changes are left alone).' : "Watching code: on (a change under a version's watch: paths restarts, syncs or rebuilds it).", error: false } };
    case 'events':
      return { ...state, events: [...state.events, ...action.events].slice(-KEEP_EVENTS) };
    case 'requests':
      return { ...state, requests: [...state.requests, ...action.requests].slice(-KEEP_REQUESTS) };
    case 'graph':
      return { ...state, graph: action.graph };
    case 'toggleGraph':
      return { ...state, trafficView: state.trafficView === 'traffic' ? 'graph' : 'traffic', selected: { ...state.selected, traffic: 0 } };
    case 'expand': {
      // The service the selected edge goes to: by version, or (again) added up.
      const edge = graphRows(state)[state.selected.traffic]?.edge;
      if (!edge) return state;
      const service = edge.toService;
      const expanded = state.expanded.includes(service) ? state.expanded.filter((s) => s !== service) : [...state.expanded, service];
      return { ...state, expanded };
    }
    case 'toggleRequests':
      return { ...state, eventsView: state.eventsView === 'events' ? 'requests' : 'events', selected: { ...state.selected, events: 0 } };
    case 'logs':
      return { ...state, logs: { name: action.name, lines: action.lines } };
    case 'load':
      return { ...state, load: { ...state.load, ...action.load } };
    case 'message':
      return { ...state, message: { text: action.text, error: action.error === true } };
    case 'writeFailed': {
      const pending = { ...state.pending };
      delete pending[action.key];
      // The changes since the files' weights did not happen: out of the history too.
      const files = state.mesh?.routes.find((r) => r.key === action.key)?.destinations.map((d) => d.weight);
      const steps = [...(state.undo[action.key] ?? [])];
      const at = files ? steps.findLastIndex((w) => same(w, files)) : -1;
      const undo = at >= 0 ? { ...state.undo, [action.key]: steps.slice(0, at) } : state.undo;
      return { ...state, pending, undo, message: { text: action.text, error: true } };
    }
    case 'focus': {
      const i = PANES.indexOf(state.focus);
      return { ...state, focus: PANES[(i + action.delta + PANES.length) % PANES.length]! };
    }
    case 'move': {
      const pane = state.focus;
      // Events and logs scroll back from the newest line: ↑ goes back in time.
      const delta = pane === 'events' || pane === 'logs' ? -action.delta : action.delta;
      return { ...state, selected: { ...state.selected, [pane]: clamp(state.selected[pane] + delta, rowCount(state, pane) - 1) } };
    }
    case 'nextSubset':
      if (!route || route.destinations.length < 2) return state;
      return { ...state, subset: { ...state.subset, [route.key]: (selectedSubset(state, route) + 1) % route.destinations.length } };
    case 'help':
      return { ...state, help: !state.help };
    case 'canaryPause':
      if (!steering(state)) return { ...state, message: { text: 'No canary runs (mesh canary DIR HOST --to SUBSET starts one).', error: true } };
      return { ...state, message: { text: `Asked the canary to ${state.canary!.phase === 'paused' ? 'resume' : 'pause'}.`, error: false } };
    case 'shift':
      if (route && steering(state, route)) return { ...state, message: { text: 'A canary steers this route: c pauses or resumes it, p promotes it now, r aborts it.', error: true } };
      if (!route) return { ...state, message: { text: 'There is no route to change: the mesh has no VirtualService with HTTP rules.', error: true } };
      if (route.destinations.length < 2) return { ...state, message: { text: `${route.name} has one destination; there is no split to shift.`, error: true } };
      return changeWeights(state, route, shiftWeights(currentWeights(state, route), selectedSubset(state, route), action.delta));
    case 'promote': {
      if (route && steering(state, route)) return { ...state, message: { text: `Asked the canary to promote ${state.canary!.to} to 100% now.`, error: false } };
      if (!route || route.destinations.length === 0) return state;
      const i = selectedSubset(state, route);
      return changeWeights(state, route, route.destinations.map((_, j) => (j === i ? 100 : 0)));
    }
    case 'rollback':
      if (route && steering(state, route)) return { ...state, message: { text: 'Asked the canary to abort: its weights go back to where it started.', error: false } };
      return rollback(state, route);
    case 'rate':
      return { ...state, load: { ...state.load, rps: Math.max(1, state.load.rps + action.delta) } };
    default:
      return state;
  }
}

/** What ink tells of a key press (the fields the dashboard reads). */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  tab?: boolean;
  shift?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  return?: boolean;
  escape?: boolean;
}

export function keyToAction(state: DashboardState, input: string, key: KeyPress): Action | undefined {
  if (input === 'q' || (key.ctrl && input === 'c')) return { type: 'quit' };
  if (state.help) return input === '?' || key.escape || key.return ? { type: 'help' } : undefined;
  if (key.tab) return { type: 'focus', delta: key.shift ? -1 : 1 };
  if (key.upArrow) return { type: 'move', delta: -1 };
  if (key.downArrow) return { type: 'move', delta: 1 };
  if (key.leftArrow || key.rightArrow) {
    if (state.focus !== 'routes') return { type: 'focus', delta: key.rightArrow ? 1 : -1 };
    // Shift (or another modifier the terminal reports) for fine steps.
    const step = key.shift || key.meta || key.ctrl ? 1 : 5;
    return { type: 'shift', delta: key.rightArrow ? step : -step };
  }
  if (key.return || input === ' ') {
    if (state.focus === 'routes') return { type: 'nextSubset' };
    return state.focus === 'traffic' && state.trafficView === 'graph' ? { type: 'expand' } : undefined;
  }
  switch (input) {
    case '?':
      return { type: 'help' };
    case 'p':
      return { type: 'promote' };
    case 'r':
      return { type: 'rollback' };
    case 'f':
      return { type: 'fault' };
    case 'e':
      return { type: 'edit' };
    case 't':
      return { type: 'toggleLoad' };
    case 'w':
      return { type: 'toggleWatch' };
    case 'v':
      return { type: 'toggleRequests' };
    case 'g':
      return { type: 'toggleGraph' };
    case 'c':
      return { type: 'canaryPause' };
    case '+':
    case '=':
      return { type: 'rate', delta: RATE_STEP };
    case '-':
    case '_':
      return { type: 'rate', delta: -RATE_STEP };
    default:
      return undefined;
  }
}
