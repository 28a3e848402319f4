import { SavedState, StreamViewer } from './app';
import type { FromExtension } from './protocol';

/** The migration stream viewer's webview (bundled as dist/webview/stream.js): wires app.ts to VS Code. */
const vscode = acquireVsCodeApi<SavedState>();
const root = document.getElementById('app')!;
const viewer = new StreamViewer(root, (m) => vscode.postMessage(m), vscode.getState(), (s) => vscode.setState(s));
window.addEventListener('message', (e: MessageEvent<FromExtension>) => viewer.receive(e.data));
vscode.postMessage({ kind: 'ready' });
