import * as vscode from 'vscode';
import type { EngineContext } from '../context';
import { oneLine, PanelHost, type PanelKind } from './panel-host';

type Ready = { type: 'ready' };
/** A page's message other than `ready` (which SinglePanel handles itself). */
export type PageMessage<FromWebview> = Exclude<FromWebview, Ready>;

/**
 * What the three panels share: at most one webview panel of their kind, created by a command (or revealed
 * when it is already open), revived by VS Code after a reload, and forgotten when the user closes it.
 * A page says `ready` whenever it (re)loads and then needs everything again, so that message has its own
 * handler; the rest go to the panel's own. A subclass holds only what is its own.
 */
export abstract class SinglePanel<ToWebview, FromWebview extends { type: string }> implements vscode.Disposable {
  private host: PanelHost<ToWebview, FromWebview> | undefined;
  /** Disposed with the panel object (not with its webview, which the user may close and reopen). */
  protected readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    protected readonly extension: vscode.ExtensionContext,
    protected readonly engine: EngineContext,
    private readonly kind: PanelKind<FromWebview>,
  ) {}

  /** The open panel, if any — integration tests read what it sent and received. */
  get panelHost(): PanelHost<ToWebview, FromWebview> | undefined {
    return this.host;
  }

  /** VS Code restored the panel after a reload: the page keeps its own state and asks again with `ready`. */
  restore(panel: vscode.WebviewPanel): void {
    this.attach(new PanelHost(this.extension, this.kind, panel, this.engine.output, (m) => this.dispatch(m)));
  }

  /** Opens the panel, or reveals the open one; 'revealed' means its page is already loaded (no `ready` comes). */
  protected openOrReveal(): 'opened' | 'revealed' {
    if (this.host) {
      this.host.reveal();
      return 'revealed';
    }
    this.attach(PanelHost.create(this.extension, this.kind, this.engine.output, (m) => this.dispatch(m)));
    return 'opened';
  }

  /** To the page when the panel is open; dropped when it is not (it asks again with `ready` when it opens). */
  protected post(message: ToWebview): void {
    this.host?.post(message);
  }

  /** The page (re)loaded: send it everything it shows. */
  protected abstract onPageReady(): Promise<void>;
  /** Every other message from the page, already validated by the panel kind's guard. */
  protected abstract onPageMessage(message: PageMessage<FromWebview>): Promise<void>;
  /** The user closed the panel: drop what only mattered while it was open. */
  protected onClosed(): void {}

  private attach(host: PanelHost<ToWebview, FromWebview>): void {
    this.host = host;
    host.onDidDispose(() => {
      this.host = undefined;
      this.onClosed();
    });
  }

  private dispatch(message: FromWebview): void {
    // The guard's union always has `ready`; TypeScript cannot narrow a type parameter by its discriminant.
    const handled = message.type === 'ready' ? this.onPageReady() : this.onPageMessage(message as PageMessage<FromWebview>);
    // A handler that fails (engine gone, file unreadable) goes to the log in one line, as a sync one does,
    // not to the extension host as an unhandled rejection.
    handled.catch((e: unknown) => this.engine.output.error(`${this.kind.title} (${message.type}): ${oneLine(e)}`));
  }

  dispose(): void {
    this.host?.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
