/**
 * URI arithmetic for includes, without Node's `path` (the core must run in a browser).
 * URIs look like `file:///a/b/c.vmsd` or any `scheme:/path`; only the path part changes.
 */
export function resolveRelative(baseUri: string, relative: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(relative)) return relative;
  const m = /^([a-z][a-z0-9+.-]*:(?:\/\/[^/]*)?)(.*)$/i.exec(baseUri);
  const prefix = m ? m[1] : '';
  const basePath = m ? m[2] : baseUri;
  const dir = basePath.slice(0, basePath.lastIndexOf('/') + 1);
  const joined = relative.startsWith('/') ? relative : dir + relative;
  return prefix + normalizePath(joined);
}

export function normalizePath(path: string): string {
  const abs = path.startsWith('/');
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(seg);
  }
  return (abs ? '/' : '') + out.join('/');
}

/** The last path segment: `file:///x/pci.vmsd` → `pci.vmsd`. */
export function baseName(uri: string): string {
  return uri.slice(uri.lastIndexOf('/') + 1);
}

/** A relative path from the directory of `from` to `to`, for `include` quick fixes. */
export function relativePath(from: string, to: string): string {
  const a = from.split('/');
  a.pop();
  const b = to.split('/');
  let i = 0;
  while (i < a.length && i < b.length - 1 && a[i] === b[i]) i++;
  const ups = a.length - i;
  return '../'.repeat(ups) + b.slice(i).join('/');
}
