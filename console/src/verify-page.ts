/**
 * Verify: a proof bundle checked in this browser (prover/verify-core.ts and verify-noble.ts, the code Node runs, on
 * @noble/curves), against a key the user pins: the keys this service trusts for the bundle's circuit (their hashes,
 * GET /v1/circuits/:id/keys), a key pasted here, or the chain's own verifier (chain-pin.ts: asked over the RPC whether
 * it accepts this proof). The service is asked which keys it trusts, never whether the proof holds. Then the public
 * signals for people, the setup's security, and the chain's view.
 */
import { canonicalJson, sha256Hex } from '../../common/hash.ts';
import type { ProofBundle } from '../../prover/bundle.ts';
import { type CoreVerifyReport, judgeBundle, type PreparedBundle, prepareBundle } from '../../prover/verify-core.ts';
import { checkGroth16 } from '../../prover/verify-noble.ts';
import { chainAcceptance } from './chain-pin.ts';
import { chainFacts } from './chain-view.ts';
import { describeBundle } from './decode.ts';
import { badge, errorText, h, replace } from './dom.ts';
import { client } from './session.ts';

export interface BrowserVerification {
  report: CoreVerifyReport;
  bundle: ProofBundle;
  /** Where the pin came from, for people. */
  pinSource: string;
}

export type Pin = { kind: 'service' } | { kind: 'pasted'; text: string } | { kind: 'chain'; modelId: string };

/** The hashes a pasted key pins: a 64-hex sha256, or a vkey JSON (hashed as bundles hash theirs). */
export function pastedHashes(text: string): string[] {
  const t = text.trim();
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(t)) return [t.replace(/^0x/, '').toLowerCase()];
  let vkey: unknown;
  try {
    vkey = JSON.parse(t);
  } catch {
    throw new Error('the pasted key is neither a sha256 hash (64 hex digits) nor a verification key JSON');
  }
  return [sha256Hex(canonicalJson(vkey))];
}

/** Verifies a bundle in the browser against the pinned key. Throws (BAD_BUNDLE…) for a malformed bundle. */
export async function verifyInBrowser(json: unknown, pin: Pin): Promise<BrowserVerification> {
  const circuitId = (json as { circuitId?: unknown })?.circuitId;
  let trusted: string[] = [];
  let pinSource: string;
  let prepared: PreparedBundle | undefined;
  if (pin.kind === 'service') {
    if (typeof circuitId !== 'string') throw new Error('bundle.circuitId: expected a string');
    trusted = (await client().trustedKeys(circuitId)).vkeyHashes;
    pinSource = trusted.length ? `this service's key for circuit ${circuitId}` : `this service knows no key for circuit ${circuitId}`;
  } else if (pin.kind === 'chain') {
    // Parse first (a malformed bundle is refused before any RPC), then pin the bundle's own key only if the chain's
    // verifier accepts this very proof and these signals.
    // The one parse (and commitment check) is reused: pinned to its own key, exactly as prepareBundle pins.
    const unpinned = prepareBundle(json);
    const verdict = await chainAcceptance(await client().chain(), unpinned.bundle, pin.modelId || undefined);
    prepared = verdict.accepted
      ? { ...unpinned, pinned: unpinned.vkeyHash === unpinned.bundle.vkeyHash, trusted: new Set([unpinned.vkeyHash]) }
      : unpinned;
    pinSource = verdict.source;
  } else {
    trusted = pastedHashes(pin.text);
    pinSource = `the pasted key ${trusted[0]}`;
  }
  prepared ??= prepareBundle(json, { trustedVkeyHashes: trusted });
  const noble = checkGroth16(prepared.parsed);
  return { report: judgeBundle(prepared, noble), bundle: prepared.bundle, pinSource };
}

let handedOver: unknown;
/** A bundle another page hands over (the provider page's "Verify in the browser"). */
export function handOverBundle(bundle: unknown): void {
  handedOver = bundle;
}

export function verifyPage(root: HTMLElement): void {
  const result = h('div', { id: 'verify-result' });
  const keyBox = h('textarea', { id: 'pasted-key', rows: 4, placeholder: 'a verification key JSON, or its sha256 (64 hex digits)' });
  const servicePin = h('input', { type: 'radio', name: 'pin', value: 'service', id: 'pin-service', checked: true });
  const pastedPin = h('input', { type: 'radio', name: 'pin', value: 'pasted', id: 'pin-pasted' });
  const chainPin = h('input', { type: 'radio', name: 'pin', value: 'chain', id: 'pin-chain' });
  const modelIdBox = h('input', {
    type: 'text',
    id: 'model-id',
    placeholder: '0x… (64 hex digits), for the chain view of an inference proof',
  });
  const fileInput = h('input', { type: 'file', id: 'bundle-file', accept: '.json,application/json' });
  let current: unknown;

  const pin = (): Pin =>
    pastedPin.checked
      ? { kind: 'pasted', text: keyBox.value }
      : chainPin.checked
        ? { kind: 'chain', modelId: modelIdBox.value.trim() }
        : { kind: 'service' };
  const run = async () => {
    if (current === undefined) return;
    replace(result, h('p', { class: 'muted' }, 'Verifying in this browser…'));
    // Let the message paint before the pairing check holds the main thread (a few hundred milliseconds).
    await new Promise((r) => setTimeout(r, 20));
    try {
      const v = await verifyInBrowser(current, pin());
      replace(result, ...(await renderVerification(v, modelIdBox.value.trim())));
    } catch (err) {
      replace(
        result,
        h('div', { class: 'verdict invalid', 'data-testid': 'verdict', 'data-valid': 'false' }, 'INVALID: not a proof bundle'),
        h('p', { class: 'error' }, errorText(err)),
      );
    }
  };
  const load = async (text: string) => {
    try {
      current = JSON.parse(text);
    } catch (err) {
      replace(result, h('p', { class: 'error' }, `not JSON: ${errorText(err)}`));
      return;
    }
    await run();
  };
  fileInput.addEventListener('change', async () => {
    const f = fileInput.files?.[0];
    if (f) await load(await f.text());
  });
  const drop = h('div', { class: 'drop', id: 'drop' }, 'Drop a proof bundle (.json) here, or ', fileInput);
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', async (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) await load(await f.text());
  });

  replace(
    root,
    h('h1', {}, 'Verify a proof'),
    h(
      'p',
      { class: 'lead' },
      'The proof is checked here, in your browser, with @noble/curves: the service only says which keys it trusts.',
    ),
    h(
      'section',
      { class: 'card' },
      drop,
      h('label', {}, 'Pin the verification key to'),
      h('div', {}, servicePin, h('label', { for: 'pin-service', class: 'inline' }, "this service's trusted key for the bundle's circuit")),
      h('div', {}, pastedPin, h('label', { for: 'pin-pasted', class: 'inline' }, 'a key I paste')),
      h(
        'div',
        {},
        chainPin,
        h(
          'label',
          { for: 'pin-chain', class: 'inline' },
          "the chain's verifier: the model's (model id below) or RoyaltyVault's, asked from this browser",
        ),
      ),
      keyBox,
      h('label', { for: 'model-id' }, 'Model id on chain (for the chain pin and the chain view of an inference proof)'),
      modelIdBox,
      h('button', { id: 'verify-again', onclick: () => void run() }, 'Verify again'),
    ),
    result,
  );
  if (handedOver !== undefined) {
    current = handedOver;
    handedOver = undefined;
    void run();
  }
}

async function renderVerification(v: BrowserVerification, modelId: string): Promise<HTMLElement[]> {
  const { report, bundle } = v;
  const verdictClass = report.valid ? 'valid' : report.reasonCode === 'KEY_NOT_PINNED' ? 'unpinned' : 'invalid';
  const verdictText = report.valid
    ? 'VALID'
    : report.reasonCode === 'KEY_NOT_PINNED'
      ? 'NOT PINNED: the proof holds only under its own key'
      : `INVALID (${report.reasonCode})`;
  const d = describeBundle(bundle);
  const out: HTMLElement[] = [
    h(
      'div',
      {
        class: `verdict ${verdictClass}`,
        'data-testid': 'verdict',
        'data-valid': String(report.valid),
        'data-reason': report.reasonCode ?? '',
      },
      verdictText,
    ),
    h(
      'section',
      { class: 'card' },
      h(
        'ul',
        { class: 'checks' },
        h('li', {}, `Pairing check (@noble/curves, in this browser): ${report.checks.noble ? 'holds' : 'fails'}`),
        report.checks.commitment === undefined
          ? null
          : h('li', {}, `Weights commitment proof of knowledge: ${report.checks.commitment ? 'holds' : 'fails'}`),
        h('li', {}, `Key ${report.vkeyHash}: ${report.pinned ? 'pinned by' : 'not pinned by'} ${v.pinSource}`),
        report.reason ? h('li', { class: 'error' }, report.reason) : null,
      ),
      h(
        'p',
        {},
        'Setup: ',
        badge(d.security.label, d.security.insecure ? 'insecure' : 'secure'),
        d.security.detail ? h('span', { class: 'muted' }, ` ${d.security.detail}`) : null,
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, d.kind === 'membership' ? 'What this membership proof says' : 'What this inference proof says'),
      h('p', { class: 'muted' }, `circuit ${d.circuitId}`),
      h(
        'table',
        { 'data-testid': 'signals' },
        h('tbody', {}, ...d.rows.map((r) => h('tr', { 'data-signal': r.name }, h('th', {}, r.label), h('td', { class: 'mono' }, r.value)))),
      ),
    ),
  ];
  out.push(await chainSection(bundle, modelId));
  return out;
}

async function chainSection(bundle: ProofBundle, modelId: string): Promise<HTMLElement> {
  const card = h('section', { class: 'card', id: 'chain-view' }, h('h2', {}, "The chain's view"));
  try {
    const chain = await client().chain();
    const facts = await chainFacts(chain, bundle, modelId || undefined);
    card.append(
      h('p', { class: 'muted' }, `${chain.url} (chain id ${chain.chainId}), read from this browser`),
      h(
        'ul',
        { class: 'checks' },
        ...facts.map((f) =>
          h(
            'li',
            {},
            `${f.label}: ${f.value === undefined ? '—' : f.value ? 'yes' : 'no'}`,
            f.note ? h('span', { class: 'muted' }, ` (${f.note})`) : null,
          ),
        ),
      ),
    );
  } catch (err) {
    card.append(h('p', { class: 'muted' }, `No chain view: ${errorText(err)}`));
  }
  return card;
}
