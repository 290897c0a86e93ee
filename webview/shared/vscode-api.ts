/** The page's side of the webview bridge: typed posting and persisted UI state. */

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export interface Host<Out, State> {
  post(message: Out): void;
  /** What the page saved before it was reloaded or hidden; unknown shape, so pages validate it. */
  restored(): unknown;
  save(state: State): void;
}

/** acquireVsCodeApi may be called once per page load, so every module shares this one. */
let api: VsCodeApi | undefined;

export function connectHost<Out, State>(): Host<Out, State> {
  api ??= acquireVsCodeApi();
  const bridge = api;
  return {
    post: (message) => bridge.postMessage(message),
    restored: () => bridge.getState(),
    save: (state) => bridge.setState(state),
  };
}

/** Reads a restored field only if it has the expected type (an older page version may have saved another shape). */
export function field<T>(state: unknown, key: string, check: (v: unknown) => v is T): T | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const v = (state as Record<string, unknown>)[key];
  return check(v) ? v : undefined;
}
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isString = (v: unknown): v is string => typeof v === 'string';
export const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.length <= 10_000 && v.every((s) => typeof s === 'string');
