/**
 * Builds the web console (console/src, bundled with esbuild for the browser) into content-hashed assets, cached in
 * console/.build: a build is reused while every input it was made from (each file esbuild read, and esbuild's
 * version) has the same sha256, so `npm start` rebuilds only after an edit. Nothing is fetched at run time: every
 * byte the browser loads is built here from the repository and node_modules.
 *
 * The browser runs the same verification code as Node (prover/verify-core.ts and verify-noble.ts on @noble/curves);
 * the two Node built-ins that code reaches (common/hash.ts) are replaced by browser shims (console/shims).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const CONSOLE_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(CONSOLE_DIR);

/** One file the service serves. */
export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
  /** sha256 of the body, hex: the ETag, and the name's hash for /assets files. */
  sha256: string;
}

export interface ConsoleAssets {
  /** The page at /, referring to the hashed assets. */
  index: ConsoleAsset;
  /** /assets/<name> → asset (names carry their content hash: served immutable). */
  assets: Map<string, ConsoleAsset>;
  /** True when this start built them; false when the cache was reused. */
  built: boolean;
}

interface CacheManifest {
  key: string;
  inputs: string[];
  files: string[];
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Node built-ins the shared code imports, and their browser stand-ins. */
const SHIMS: Record<string, string> = {
  'node:crypto': path.join(CONSOLE_DIR, 'shims', 'crypto.ts'),
  'node:fs': path.join(CONSOLE_DIR, 'shims', 'fs.ts'),
};

const shimPlugin: esbuild.Plugin = {
  name: 'zkai-node-shims',
  setup(build) {
    build.onResolve({ filter: /^node:(crypto|fs)$/ }, (args) => ({ path: SHIMS[args.path]! }));
  },
};

/** The cache key: esbuild's version and every input's path and content. */
async function cacheKey(inputs: readonly string[]): Promise<string> {
  const h = createHash('sha256').update(`esbuild ${esbuild.version}\n`);
  for (const input of [...inputs].sort()) {
    h.update(`${input}\n`);
    h.update(await readFile(path.join(REPO, input)));
  }
  return h.digest('hex');
}

async function readCache(dir: string): Promise<ConsoleAssets | undefined> {
  try {
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as CacheManifest;
    if ((await cacheKey(manifest.inputs)) !== manifest.key) return undefined;
    const files = await Promise.all(manifest.files.map(async (f) => [f, await readFile(path.join(dir, f))] as const));
    return assemble(files, false);
  } catch {
    return undefined; // no cache, an input is gone, or a file is missing: build afresh
  }
}

function asset(name: string, body: Buffer): ConsoleAsset {
  return { body, contentType: TYPES[path.extname(name)] ?? 'application/octet-stream', sha256: sha256(body) };
}

function assemble(files: readonly (readonly [string, Buffer])[], built: boolean): ConsoleAssets {
  const assets = new Map<string, ConsoleAsset>();
  let index: ConsoleAsset | undefined;
  for (const [name, body] of files) {
    if (name === 'index.html') index = asset(name, body);
    else assets.set(name, asset(name, body));
  }
  if (!index) throw new Error('console build: index.html is missing');
  return { index, assets, built };
}

/**
 * The console's assets: from the cache when its inputs are unchanged, else built (about a second) and cached.
 * `cacheDir` defaults to console/.build (ignored by git).
 */
export async function buildConsole(opts: { cacheDir?: string } = {}): Promise<ConsoleAssets> {
  const dir = opts.cacheDir ?? path.join(CONSOLE_DIR, '.build');
  const cached = await readCache(dir);
  if (cached) return cached;

  const result = await esbuild.build({
    entryPoints: { main: path.join(CONSOLE_DIR, 'src', 'main.ts'), style: path.join(CONSOLE_DIR, 'src', 'style.css') },
    absWorkingDir: REPO,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    entryNames: '[name]-[hash]',
    outdir: path.join(dir, 'out'),
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [shimPlugin],
  });
  const files: [string, Buffer][] = result.outputFiles.map((f) => [path.basename(f.path), Buffer.from(f.contents)]);
  const script = files.find(([n]) => n.startsWith('main-') && n.endsWith('.js'))?.[0];
  const style = files.find(([n]) => n.startsWith('style-') && n.endsWith('.css'))?.[0];
  if (!script || !style) throw new Error('console build: the script or the style sheet is missing');
  const template = await readFile(path.join(CONSOLE_DIR, 'index.html'), 'utf8');
  files.push(['index.html', Buffer.from(template.replace('{{script}}', `/assets/${script}`).replace('{{style}}', `/assets/${style}`))]);

  // Inputs as repository paths (esbuild reports them relative to absWorkingDir), plus the page template.
  const inputs = [...Object.keys(result.metafile.inputs), path.relative(REPO, path.join(CONSOLE_DIR, 'index.html'))];
  const manifest: CacheManifest = { key: await cacheKey(inputs), inputs, files: files.map(([n]) => n) };
  // Written to a fresh folder then renamed, so a concurrent start never reads half a cache.
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  for (const [name, body] of files) await writeFile(path.join(tmp, name), body);
  await writeFile(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir).catch(async () => rm(tmp, { recursive: true, force: true }));
  return assemble(files, true);
}
