/**
 * The only module that knows which component library draws our controls: each of our components asks
 * for its toolkit element here, so swapping @vscode/webview-ui-toolkit (deprecated upstream) for another
 * library means changing this file and the few wrappers next to it, not the pages.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDropdown,
  vsCodeOption,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
  vsCodeProgressRing,
} from '@vscode/webview-ui-toolkit';

const factories = {
  button: () => [vsCodeButton()],
  checkbox: () => [vsCodeCheckbox()],
  dropdown: () => [vsCodeDropdown(), vsCodeOption()],
  panels: () => [vsCodePanels(), vsCodePanelTab(), vsCodePanelView()],
  progressRing: () => [vsCodeProgressRing()],
};
const registered = new Set<keyof typeof factories>();

/** Defines a toolkit element family once per page (defining a custom element twice throws). */
export function useToolkit(kind: keyof typeof factories): void {
  if (registered.has(kind)) return;
  registered.add(kind);
  provideVSCodeDesignSystem().register(...factories[kind]());
}
