import { runNodeServer } from './lsp/node';

/**
 * Entry of `vmsd-language-server --stdio` (or `--node-ipc`, `--socket=N`).
 */
process.on('uncaughtException', (e) => {
  // Never die on a bug in one feature: handlers are guarded, this is the last net.
  process.stderr.write(`vmsd-language-server: uncaught: ${e.stack ?? String(e)}\n`);
});

runNodeServer();
