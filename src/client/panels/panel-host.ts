import * as vscode from 'vscode';
import { newNonce, panelHtml } from './html';

/** What distinguishes one panel from another: its page, its view type, and how its messages are checked. */
export interface PanelKind<FromWebview> {
  viewType: string;
  title: string;
  /** dist/webview/<page>.js and .css */
  page: 'lab' | 'runs' | 'eval';
  parse: (message: unknown) => FromWebview | undefined;
}

/**
 * One webview panel: a strict-CSP page from dist/webview, resources only from dist/ and media/, and
 * every incoming message validated before the panel's handler sees it (a webview is untrusted input).
 */
export class PanelHost<ToWebview, FromWebview> implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly onDidDisposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.onDidDisposeEmitter.event;
  /** Messages the page sent (validated), newest last — integration tests read it. */
  readonly received: FromWebview[] = [];
  /** Messages sent to the page, newest last (bounded) — integration tests read it. */
  readonly sent: ToWebview[] = [];

  static options(extension: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extension.extensionUri, 'dist'), vscode.Uri.joinPath(extension.extensionUri, 'media')],
    };
  }

  static create<T, F>(extension: vscode.ExtensionContext, kind: PanelKind<F>, log: vscode.LogOutputChannel, onMessage: (m: F) => void): PanelHost<T, F> {
    const panel = vscode.window.createWebviewPanel(kind.viewType, kind.title, vscode.ViewColumn.Beside, PanelHost.options(extension));
    return new PanelHost<T, F>(extension, kind, panel, log, onMessage);
  }

  constructor(
    extension: vscode.ExtensionContext,
    private readonly kind: PanelKind<FromWebview>,
    readonly panel: vscode.WebviewPanel,
    private readonly log: vscode.LogOutputChannel,
    onMessage: (m: FromWebview) => void,
  ) {
    const webview = panel.webview;
    webview.options = PanelHost.options(extension);
    panel.iconPath = vscode.Uri.joinPath(extension.extensionUri, 'media', 'electra-lab.svg');
    const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extension.extensionUri, 'dist', 'webview', file)).toString();
    webview.html = panelHtml({
      title: kind.title, scriptUri: asset(`${kind.page}.js`), styleUris: [asset(`${kind.page}.css`)], cspSource: webview.cspSource, nonce: newNonce(),
    });
    this.subscriptions.push(
      webview.onDidReceiveMessage((raw: unknown) => {
        const message = kind.parse(raw);
        if (!message) {
          this.log.warn(`${kind.title}: ignored a malformed message from the panel`);
          return;
        }
        this.received.push(message);
        if (this.received.length > 100) this.received.shift();
        try {
          onMessage(message);
        } catch (e) {
          this.log.error(`${kind.title}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
        }
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  post(message: ToWebview): void {
    this.sent.push(message);
    if (this.sent.length > 500) this.sent.shift();
    void this.panel.webview.postMessage(message).then(undefined, () => this.log.warn(`${this.kind.title}: the panel is gone`));
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  private disposed = false;
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.onDidDisposeEmitter.fire();
    for (const d of this.subscriptions) d.dispose();
    this.onDidDisposeEmitter.dispose();
    this.panel.dispose();
  }
}

/** A message for the user out of any failure: the engine's own messages are already one line. */
export function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
