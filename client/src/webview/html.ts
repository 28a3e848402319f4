import * as crypto from 'node:crypto';
import * as vscode from 'vscode';

/**
 * The HTML shell of every webview of the extension, following VS Code's conventions: a
 * Content-Security-Policy that allows only the extension's own script (by nonce) and
 * styles, no network at all, and the theme's colours through CSS variables
 * (`--vscode-…`), so light, dark and high-contrast themes work without code.
 */
export interface WebviewPage {
  webview: vscode.Webview;
  extensionUri: vscode.Uri;
  /** The bundled script, relative to the extension: `dist/webview/preview.js`. */
  script: string;
  /** The stylesheet, relative to the extension: `media/preview.css`. */
  style: string;
  title: string;
}

export function webviewHtml(page: WebviewPage): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const { webview } = page;
  const script = webview.asWebviewUri(vscode.Uri.joinPath(page.extensionUri, ...page.script.split('/')));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(page.extensionUri, ...page.style.split('/')));
  const csp = [`default-src 'none'`, `style-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`, `img-src ${webview.cspSource} data:`, `font-src ${webview.cspSource}`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>${escapeHtml(page.title)}</title>
</head>
<body>
<div id="app" role="application" aria-label="${escapeHtml(page.title)}"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
