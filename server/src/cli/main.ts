import { Command, CommanderError, Option } from 'commander';
import type { CheckOptions } from './check';
import type { CheckDumpsOptions } from './check-dumps';
import type { DecodeOptions, TranscodeOptions } from './decode';
import type { EncodeOptions } from './encode';
import type { ImportQemuDumpOptions, ImportVmdescOptions } from './import';

/**
 * Each command's module is loaded when the command runs: a short `vmsd decode` spends
 * most of its time starting up, and need not load the checker, formatter or importer.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const commands = {
  check: () => require('./check') as typeof import('./check'),
  fmt: () => require('./fmt') as typeof import('./fmt'),
  decode: () => require('./decode') as typeof import('./decode'),
  encode: () => require('./encode') as typeof import('./encode'),
  import: () => require('./import') as typeof import('./import'),
  checkDumps: () => require('./check-dumps') as typeof import('./check-dumps'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Exit codes of every command (architecture.md): 0 ok, 1 findings, 2 usage or I/O error. */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** stderr is a terminal: progress lines may be drawn there. */
  errIsTty?: boolean;
  /** Binary output on stdout (`vmsd encode`); without it bytes are shown as a hex dump. */
  outBytes?(b: Uint8Array): void;
  /** stdout is a terminal: bytes are shown as a hex dump rather than written raw. */
  outIsTty?: boolean;
}

const stdio: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  errIsTty: process.stderr.isTTY === true,
  outBytes: (b) => process.stdout.write(b),
  outIsTty: process.stdout.isTTY === true,
};

/** Run the `vmsd` command line; resolves to the exit code (never calls process.exit). */
export async function main(argv: string[], io: Io = stdio): Promise<number> {
  let code = EXIT_OK;
  const program = new Command('vmsd')
    .description('Device state descriptions for QEMU live migration: check, format, encode, decode')
    .version(readVersion(), '-V, --version')
    // Program options only before the command: `vmsd encode --version 2` is encode's own.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run `vmsd help` for the list of commands)');

  program
    .command('check')
    .description('parse and check .vmsd files and folders; exit 1 when findings reach --fail-on')
    .argument('[paths...]', 'files or folders (default: the current folder)')
    .addOption(new Option('--format <format>', 'output format (sarif: SARIF 2.1.0 for code scanning)').choices(['text', 'json', 'sarif']).default('text'))
    .addOption(new Option('--fail-on <severity>', 'lowest severity that fails').choices(['error', 'warning']).default('error'))
    .option('--summary', 'print a table of the descriptions, devices and machine types found')
    .option('-b, --baseline <ref>', 'check migration compatibility against REF: git:<rev> (read from git, no checkout), a folder or file of .vmsd, or a QEMU -dump-vmstate JSON; repeat it to check against several, one by one', (v: string, prev: string[] = []) => [...prev, v])
    .option('--matrix', 'with --baseline: print the verdict per description, machine type and direction')
    .option('--acknowledged <file>', 'with --baseline: acknowledged breaks, one "VSnnn subject: reason" per line (default: .vmsd-acknowledged if present)')
    .action((paths: string[], opts: CheckOptions) => {
      code = commands.check().runCheck(paths.length ? paths : ['.'], opts, io);
    });

  program
    .command('fmt')
    .description('format .vmsd files canonically (in place); --check only reports files that would change')
    .argument('<paths...>', 'files or folders')
    .option('--check', 'do not write; exit 1 if any file is not formatted')
    .action((paths: string[], opts: { check?: boolean }) => {
      code = commands.fmt().runFmt(paths, opts, io);
    });

  program
    .command('decode')
    .description('decode a QEMU migration stream; device sections are decoded with the descriptions given, the rest by the stream\'s own vmdesc')
    .argument('<stream>', 'a migration stream file (e.g. from QMP migrate "exec:cat > FILE")')
    .option('-d, --descriptions <paths...>', '.vmsd files or folders to decode device sections with')
    .addOption(new Option('--format <format>', 'output format: json (exact 64-bit integers), text, annotated (hex dump with field paths), analyze-migration (what QEMU\'s analyze-migration.py -d state prints)').choices(['json', 'text', 'annotated', 'analyze-migration']).default('text'))
    .option('--machine <type>', 'machine type whose compat properties apply (default: the one the stream names; old streams name none)')
    .option('--extract-ram <dir>', 'also write each RAM block as a sparse image DIR/<block>.img')
    .action((stream: string, opts: DecodeOptions) => {
      code = commands.decode().runDecode(stream, opts, io);
    });

  program
    .command('transcode')
    .description('convert a stream between QEMU\'s wire format and the self-describing CBOR stream (docs/cf-format.md); QEMU → CBOR → QEMU gives the same bytes')
    .argument('<stream>', 'a QEMU migration stream or a self-describing stream')
    .addOption(new Option('--to <format>', 'output format').choices(['cbor', 'qemu']).makeOptionMandatory())
    .requiredOption('-o, --output <file>', 'where to write (replaced whole, never half-written)')
    .option('-d, --descriptions <paths...>', '.vmsd files or folders to name the fields of device sections with')
    .option('--machine <type>', 'machine type whose compat properties apply (default: the one the stream names)')
    .action((stream: string, opts: TranscodeOptions) => {
      code = commands.decode().runTranscode(stream, opts, io);
    });

  program
    .command('encode')
    .description('write one description\'s state as QEMU 7.2 sends it (the section body: fields and subsections, no section header) or as a CBOR section item, from a JSON value or the defaults')
    .requiredOption('-d, --descriptions <paths...>', '.vmsd files or folders')
    .requiredOption('--description <name>', 'the description (vmstate) to encode')
    .option('--version <n>', 'the version to write (default: the value\'s section version, else the description\'s version)')
    .option('--machine <type>', 'machine type whose compat properties apply (default: the newest machine type of the descriptions)')
    .option('--value <file>', 'the value as JSON: a section\'s "value" from `vmsd decode --format json`, a whole section, or the whole output')
    .option('--defaults', 'encode the default value (zeros, declared defaults, subsections chosen by `needed`)')
    .addOption(new Option('--format <format>', 'qemu: the wire bytes; cbor: the self-describing section item').choices(['qemu', 'cbor']).default('qemu'))
    .option('-o, --output <file>', 'write the bytes to FILE (replaced whole)')
    .option('--hex', 'print a hex dump (the default when stdout is a terminal)')
    .option('--opaque <answers...>', 'decide tests the description cannot compute: NAME=true|false (a field or subsection name or path)')
    .action((opts: EncodeOptions) => {
      code = commands.encode().runEncode(opts, io);
    });

  program
    .command('check-dumps')
    .description('compare two -dump-vmstate files (SRC: the QEMU migrated from, DEST: the one migrated to; SRC → DEST is old→new, new→old with --reverse); --format text (the default) and json: our own comparison of what each side puts on the wire, rules VSnnn, exit 1 on errors; --format static-checker: exactly what QEMU\'s vmstate-static-checker.py prints, exit status its error count')
    .argument('<src>', 'the old QEMU\'s dump: SRC, or DEST with --reverse (qemu -dump-vmstate FILE; .gz accepted)')
    .argument('<dest>', 'the new QEMU\'s dump: DEST, or SRC with --reverse')
    .option('--reverse', 'swap SRC and DEST: check new→old migration')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'static-checker']).default('text'))
    .action((src: string, dest: string, opts: CheckDumpsOptions) => {
      code = commands.checkDumps().runCheckDumps(src, dest, opts, io);
    });

  const imports = program.command('import').description('write .vmsd descriptions from what QEMU records');
  imports
    .command('vmdesc')
    .description('descriptions from a stream\'s vmdesc, checked by decoding the stream with them')
    .argument('<stream>', 'a migration stream that carries a vmdesc (machine types pc-i440fx-2.3 and newer)')
    .requiredOption('-o, --output <dir>', 'folder for the .vmsd files (created if missing)')
    .option('--force', 'replace files of an earlier import')
    .action((stream: string, opts: ImportVmdescOptions) => {
      code = commands.import().runImportVmdesc(stream, opts, io);
    });
  imports
    .command('qemu-dump')
    .description('descriptions from a QEMU -dump-vmstate file: names, versions and nesting; no types or counts (leaf fields are opaque), checked with vmsd check')
    .argument('<dump>', 'qemu -dump-vmstate FILE output (.gz accepted)')
    .requiredOption('-o, --output <dir>', 'folder for the .vmsd files (created if missing)')
    .option('--force', 'replace files of an earlier import')
    .action((dump: string, opts: ImportQemuDumpOptions) => {
      code = commands.import().runImportQemuDump(dump, opts, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; everything else is a usage error.
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    io.err(`vmsd: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT_USAGE;
  }
  return code;
}

export function readVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

if (require.main === module) {
  // `vmsd … | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  main(process.argv.slice(2)).then((c) => {
    process.exitCode = c;
  });
}
