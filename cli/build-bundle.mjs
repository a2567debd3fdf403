#!/usr/bin/env node
// Compiles `zkai prove` (cli/prove-main.ts and what it imports) into one JavaScript file, cli/dist/prove.mjs, so the
// command starts on bare Node instead of through the tsx loader (about 0.25 s less per process). Runs on `npm ci`
// (root "install" script, after the native build); a failure only prints a warning and exits 0: cli/bin.js then
// runs the TypeScript as before. Packages stay external (resolved from node_modules at run time; snarkjs is loaded
// only on the fallback path), except @noble's, which are inlined. cli/dist/prove.meta.json records every source
// file's size and mtime: cli/bin.js uses the bundle only while they all match (cli/prove-bundle.mjs), so an edited
// checkout never runs stale code.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** cli/dist by default; tests build into a folder of their own (`node cli/build-bundle.mjs <dir>`). */
const outDir = resolve(process.argv[2] ?? join(root, 'cli', 'dist'));

function warn(reason) {
  console.warn(`zkai prove not compiled: ${reason}; the zkai command will run it through tsx`);
  process.exit(0);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (err) {
  warn(`esbuild is not installed (${err.message})`);
}

/** The native loader finds the addon beside itself; in the bundle, "itself" is the output folder. */
const NATIVE_DIR_LINE = 'const NATIVE_DIR = dirname(fileURLToPath(import.meta.url));';
const nativeDirFromBundle = {
  name: 'native-dir-from-bundle',
  setup(build) {
    build.onLoad({ filter: /prover[\\/]native[\\/]index\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(NATIVE_DIR_LINE)) throw new Error(`${args.path} no longer has the line "${NATIVE_DIR_LINE}"`);
      const up = JSON.stringify(relative(outDir, join(root, 'prover', 'native')));
      const fromBundle = `const NATIVE_DIR = join(dirname(fileURLToPath(import.meta.url)), ${up});`;
      return { contents: source.replace(NATIVE_DIR_LINE, fromBundle), loader: 'ts' };
    });
  },
};

/**
 * ZKAI_ENGINE=wasm or webgpu goes through prover/engine.ts, which loads engines by computed paths a bundle cannot
 * follow; cli/bin.js runs those through tsx, so the bundle replaces the module with one that says so.
 */
const fullEngineSelectionOutside = {
  name: 'full-engine-selection-outside',
  setup(build) {
    build.onResolve({ filter: /^\.\/engine\.ts$/ }, (args) =>
      args.importer.endsWith(join('prover', 'prove-files.ts')) ? { path: 'engine-outside-bundle', namespace: 'zkai' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zkai' }, () => ({
      contents: `export async function selectEngine(requested) {
  const err = new Error('ZKAI_ENGINE=' + requested + ' is served by the TypeScript CLI; cli/bin.js runs it there');
  err.name = 'ZkaiError';
  err.code = 'BAD_INPUT';
  throw err;
}`,
      loader: 'js',
    }));
  },
};

/**
 * Packages stay in node_modules, except @noble's (pure JavaScript, dozens of small modules): inlined, they load
 * without Node resolving and reading each one.
 */
const { dependencies = {}, devDependencies = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = [...Object.keys(dependencies), ...Object.keys(devDependencies)].filter((p) => !p.startsWith('@noble/'));

const metaFile = join(outDir, 'prove.meta.json');
try {
  // Without its record the old bundle is never current (cli/prove-bundle.mjs): a failed build leaves none in use,
  // and a zkai started during the build takes the TypeScript path. The new files are renamed into place.
  rmSync(metaFile, { force: true });
  mkdirSync(outDir, { recursive: true });
  const tmp = `.${process.pid}.tmp`;
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['cli/prove-main.ts'],
    outfile: join(outDir, `prove.mjs${tmp}`),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external,
    metafile: true,
    logLevel: 'warning',
    plugins: [nativeDirFromBundle, fullEngineSelectionOutside],
  });
  // Files only: the replaced engine module lives in the plugin's own namespace ("zkai:…").
  const files = Object.keys(result.metafile.inputs).filter((file) => !file.startsWith('zkai:'));
  const inputs = files.map((file) => {
    const s = statSync(join(root, file));
    return { file, size: s.size, mtimeMs: s.mtimeMs };
  });
  renameSync(join(outDir, `prove.mjs${tmp}`), join(outDir, 'prove.mjs'));
  writeFileSync(`${metaFile}${tmp}`, `${JSON.stringify({ inputs }, null, 1)}\n`);
  renameSync(`${metaFile}${tmp}`, metaFile);
  console.log(`zkai prove compiled: ${relative(root, join(outDir, 'prove.mjs'))} (${inputs.length} source files)`);
} catch (err) {
  warn(err.message.split('\n')[0]);
}
