import * as vscode from 'vscode';
import { baselineFromLog } from './status-model';

/**
 * The "VMSD" output channel as the language client sees it. It forwards everything to the
 * real log channel and adds two things:
 *
 * - **`vmsd.trace.server`**: vscode-languageclient 11 traces the protocol only when its
 *   channel's log level is Trace, and reads `<id>.trace.server` for the detail. This
 *   channel reports Trace whenever the setting is `messages` or `verbose` (and says so
 *   when the setting changes), and writes the trace lines at a level the real channel
 *   shows, so the setting alone turns tracing on, as its description promises. With the
 *   setting `off`, the channel's own level ("Developer: Set Log Level…") still works.
 * - **the compatibility baseline**: the server logs `vmsd: compatibility baseline LABEL`
 *   when it loads one; the status bar shows it.
 */
export class VmsdLogChannel implements vscode.LogOutputChannel {
  private readonly levelChanged = new vscode.EventEmitter<vscode.LogLevel>();
  private readonly disposables: vscode.Disposable[] = [];
  readonly onDidChangeLogLevel = this.levelChanged.event;

  constructor(
    readonly channel: vscode.LogOutputChannel,
    private readonly onBaseline: (label: string) => void,
  ) {
    this.disposables.push(
      this.levelChanged,
      channel.onDidChangeLogLevel(() => this.levelChanged.fire(this.logLevel)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('vmsd.trace.server')) this.levelChanged.fire(this.logLevel);
      }),
    );
  }

  get name(): string {
    return this.channel.name;
  }

  /** `off`, `messages` or `verbose`. */
  get traceSetting(): string {
    return vscode.workspace.getConfiguration('vmsd').get<string>('trace.server', 'off');
  }

  get logLevel(): vscode.LogLevel {
    return this.traceSetting !== 'off' ? vscode.LogLevel.Trace : this.channel.logLevel;
  }

  trace(message: string, ...args: unknown[]): void {
    if (this.channel.logLevel === vscode.LogLevel.Trace) this.channel.trace(message, ...args);
    else if (this.traceSetting !== 'off' && this.channel.logLevel !== vscode.LogLevel.Off) this.channel.info(`[trace] ${message}`, ...args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.channel.debug(message, ...args);
  }
  info(message: string, ...args: unknown[]): void {
    const baseline = baselineFromLog(message);
    if (baseline) this.onBaseline(baseline);
    this.channel.info(message, ...args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.channel.warn(message, ...args);
  }
  error(error: string | Error, ...args: unknown[]): void {
    this.channel.error(error, ...args);
  }
  append(value: string): void {
    this.channel.append(value);
  }
  appendLine(value: string): void {
    this.channel.appendLine(value);
  }
  replace(value: string): void {
    this.channel.replace(value);
  }
  clear(): void {
    this.channel.clear();
  }
  show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
    if (typeof columnOrPreserveFocus === 'boolean' || columnOrPreserveFocus === undefined) this.channel.show(columnOrPreserveFocus);
    else this.channel.show(columnOrPreserveFocus, preserveFocus);
  }
  hide(): void {
    this.channel.hide();
  }
  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.channel.dispose();
  }
}
