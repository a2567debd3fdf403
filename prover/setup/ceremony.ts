import { createReadStream, existsSync } from 'node:fs';
import { copyFile, link, mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { blake2b } from '@noble/hashes/blake2.js';
import * as snarkjs from 'snarkjs';
import { cacheDir } from '../../common/config.ts';
import { ZkaiError } from '../../common/errors.ts';
import { uniqueSuffix, writeFileAtomic } from '../../common/fs.ts';
import { importPtau, type PtauInfo } from './ptau.ts';

/**
 * blake2b-512 of the prepared Hermez/Polygon ceremony files `powersOfTau28_hez_final_XX.ptau` → power.
 * Copied from the table in the snarkjs 0.7.6 README (node_modules/snarkjs/README.md, "Prepared (phase2)
 * Ptau files for bn128 with 54 contributions and a beacon"); power 28 is `powersOfTau28_hez_final.ptau`.
 * snarkjs publishes blake2b-512 (what `b2sum` prints), so that is the hash compared here.
 */
export const HERMEZ_FINAL_BLAKE2B: ReadonlyMap<string, number> = new Map<string, number>([
  ['d6a8fb3a04feb600096c3b791f936a578c4e664d262e4aa24beed1b7a9a96aa5eb72864d628db247e9293384b74b36ffb52ca8d148d6e1b8b51e279fdf57b583', 8],
  ['94f108a80e81b5d932d8e8c9e8fd7f46cf32457e31462deeeef37af1b71c2c1b3c71fb0d9b59c654ec266b042735f50311f9fd1d4cadce47ab234ad163157cb5', 9],
  ['6cfeb8cda92453099d20120bdd0e8a5c4e7706c2da9a8f09ccc157ed2464d921fd0437fb70db42104769efd7d6f3c1f964bcf448c455eab6f6c7d863e88a5849', 10],
  ['47c282116b892e5ac92ca238578006e31a47e7c7e70f0baa8b687f0a5203e28ea07bbbec765a98dcd654bad618475d4661bfaec3bd9ad2ed12e7abc251d94d33', 11],
  ['ded2694169b7b08e898f736d5de95af87c3f1a64594013351b1a796dbee393bd825f88f9468c84505ddd11eb0b1465ac9b43b9064aa8ec97f2b73e04758b8a4a', 12],
  ['58efc8bf2834d04768a3d7ffcd8e1e23d461561729beaac4e3e7a47829a1c9066d5320241e124a1a8e8aa6c75be0ba66f65bc8239a0542ed38e11276f6fdb4d9', 13],
  ['eeefbcf7c3803b523c94112023c7ff89558f9b8e0cf5d6cdcba3ade60f168af4a181c9c21774b94fbae6c90411995f7d854d02ebd93fb66043dbb06f17a831c1', 14],
  ['982372c867d229c236091f767e703253249a9b432c1710b4f326306bfa2428a17b06240359606cfe4d580b10a5a1f63fbed499527069c18ae17060472969ae6e', 15],
  ['6a6277a2f74e1073601b4f9fed6e1e55226917efb0f0db8a07d98ab01df1ccf43eb0e8c3159432acd4960e2f29fe84a4198501fa54c8dad9e43297453efec125', 16],
  ['6247a3433948b35fbfae414fa5a9355bfb45f56efa7ab4929e669264a0258976741dfbe3288bfb49828e5df02c2e633df38d2245e30162ae7e3bcca5b8b49345', 17],
  ['7e6a9c2e5f05179ddfc923f38f917c9e6831d16922a902b0b4758b8e79c2ab8a81bb5f29952e16ee6c5067ed044d7857b5de120a90704c1d3b637fd94b95b13e', 18],
  ['bca9d8b04242f175189872c42ceaa21e2951e0f0f272a0cc54fc37193ff6648600eaf1c555c70cdedfaf9fb74927de7aa1d33dc1e2a7f1a50619484989da0887', 19],
  ['89a66eb5590a1c94e3f1ee0e72acf49b1669e050bb5f93c73b066b564dca4e0c7556a52b323178269d64af325d8fdddb33da3a27c34409b821de82aa2bf1a27b', 20],
  ['9aef0573cef4ded9c4a75f148709056bf989f80dad96876aadeb6f1c6d062391f07a394a9e756d16f7eb233198d5b69407cca44594c763ab4a5b67ae73254678', 21],
  ['0d64f63dba1a6f11139df765cb690da69d9b2f469a1ddd0de5e4aa628abb28f787f04c6a5fb84a235ec5ea7f41d0548746653ecab0559add658a83502d1cb21b', 22],
  ['3063a0bd81d68711197c8820a92466d51aeac93e915f5136d74f63c394ee6d88c5e8016231ea6580bec02e25d491f319d92e77f5c7f46a9caa8f3b53c0ea544f', 23],
  ['fa404d140d5819d39984833ca5ec3632cd4995f81e82db402371a4de7c2eae8687c62bc632a95b0c6aadba3fb02680a94e09174b7233ccd26d78baca2647c733', 24],
  ['0377d860cdb09a8a31ea1b0b8c04335614c8206357181573bf294c25d5ca7dff72387224fbd868897e6769f7805b3dab02854aec6d69d7492883b5e4e5f35eeb', 25],
  ['418dee4a74b9592198bd8fd02ad1aea76f9cf3085f206dfd7d594c9e264ae919611b1459a1cc920c2f143417744ba9edd7b8d51e44be9452344a225ff7eead19', 26],
  ['10ffd99837c512ef99752436a54b9810d1ac8878d368fb4b806267bdd664b4abf276c9cd3c4b9039a1fa4315a0c326c0e8e9e8fe0eb588ffd4f9021bf7eae1a1', 27],
  ['55c77ce8562366c91e7cda394cf7b7c15a06c12d8c905e8b36ba9cf5e13eb37d1a429c589e8eaba4c591bc4b88a0e2828745a53e170eac300236f5c1a326f41a', 28],
]);

/** One ceremony file registered with `zkai setup import`. */
export interface RegisteredCeremony {
  label: string;
  power: number;
  blake2b: string;
  sha256: string;
  /** The copy (or hard link) under `<ZKAI_HOME>/ptau/`. */
  path: string;
  /** How it was accepted: its hash is in the published table, or snarkjs verified the whole file here. */
  trust: 'known-hash' | 'full-verify';
  /** A zkai development file stays insecure whatever the import says: it is never picked by default. */
  insecure: boolean;
  importedAt: string;
}

interface Registry {
  version: 1;
  ceremonies: RegisteredCeremony[];
}

function registryPath(): string {
  return cacheDir('ptau', 'registry.json');
}

/** The ceremonies registered under the current ZKAI_HOME (empty when none). */
export async function readRegistry(): Promise<RegisteredCeremony[]> {
  let text: string;
  try {
    text = await readFile(registryPath(), 'utf8');
  } catch {
    return [];
  }
  try {
    const reg = JSON.parse(text) as Registry;
    return Array.isArray(reg.ceremonies) ? reg.ceremonies : [];
  } catch {
    throw new ZkaiError('BAD_INPUT', `${registryPath()} is not valid JSON: fix or delete it`);
  }
}

/** blake2b-512 of a file, streamed (public ceremony files reach gigabytes). */
export async function blake2bFile(file: string, onProgress?: (done: number) => void): Promise<string> {
  const h = blake2b.create({ dkLen: 64 });
  let done = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) {
    h.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    onProgress?.(done);
  }
  return Buffer.from(h.digest()).toString('hex');
}

/** Put `src` at `dest` without copying gigabytes when a hard link will do. */
async function linkOrCopy(src: string, dest: string): Promise<void> {
  if (path.resolve(src) === path.resolve(dest)) return;
  const tmp = `${dest}.${uniqueSuffix()}.tmp`;
  try {
    await link(src, tmp);
  } catch {
    await copyFile(src, tmp);
  }
  await rename(tmp, dest);
}

export interface ImportResult {
  ceremony: RegisteredCeremony;
  /** False when the same file (same blake2b) was registered before. */
  added: boolean;
}

/**
 * `zkai setup import`: check a ptau file's container (importPtau: bn128, prepared for phase 2), hash it
 * (blake2b-512) and register it. A hash from the published Hermez table is trusted as is; any other file
 * is accepted only after `snarkjs powersoftau verify` passes (every contribution and the Lagrange
 * sections recomputed — minutes to hours for big files). A zkai dev file stays labelled insecure.
 */
export async function importCeremony(
  file: string,
  opts: {
    log?: (msg: string) => void;
    /** The published files' hashes (blake2b-512 → power); HERMEZ_FINAL_BLAKE2B. Tests pass a table naming a small file. */
    known?: ReadonlyMap<string, number>;
  } = {},
): Promise<ImportResult> {
  const log = opts.log;
  const info = await importPtau(file);
  log?.(`ptau header ok: power ${info.power}, sha256 ${info.sha256}`);
  // Public files reach gigabytes: report every GiB hashed.
  const hash = await blake2bFile(info.path, (done) => {
    if (done % 2 ** 30 < 1 << 22 && done >= 2 ** 30) log?.(`  blake2b: ${(done / 2 ** 30).toFixed(0)} GiB hashed`);
  });
  log?.(`blake2b-512 ${hash}`);
  const existing = (await readRegistry()).find((c) => c.blake2b === hash);
  if (existing && existsSync(existing.path)) {
    log?.(`already registered as ${existing.label}`);
    return { ceremony: existing, added: false };
  }
  const knownPower = (opts.known ?? HERMEZ_FINAL_BLAKE2B).get(hash);
  let trust: RegisteredCeremony['trust'];
  let label: string;
  if (knownPower !== undefined) {
    if (knownPower !== info.power) {
      throw new ZkaiError('BAD_PTAU', `${info.path}: hash matches hermez-final-${knownPower} but the header says power ${info.power}`);
    }
    trust = 'known-hash';
    label = `hermez-final-${String(knownPower).padStart(2, '0')}`;
    log?.(`known public ceremony: ${label} (hash from the snarkjs README table)`);
  } else {
    log?.(
      `not a published ceremony file: running the full snarkjs powersoftau verify (2^${info.power}; this is slow — ` +
        'seconds at 2^11, hours at 2^20+) …',
    );
    const errors: string[] = [];
    const started = performance.now();
    // Progress: the contributions it checks (names: judge who took part), each section, each Lagrange power.
    const logger = {
      debug: (m: unknown) => {
        const s = String(m);
        if (/^(Validating contribution|Verifying|Power \d+\.\.\.)/.test(s)) log?.(`  snarkjs: ${s}`);
      },
      info: (m: unknown) => {
        const s = String(m);
        if (/^(Contribution #|Beacon)|ok!$/i.test(s)) log?.(`  snarkjs: ${s.split('\n')[0]}`);
      },
      warn: (m: unknown) => log?.(`  snarkjs: ${String(m)}`),
      error: (m: unknown) => errors.push(String(m)),
    };
    let ok: boolean;
    try {
      ok = (await snarkjs.powersOfTau.verify(info.path, logger)) === true;
    } catch (err) {
      throw new ZkaiError('BAD_PTAU', `${info.path}: verification failed: ${(err as Error).message}`);
    }
    if (!ok) throw new ZkaiError('BAD_PTAU', `${info.path} did not verify: ${errors.join('; ') || 'snarkjs powersoftau verify failed'}`);
    log?.(`full verification passed (${((performance.now() - started) / 1000).toFixed(1)}s)`);
    trust = 'full-verify';
    label = info.insecure ? `dev-${info.power}-insecure-${hash.slice(0, 8)}` : `ptau-${info.power}-${hash.slice(0, 8)}`;
  }
  const dir = cacheDir('ptau');
  await mkdir(dir, { recursive: true });
  const dest = path.join(dir, `${label}.ptau`);
  await linkOrCopy(info.path, dest);
  const ceremony: RegisteredCeremony = {
    label,
    power: info.power,
    blake2b: hash,
    sha256: info.sha256,
    path: dest,
    trust,
    insecure: info.insecure,
    importedAt: new Date().toISOString(),
  };
  // Read-modify-write: concurrent imports are rare (a person runs them) and each is idempotent.
  const others = (await readRegistry()).filter((c) => c.blake2b !== hash);
  await writeFileAtomic(registryPath(), `${JSON.stringify({ version: 1, ceremonies: [...others, ceremony] }, null, 2)}\n`);
  if (ceremony.insecure) log?.(`WARNING: ${label} is a zkai development ptau: registered, but INSECURE and never used by default`);
  log?.(`registered ${label} → ${dest}`);
  return { ceremony, added: true };
}

/**
 * The smallest registered, secure ceremony with power ≥ `power` whose file is still there, as a
 * PtauInfo; undefined when none fits (the caller falls back to a dev ptau).
 */
export async function pickRegisteredPtau(power: number): Promise<PtauInfo | undefined> {
  const fits = (await readRegistry())
    .filter((c) => !c.insecure && c.power >= power && existsSync(c.path))
    .sort((a, b) => a.power - b.power);
  const c = fits[0];
  if (!c) return undefined;
  return { path: c.path, power: c.power, sha256: c.sha256, insecure: false, source: 'user', label: c.label };
}
