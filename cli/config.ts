/**
 * `zkai config [--json | --markdown]`: every ZKAI_* setting with its effective value and where that value came from
 * (common/settings.ts is the table). The service's settings are parsed exactly as `npm start` parses them, so a
 * value the service would refuse is reported here too (exit 2).
 */
import { parseArgs } from 'node:util';
import { resolveHome } from '../common/config.ts';
import { isZkaiError, ZkaiError } from '../common/errors.ts';
import { SETTINGS, type Setting, settingsMarkdown } from '../common/settings.ts';
import { redactUrl } from '../jobs/queue/types.ts';
import { configFromEnv } from '../server/config.ts';

export interface EffectiveSetting {
  name: string;
  area: Setting['area'];
  value: string;
  source: 'environment' | 'default' | 'project' | 'user';
  description: string;
}

/** The effective value of each setting under `env` (secrets shown as "(set)", URL passwords redacted). */
export function effectiveSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): EffectiveSetting[] {
  return SETTINGS.map((s) => {
    const raw = env[s.name];
    const set = raw !== undefined && raw !== '';
    let value = set ? raw : s.default;
    let source: EffectiveSetting['source'] = set ? 'environment' : 'default';
    if (s.name === 'ZKAI_HOME') {
      const home = resolveHome(env, cwd);
      value = home.path;
      source = home.source === 'ZKAI_HOME' ? 'environment' : home.source;
    } else if (set && s.secret) value = '(set)';
    else if (set && s.url && /^[a-z]+:\/\//i.test(raw)) value = redactUrl(raw);
    return { name: s.name, area: s.area, value, source, description: s.description };
  });
}

export async function configCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, markdown: { type: 'boolean' } },
  });
  if (positionals.length) throw new ZkaiError('BAD_INPUT', `zkai config takes no arguments, got ${positionals.join(' ')}`);
  if (values.markdown) {
    process.stdout.write(settingsMarkdown());
    return 0;
  }
  const settings = effectiveSettings();
  let problem: string | undefined;
  try {
    configFromEnv(process.env);
  } catch (err) {
    if (!isZkaiError(err)) throw err;
    problem = err.message;
  }
  if (values.json) console.log(JSON.stringify({ settings, ...(problem ? { error: problem } : {}) }, null, 2));
  else {
    const width = Math.max(...settings.map((s) => s.name.length));
    let area = '';
    for (const s of settings) {
      if (s.area !== area) {
        area = s.area;
        console.log(`${area === 'service' ? '' : '\n'}[${area}]`);
      }
      const origin =
        s.source === 'environment'
          ? ''
          : `  (${s.source === 'default' ? 'default' : `default: ${s.source === 'project' ? "the project's .zkai" : '~/.zkai'}`})`;
      console.log(`  ${s.name.padEnd(width)}  ${s.value}${origin}`);
    }
    console.log('\nWhat each one does: zkai config --markdown, or docs/configuration.md.');
  }
  if (problem) {
    process.stderr.write(`error [BAD_INPUT]: ${problem}\n`);
    return 2;
  }
  return 0;
}
