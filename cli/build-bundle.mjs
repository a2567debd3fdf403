#!/usr/bin/env node
// Compiles the `zkai` command to plain JavaScript so that it starts on bare Node instead of through the tsx loader
// (tsx transpiles every imported TypeScript file at start: 0.5 to 1 s per process here). Two bundles in cli/dist:
// - prove.mjs: `zkai prove` alone (cli/prove-main.ts), one file, the snarkjs-CLI-shaped drop-in whose start-up time
//   is measured against rapidsnark's and snarkjs's;
// - zkai/main.js (+ chunks): every other command (cli/main.ts), split at its lazy imports so that a command loads
//   only its own modules.
// Runs on `npm ci` (root "install" script, after the native build); a failure only prints a warning and exits 0:
// cli/bin.js then runs the TypeScript as before. Packages stay external (resolved from node_modules at run time),
// except @noble's, which are inlined. <name>.meta.json records every source file's size and mtime: cli/bin.js uses a
// bundle only while they all match (cli/bundles.mjs), so an edited checkout never runs stale code.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** cli/dist by default; tests build into a folder of their own (`node cli/build-bundle.mjs <dir>`). */
const outDir = resolve(process.argv[2] ?? join(root, 'cli', 'dist'));

function warn(reason) {
  console.warn(`zkai not compiled: ${reason}; the zkai command will run its TypeScript through tsx`);
  process.exit(0);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (err) {
  warn(`esbuild is not installed (${err.message})`);
}

const posix = (p) => p.split('\\').join('/');

/**
 * Every module keeps its own location: `import.meta.url`, `.dirname` and `.filename` in a bundled source file are
 * rewritten to that source file's, computed from the bundle's own URL at run time (so a moved checkout still works).
 * Whatever a module finds beside itself (the native addon, worker bootstraps, circom libraries, the repository root)
 * it finds exactly as when tsx runs it.
 */
function sourceLocation(bundleDir) {
  return {
    name: 'source-location',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(join('node_modules', ''))) return undefined;
        const file = JSON.stringify(posix(relative(bundleDir, args.path)));
        const dir = JSON.stringify(`${posix(relative(bundleDir, dirname(args.path)))}/`);
        let source = readFileSync(args.path, 'utf8');
        for (const [needle, value] of engineImports(args.path)) {
          if (!source.includes(needle)) throw new Error(`${args.path} no longer has "${needle}"`);
          source = source.replaceAll(needle, value);
        }
        source = source
          .replaceAll('import.meta.url', `new URL(${file}, import.meta.url).href`)
          .replaceAll('import.meta.dirname', `decodeURIComponent(new URL(${dir}, import.meta.url).pathname).slice(0, -1)`)
          .replaceAll('import.meta.filename', `decodeURIComponent(new URL(${file}, import.meta.url).pathname)`);
        return { contents: source, loader: 'ts' };
      });
    },
  };
}

/**
 * prover/engine.ts imports the native and WebGPU engines through variables (so that the type checker and the loader
 * do not require them); in the full bundle they become literal lazy imports, bundled as chunks of their own.
 */
let literalEngines = false;
function engineImports(file) {
  if (!literalEngines || !file.endsWith(join('prover', 'engine.ts'))) return [];
  return [
    ['import(NATIVE_MODULE)', "import('./native/index.ts')"],
    ['import(WEBGPU_MODULE)', "import('../gpu/webgpu/index.ts')"],
  ];
}

/**
 * The prove bundle leaves ZKAI_ENGINE=wasm or webgpu (prover/engine.ts) out: cli/bin.js runs those through the full
 * CLI, so this module only says so.
 */
const fullEngineSelectionOutside = {
  name: 'full-engine-selection-outside',
  setup(build) {
    build.onResolve({ filter: /^\.\/engine\.ts$/ }, (args) =>
      args.importer.endsWith(join('prover', 'prove-files.ts')) ? { path: 'engine-outside-bundle', namespace: 'zkai' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zkai' }, () => ({
      contents: `export async function selectEngine(requested) {
  const err = new Error('ZKAI_ENGINE=' + requested + ' is served by the full zkai CLI; cli/bin.js runs it there');
  err.name = 'ZkaiError';
  err.code = 'BAD_INPUT';
  throw err;
}`,
      loader: 'js',
    }));
  },
};

const { dependencies = {}, devDependencies = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = [...Object.keys(dependencies), ...Object.keys(devDependencies)].filter((p) => !p.startsWith('@noble/'));

/** Builds one bundle into `target` (a file, or a folder with splitting), then records its sources in `<name>.meta.json`. */
async function bundle({ name, entry, target, split, plugins = [] }) {
  const metaFile = join(outDir, `${name}.meta.json`);
  // Without its record the old bundle is never current (cli/bundles.mjs): a failed build leaves none in use, and a
  // zkai started during the build takes the TypeScript path. The new output is renamed into place.
  rmSync(metaFile, { force: true });
  mkdirSync(outDir, { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  // Chunks sit beside the entry (no subfolder), so one relative path serves every output file of the bundle.
  const bundleDir = split ? target : dirname(target);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    ...(split ? { outdir: tmp, splitting: true, chunkNames: '[name]-[hash]' } : { outfile: tmp }),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external,
    metafile: true,
    logLevel: 'warning',
    plugins: [...plugins, sourceLocation(bundleDir)],
  });
  // Files only: a replaced module lives in a plugin's own namespace ("zkai:…").
  const inputs = Object.keys(result.metafile.inputs)
    .filter((file) => !file.startsWith('zkai:'))
    .map((file) => {
      const s = statSync(join(root, file));
      return { file, size: s.size, mtimeMs: s.mtimeMs };
    });
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
  writeFileSync(`${metaFile}.tmp`, `${JSON.stringify({ inputs }, null, 1)}\n`);
  renameSync(`${metaFile}.tmp`, metaFile);
  console.log(`zkai ${name === 'zkai' ? 'CLI' : name} compiled: ${relative(root, target)} (${inputs.length} source files)`);
}

try {
  await bundle({ name: 'prove', entry: 'cli/prove-main.ts', target: join(outDir, 'prove.mjs'), plugins: [fullEngineSelectionOutside] });
  literalEngines = true;
  await bundle({ name: 'zkai', entry: 'cli/main.ts', target: join(outDir, 'zkai'), split: true });
} catch (err) {
  warn(err.message.split('\n')[0]);
}
