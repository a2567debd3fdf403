import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from './config.ts';
import { NOT_SETTINGS, SETTINGS, settingsMarkdown } from './settings.ts';

/** Every source file of the product (tests and benchmarks excluded: their knobs are not settings). */
function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (['node_modules', 'artifacts', 'cache', 'build', 'generated', '.zkai', 'fixtures'].includes(name)) continue;
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mjs|cjs|js|cpp|hpp|sh)$/.test(name) && !name.endsWith('.test.ts')) out.push(p);
    }
  };
  for (const root of readdirSync(REPO_ROOT)) {
    const p = path.join(REPO_ROOT, root);
    if (root.startsWith('.') && root !== '.ci') continue;
    if (['node_modules', 'bench', 'test', 'docs'].includes(root) || !statSync(p).isDirectory()) continue;
    walk(p);
  }
  return out;
}

describe('settings (common/settings.ts)', () => {
  it('every ZKAI_* variable the code reads is a documented setting', () => {
    const listed = new Set(SETTINGS.map((s) => s.name));
    const missing = new Map<string, string>();
    for (const file of sources())
      for (const [name] of readFileSync(file, 'utf8').matchAll(/\bZKAI_[A-Z0-9_]*[A-Z0-9]\b/g))
        if (!listed.has(name as `ZKAI_${string}`) && !NOT_SETTINGS.some((re) => re.test(name)))
          missing.set(name, path.relative(REPO_ROOT, file));
    assert.deepEqual(Object.fromEntries(missing), {}, 'add these to SETTINGS (and docs/configuration.md: zkai config --markdown)');
  });

  it('docs/configuration.md has the table as zkai config --markdown prints it', () => {
    // Compared cell by cell: the formatter pads markdown tables (biome), the generator does not.
    const normal = (text: string) =>
      text
        .split('\n')
        .map((l) =>
          l.startsWith('|')
            ? l
                .split(/(?<!\\)\|/)
                .map((c) => (/^\s*-+\s*$/.test(c) ? '---' : c.trim()))
                .join('|')
            : l.trimEnd(),
        )
        .join('\n')
        .trimEnd();
    const doc = normal(readFileSync(path.join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8'));
    assert.ok(
      doc.endsWith(normal(settingsMarkdown())),
      'regenerate: the "Every setting" part of docs/configuration.md is zkai config --markdown',
    );
  });

  it('names are unique and every setting says what it does', () => {
    assert.equal(new Set(SETTINGS.map((s) => s.name)).size, SETTINGS.length);
    for (const s of SETTINGS) assert.ok(s.description.length > 10 && s.default.length > 0, s.name);
  });
});
