/**
 * The HTML shell every panel's webview loads. A pure string function (no `vscode` import) so the
 * Chromium tests build exactly the page the extension serves.
 *
 * Content Security Policy, and why each source is there:
 * - `default-src 'none'`: nothing loads unless listed below; no network, no frames, no workers.
 * - `script-src 'nonce-…'`: only our bundle's <script> tag runs; no inline handlers, no eval.
 * - `style-src ${cspSource} 'nonce-…'`: our bundle's CSS files, and one <style> element with the nonce.
 *   The toolkit's FAST elements style their shadow roots and design tokens with constructable stylesheets
 *   (adoptedStyleSheets), which style-src does not govern, and set the theme's tokens on <body> through
 *   the CSSOM (element.style.setProperty), which CSP allows, as it does uPlot's and ours. But FAST probes
 *   for :focus-visible support by inserting a <style> element, giving it the nonce it finds in
 *   <meta property="csp-nonce">; without the nonce that probe is refused (a CSP violation in the console)
 *   and the toolkit falls back to :focus, drawing focus rings on every click. Hence the meta and the
 *   nonce; still no 'unsafe-inline'. FAST falls back to <style> elements for everything only in browsers
 *   without constructable stylesheets, which VS Code's Chromium is not. The Chromium tests fail on any
 *   securitypolicyviolation, so a toolkit upgrade that needs more shows up there.
 * - `img-src ${cspSource} data:`, `font-src ${cspSource}`: the codicon font / icons if a page uses them.
 */
import { randomBytes } from 'node:crypto';

export interface PanelHtmlOptions {
  /** The page's title (also its accessible name). */
  title: string;
  /** webview.asWebviewUri of dist/webview/<page>.js. */
  scriptUri: string;
  /** webview.asWebviewUri of dist/webview/<page>.css (and any others), in order. */
  styleUris: readonly string[];
  /** webview.cspSource. */
  cspSource: string;
  /** From newNonce(), fresh for every page load. */
  nonce: string;
}

/** A nonce for one page load: 128 random bits, base64 (CSP's nonce grammar allows its alphabet). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Values that end up inside the CSP must not be able to add directives of their own (cspSource is
 *  e.g. "'self' https://*.vscode-cdn.net", so quotes and spaces are allowed; separators are not). */
function cspToken(s: string, what: string): string {
  if (!/^[^;,"<>\s]+( [^;,"<>\s]+)*$/.test(s)) throw new Error(`panelHtml: ${what} has characters a CSP source cannot: ${JSON.stringify(s)}`);
  return s;
}

export function panelHtml(o: PanelHtmlOptions): string {
  // A nonce is base64(url) by CSP's grammar; anything else (a quote) could close it and open a keyword.
  if (!/^[A-Za-z0-9+/_=-]+$/.test(o.nonce)) throw new Error('panelHtml: the nonce must be base64 (use newNonce())');
  const nonce = o.nonce;
  const source = cspToken(o.cspSource, 'cspSource');
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${source} 'nonce-${nonce}'`,
    `img-src ${source} data:`,
    `font-src ${source}`,
  ].join('; ');
  const styles = o.styleUris.map((u) => `  <link rel="stylesheet" href="${escapeHtml(u)}">`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
  <meta property="csp-nonce" content="${escapeHtml(nonce)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <title>${escapeHtml(o.title)}</title>
${styles}
</head>
<body>
  <main id="app" aria-label="${escapeHtml(o.title)}"></main>
  <script nonce="${escapeHtml(nonce)}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>
`;
}
