// Builds the browser bundle of @troupe/client with esbuild: one minified ES module (es2022)
// written to packages/client/dist/troupe-client.browser.js. `ws` stays external: the SDK loads
// it only when there is no global WebSocket, which never happens in a browser. Fails, naming
// the import chain, if anything would pull a Node.js built-in into the bundle. Prints the
// bundle's size, raw and gzipped. Run: `pnpm build:browser`; tests call buildBrowserBundle().
import { mkdir, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildResult, build, type Metafile } from 'esbuild';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(packageRoot, '..', '..');
const entry = join(packageRoot, 'src', 'index.ts');

/** Where `pnpm build:browser` writes the bundle. */
export const browserBundlePath = join(packageRoot, 'dist', 'troupe-client.browser.js');

/** Imported only by a dynamic import that never runs in a browser. */
const lazyExternals = ['ws'];

export interface BrowserBundle {
  /** The bundle's text as bytes (UTF-8). */
  readonly code: Uint8Array;
  readonly bytes: number;
  /** Size after gzip (node:zlib defaults), roughly what a server sends. */
  readonly gzipBytes: number;
  /** Where it was written, or null when built in memory. */
  readonly outfile: string | null;
}

export interface BuildBrowserOptions {
  /** Where to write the bundle; null builds in memory only. Default: `browserBundlePath`. */
  readonly outfile?: string | null;
}

function bundle(
  external: readonly string[],
): Promise<BuildResult<{ metafile: true; write: false }>> {
  return build({
    entryPoints: [entry],
    absWorkingDir: repoRoot,
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    platform: 'browser',
    external: [...external],
    write: false,
    metafile: true,
    outfile: 'troupe-client.browser.js',
    logLevel: 'silent',
    legalComments: 'none',
  });
}

/** The first import path, entry first, from the entry point to `file`, found breadth first. */
function chainTo(metafile: Metafile, file: string): string[] {
  const start = relative(repoRoot, entry);
  const parent = new Map<string, string | null>([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const at = queue.shift()!;
    if (at === file) break;
    for (const next of metafile.inputs[at]?.imports ?? []) {
      if (next.external || parent.has(next.path)) continue;
      parent.set(next.path, at);
      queue.push(next.path);
    }
  }
  const chain: string[] = [];
  for (let at: string | null | undefined = file; at; at = parent.get(at)) chain.unshift(at);
  return chain;
}

/** Every import of something left external, with the chain that leads to it. */
function externalImports(metafile: Metafile): Array<{ path: string; kind: string; via: string[] }> {
  return Object.entries(metafile.inputs).flatMap(([file, input]) =>
    input.imports
      .filter((imported) => imported.external)
      .map((imported) => ({
        path: imported.path,
        kind: imported.kind,
        via: chainTo(metafile, file),
      })),
  );
}

/**
 * Rebuilds with every Node.js built-in external, to say which import chains reach one.
 * Called when the browser build failed; returns null if built-ins were not the cause.
 */
async function builtinChains(): Promise<string | null> {
  const builtins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];
  let metafile: Metafile;
  try {
    metafile = (await bundle([...lazyExternals, ...builtins, 'node:*'])).metafile;
  } catch {
    return null;
  }
  const found = externalImports(metafile).filter(({ path }) => !lazyExternals.includes(path));
  if (found.length === 0) return null;
  return found.map(({ path, via }) => `  ${[...via, path].join(' -> ')}`).join('\n');
}

/** Checks the finished build: the only external import is a dynamic import of `ws`. */
function checkExternals(metafile: Metafile): void {
  const wrong = externalImports(metafile).filter(
    ({ path, kind }) => !lazyExternals.includes(path) || kind !== 'dynamic-import',
  );
  if (wrong.length === 0) return;
  const lines = wrong.map(({ path, kind, via }) => `  ${[...via, path].join(' -> ')} (${kind})`);
  throw new Error(`the browser bundle must load these only lazily:\n${lines.join('\n')}`);
}

/** Bundles the SDK for browsers; throws if a Node.js built-in would end up in it. */
export async function buildBrowserBundle(
  options: BuildBrowserOptions = {},
): Promise<BrowserBundle> {
  let result: BuildResult<{ metafile: true; write: false }>;
  try {
    result = await bundle(lazyExternals);
  } catch (error) {
    const chains = await builtinChains();
    if (chains === null) throw error;
    throw new Error(`the browser bundle reaches Node.js built-ins:\n${chains}`, { cause: error });
  }
  checkExternals(result.metafile);
  const code = result.outputFiles[0]!.contents;
  const outfile = options.outfile === undefined ? browserBundlePath : options.outfile;
  if (outfile !== null) {
    await mkdir(dirname(outfile), { recursive: true });
    await writeFile(outfile, code);
  }
  return { code, bytes: code.byteLength, gzipBytes: gzipSync(code).byteLength, outfile };
}

async function main(): Promise<void> {
  const built = await buildBrowserBundle();
  const where = relative(process.cwd(), built.outfile ?? '');
  console.log(`${where}: ${built.bytes} bytes, ${built.gzipBytes} bytes gzipped`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
