/**
 * The CSS variables VS Code sets on a webview's <html> for its built-in themes (a subset: the ones our
 * pages and the toolkit read), and the <body> class it adds for the theme kind. Values from the
 * Light+, Dark+ and Dark High Contrast themes.
 */
export type ThemeName = 'light' | 'dark' | 'high-contrast';

const common = {
  '--vscode-font-family': '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
  '--vscode-editor-font-size': '14px',
};

export const THEMES: Record<ThemeName, { bodyClass: string; vars: Record<string, string> }> = {
  light: {
    bodyClass: 'vscode-light',
    vars: {
      ...common,
      '--vscode-foreground': '#616161', '--vscode-editor-background': '#ffffff', '--vscode-editor-foreground': '#000000',
      '--vscode-descriptionForeground': '#717171', '--vscode-disabledForeground': '#61616180', '--vscode-focusBorder': '#0090f1',
      '--vscode-errorForeground': '#a1260d', '--vscode-editorWarning-foreground': '#bf8803',
      '--vscode-button-background': '#007acc', '--vscode-button-foreground': '#ffffff', '--vscode-button-hoverBackground': '#0062a3',
      '--vscode-button-secondaryBackground': '#5f6a79', '--vscode-button-secondaryForeground': '#ffffff', '--vscode-button-secondaryHoverBackground': '#4c5561',
      '--vscode-charts-red': '#e51400', '--vscode-charts-blue': '#1a85ff', '--vscode-charts-yellow': '#bf8803', '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#388a34', '--vscode-charts-purple': '#652d90', '--vscode-charts-foreground': '#616161', '--vscode-charts-lines': '#61616180',
      '--vscode-widget-border': '#d4d4d4', '--vscode-panel-border': '#80808059', '--vscode-list-hoverBackground': '#e8e8e8', '--vscode-textLink-foreground': '#006ab1',
      '--vscode-dropdown-background': '#ffffff', '--vscode-dropdown-foreground': '#616161', '--vscode-dropdown-border': '#cecece', '--vscode-dropdown-listBackground': '#ffffff',
      '--vscode-checkbox-background': '#ffffff', '--vscode-checkbox-border': '#919191', '--vscode-checkbox-foreground': '#616161',
      '--vscode-progressBar-background': '#0e70c0', '--vscode-editorWidget-background': '#f3f3f3',
      '--vscode-panelTitle-activeForeground': '#424242', '--vscode-panelTitle-activeBorder': '#424242', '--vscode-panelTitle-inactiveForeground': '#424242bf', '--vscode-panel-background': '#ffffff',
      '--vscode-inputValidation-errorBackground': '#f2dede', '--vscode-inputValidation-errorBorder': '#be1100', '--vscode-input-background': '#ffffff',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      ...common,
      '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1e1e1e', '--vscode-editor-foreground': '#d4d4d4',
      '--vscode-descriptionForeground': '#ccccccb3', '--vscode-disabledForeground': '#cccccc80', '--vscode-focusBorder': '#007fd4',
      '--vscode-errorForeground': '#f48771', '--vscode-editorWarning-foreground': '#cca700',
      '--vscode-button-background': '#0e639c', '--vscode-button-foreground': '#ffffff', '--vscode-button-hoverBackground': '#1177bb',
      '--vscode-button-secondaryBackground': '#3a3d41', '--vscode-button-secondaryForeground': '#ffffff', '--vscode-button-secondaryHoverBackground': '#45494e',
      '--vscode-charts-red': '#f14c4c', '--vscode-charts-blue': '#3794ff', '--vscode-charts-yellow': '#cca700', '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#89d185', '--vscode-charts-purple': '#b180d7', '--vscode-charts-foreground': '#cccccc', '--vscode-charts-lines': '#cccccc80',
      '--vscode-widget-border': '#303031', '--vscode-panel-border': '#80808059', '--vscode-list-hoverBackground': '#2a2d2e', '--vscode-textLink-foreground': '#3794ff',
      '--vscode-dropdown-background': '#3c3c3c', '--vscode-dropdown-foreground': '#f0f0f0', '--vscode-dropdown-border': '#3c3c3c', '--vscode-dropdown-listBackground': '#252526',
      '--vscode-checkbox-background': '#3c3c3c', '--vscode-checkbox-border': '#6b6b6b', '--vscode-checkbox-foreground': '#f0f0f0',
      '--vscode-progressBar-background': '#0e70c0', '--vscode-editorWidget-background': '#252526',
      '--vscode-panelTitle-activeForeground': '#e7e7e7', '--vscode-panelTitle-activeBorder': '#e7e7e7', '--vscode-panelTitle-inactiveForeground': '#e7e7e799', '--vscode-panel-background': '#1e1e1e',
      '--vscode-inputValidation-errorBackground': '#5a1d1d', '--vscode-inputValidation-errorBorder': '#be1100', '--vscode-input-background': '#3c3c3c',
    },
  },
  'high-contrast': {
    bodyClass: 'vscode-high-contrast',
    vars: {
      ...common,
      '--vscode-foreground': '#ffffff', '--vscode-editor-background': '#000000', '--vscode-editor-foreground': '#ffffff',
      '--vscode-descriptionForeground': '#ffffffb3', '--vscode-disabledForeground': '#a5a5a5', '--vscode-focusBorder': '#f38518',
      '--vscode-contrastBorder': '#6fc3df', '--vscode-contrastActiveBorder': '#f38518',
      '--vscode-errorForeground': '#f48771', '--vscode-editorWarning-foreground': '#ffd370',
      '--vscode-button-background': '#000000', '--vscode-button-foreground': '#ffffff', '--vscode-button-border': '#6fc3df',
      '--vscode-button-secondaryBackground': '#000000', '--vscode-button-secondaryForeground': '#ffffff',
      '--vscode-charts-red': '#f14c4c', '--vscode-charts-blue': '#3794ff', '--vscode-charts-yellow': '#cca700', '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#89d185', '--vscode-charts-purple': '#b180d7', '--vscode-charts-foreground': '#ffffff', '--vscode-charts-lines': '#ffffff80',
      '--vscode-widget-border': '#6fc3df', '--vscode-panel-border': '#6fc3df', '--vscode-list-hoverBackground': '#000000', '--vscode-textLink-foreground': '#21a6ff',
      '--vscode-dropdown-background': '#000000', '--vscode-dropdown-foreground': '#ffffff', '--vscode-dropdown-border': '#6fc3df', '--vscode-dropdown-listBackground': '#000000',
      '--vscode-checkbox-background': '#000000', '--vscode-checkbox-border': '#6fc3df', '--vscode-checkbox-foreground': '#ffffff',
      '--vscode-progressBar-background': '#6fc3df', '--vscode-editorWidget-background': '#0c141f',
      '--vscode-panelTitle-activeForeground': '#ffffff', '--vscode-panelTitle-activeBorder': '#6fc3df', '--vscode-panelTitle-inactiveForeground': '#ffffff', '--vscode-panel-background': '#000000',
      '--vscode-inputValidation-errorBackground': '#000000', '--vscode-inputValidation-errorBorder': '#6fc3df', '--vscode-input-background': '#000000',
    },
  },
};
