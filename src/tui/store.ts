// The dashboard's state holder: dispatch runs the reducer and tells subscribers the action with
// the state before and after it (the effects act on commands, the screen re-renders).
import { reduce, type Action, type DashboardState } from './state.ts';

export type Listener = (action: Action, before: DashboardState, after: DashboardState) => void;

export interface Store {
  getState(): DashboardState;
  dispatch(action: Action): void;
  subscribe(listener: Listener): () => void;
}

export function createStore(initial: DashboardState): Store {
  let state = initial;
  const listeners = new Set<Listener>();
  return {
    getState: () => state,
    dispatch(action) {
      const before = state;
      state = reduce(state, action);
      for (const listener of listeners) listener(action, before, state);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
