import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { engineInfo, engineLog, evaluateProgress, runEvent, setAllowedRoots, type AllowedRoots, type EngineInfo, type EvaluateProgressParams, type RunEventParams } from '../protocol';
import { readSettings } from './config';
import { runsRoot } from './run-folders';
import { allowedRootsFor, isInside } from './trust';

/**
 * Owns the engine's life: starts dist/server.js as a language server (its own process, so a crash or a
 * long step never takes the editor down), restarts it, and says so.
 */
export class EngineContext implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel('ELECTRA Lab', { log: true });
  private client: LanguageClient | undefined;
  private info: EngineInfo | undefined;
  private readonly statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  private readonly onDidRestartEmitter = new vscode.EventEmitter<void>();
  /** Fires after the engine (re)started: cached results from the old process are gone. */
  readonly onDidRestart = this.onDidRestartEmitter.event;
  private readonly onRunEventEmitter = new vscode.EventEmitter<RunEventParams>();
  /** Progress of pretraining runs the engine launched. */
  readonly onRunEvent = this.onRunEventEmitter.event;
  private readonly onEvaluateProgressEmitter = new vscode.EventEmitter<EvaluateProgressParams>();
  /** Progress of checkpoint evaluations (one handler per notification type is all a client may have). */
  readonly onEvaluateProgress = this.onEvaluateProgressEmitter.event;

  private readonly settingsWatch: vscode.Disposable;
  private readonly rootsWatch: vscode.Disposable[];
  /** Paths the user picked in a file dialog: the engine may read them (in a trusted workspace). */
  private readonly picked = new Set<string>();

  constructor(private readonly extension: vscode.ExtensionContext) {
    this.statusItem.command = 'electraLab.showEngineLog';
    // The backend and the synced languages are fixed when the engine starts: apply a change by restarting it.
    this.settingsWatch = vscode.workspace.onDidChangeConfiguration((e) => {
      if (this.client && (e.affectsConfiguration('electraLab.backend') || e.affectsConfiguration('electraLab.heatmap.languages'))) {
        this.output.appendLine('settings changed (backend or languages): restarting the engine');
        void this.restart().catch((err: unknown) => this.output.error(`restart failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`));
      }
    });
    // What the engine may read follows the workspace: its folders, the runs folder, the trust the user gave.
    const push = () => void this.pushRoots();
    this.rootsWatch = [
      vscode.workspace.onDidChangeWorkspaceFolders(push),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.output.appendLine('workspace trusted: training and the runs folder and dialog picks outside the workspace are enabled');
        push();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('electraLab.runsDirectory') || e.affectsConfiguration('electraLab.heatmap.checkpoint')) push();
      }),
    ];
  }

  /** The folders the engine may read now (see client/trust.ts). */
  allowedRoots(): AllowedRoots {
    return allowedRootsFor({
      workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
      runsRoot: runsRoot(), picked: [...this.picked], heatmapCheckpoint: readSettings().heatmap.checkpoint || undefined,
      trusted: vscode.workspace.isTrusted,
    });
  }

  private async pushRoots(): Promise<void> {
    if (this.client?.isRunning()) await this.client.sendRequest(setAllowedRoots, this.allowedRoots()).catch(() => undefined);
  }

  /**
   * A file dialog whose picks the engine may then read. In an untrusted workspace only picks inside the workspace
   * count: the user is told so, and the dialog answers nothing for the others.
   */
  async openDialog(options: vscode.OpenDialogOptions): Promise<vscode.Uri[] | undefined> {
    const uris = await vscode.window.showOpenDialog(options);
    if (!uris?.length) return uris;
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    if (!vscode.workspace.isTrusted && uris.some((u) => !folders.some((f) => isInside(u.fsPath, f)))) {
      void vscode.window.showWarningMessage('ELECTRA: in an untrusted workspace only files inside the workspace can be read — trust the workspace to use others.');
      return undefined;
    }
    for (const u of uris) this.picked.add(u.fsPath);
    await this.pushRoots();
    return uris;
  }

  async start(): Promise<void> {
    const serverModule = this.extension.asAbsolutePath(path.join('dist', 'server.js'));
    const serverOptions: ServerOptions = {
      run: { module: serverModule, transport: TransportKind.ipc },
      debug: { module: serverModule, transport: TransportKind.ipc },
    };
    const settings = readSettings();
    const clientOptions: LanguageClientOptions = {
      documentSelector: settings.heatmap.languages.map((language) => ({ language })),
      outputChannel: this.output,
      // A function: the client's own restarts after a crash ask it again, so a new engine gets today's roots.
      initializationOptions: () => ({ backend: settings.backend, allowedRoots: this.allowedRoots() }),
    };
    this.client = new LanguageClient('electraLab', 'ELECTRA Lab engine', serverOptions, clientOptions);
    const client = this.client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped) this.showStatus('$(error) ELECTRA engine stopped', 'The engine process stopped; run "ELECTRA: Restart Engine".');
      // The client restarts a crashed engine by itself: ask the new process who it is, and say so.
      if (e.newState === State.Running && e.oldState === State.Starting && this.info && client === this.client) void this.afterRestart(client);
    });
    this.statusItem.show();
    this.showStatus('$(sync~spin) ELECTRA engine starting', 'Starting the ELECTRA Lab engine');
    await this.client.start();
    this.client.onNotification(engineLog, (p) => this.output.appendLine(`[${p.level}] ${p.message}`));
    this.client.onNotification(runEvent, (e) => {
      if (e.kind === 'done' || e.kind === 'failed') this.runsInFlight.delete(e.runDir);
      else this.runsInFlight.add(e.runDir);
      this.onRunEventEmitter.fire(e);
    });
    this.client.onNotification(evaluateProgress, (p) => this.onEvaluateProgressEmitter.fire(p));
    this.info = await this.client.sendRequest(engineInfo);
    this.output.appendLine(`engine ${this.info.pid} backend: ${this.info.backend}`);
    this.showStatus(`$(pulse) ELECTRA ${this.info.tier}`, `ELECTRA Lab engine: ${this.info.backend}`);
    this.endOrphanedRuns();
    this.onDidRestartEmitter.fire();
  }

  private async afterRestart(client: LanguageClient): Promise<void> {
    const previous = this.info;
    this.info = await client.sendRequest(engineInfo);
    if (previous && previous.pid !== this.info.pid) {
      this.output.appendLine(`engine restarted (process ${previous.pid} ended; now ${this.info.pid}): ${this.info.backend}`);
      this.showJob(undefined);
      void vscode.window.showWarningMessage('The ELECTRA Lab engine stopped unexpectedly and was restarted.', 'Open Log').then((c) => c && this.output.show());
      this.endOrphanedRuns();
      this.onDidRestartEmitter.fire();
    }
  }

  get languageClient(): LanguageClient {
    if (!this.client) throw new Error('the ELECTRA Lab engine has not started');
    return this.client;
  }

  get engine(): EngineInfo | undefined {
    return this.info;
  }

  async restart(): Promise<void> {
    const old = this.client;
    this.client = undefined;
    this.info = undefined;
    await old?.stop().catch(() => undefined);
    await this.start();
  }

  private readonly runsInFlight = new Set<string>();

  /**
   * A run reports through the engine that started it; a new engine process never hears from it again. The
   * run itself stops after its current step once its engine is gone and saves what it has (the CLI stops on a
   * closed stdout), so its followers get that as its end instead of waiting for ever.
   */
  private endOrphanedRuns(): void {
    for (const runDir of this.runsInFlight) {
      this.onRunEventEmitter.fire({
        kind: 'failed', runDir, orphaned: true,
        message: 'the engine restarted; the run stops after its current step and saves what it has (pretraining: a checkpoint, which Resume Run continues once it is written; fine-tuning: its best epoch)',
      });
    }
    this.runsInFlight.clear();
  }

  /** A run the engine just started: tracked from now on, before its first event (its CLI may take seconds to start). */
  trackRun(runDir: string): void {
    this.runsInFlight.add(runDir);
  }

  /** Runs this window started that have not ended (Stop Run picks from them). */
  activeRuns(): string[] {
    return [...this.runsInFlight];
  }

  /** The running job's step and loss in the status bar, or just the backend when none runs. */
  showJob(job: string | undefined): void {
    const base = `$(pulse) ELECTRA ${this.info?.tier ?? ''}`;
    this.showStatus(job ? `${base} · ${job}` : base, job ? 'Click to stop the run (a checkpoint is kept)' : `ELECTRA Lab engine: ${this.info?.backend ?? 'starting'}`);
    this.statusItem.command = job ? 'electraLab.stopRun' : 'electraLab.showEngineLog';
  }

  private showStatus(text: string, tooltip: string): void {
    this.statusItem.text = text;
    this.statusItem.tooltip = tooltip;
  }

  dispose(): void {
    this.settingsWatch.dispose();
    for (const d of this.rootsWatch) d.dispose();
    void this.client?.stop();
    this.statusItem.dispose();
    this.output.dispose();
    this.onDidRestartEmitter.dispose();
    this.onRunEventEmitter.dispose();
    this.onEvaluateProgressEmitter.dispose();
  }
}
