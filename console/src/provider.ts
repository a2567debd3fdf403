/**
 * Provider: upload an ONNX model and its calibration CSV, watch the compile (its job's event stream), prove an input,
 * download the bundle or hand it to the Verify page.
 */
import type { Job, Model, UploadModelRequest } from '../../client/index.ts';
import { loginForm } from './dashboard.ts';
import { badge, errorText, h, phaseLabel, progressBar, replace } from './dom.ts';
import { apiKey, client } from './session.ts';
import { handOverBundle } from './verify-page.ts';

/** Base64 of a file's bytes (the upload route takes the ONNX file base64-encoded). */
async function base64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The first data row of a calibration CSV without its label column: a ready-made input to prove. */
export function firstInputRow(csv: string): string {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim());
  if (lines.length < 2) return '';
  const header = lines[0]!.split(',').map((c) => c.trim());
  const labelAt = header.indexOf('label');
  return lines[1]!
    .split(',')
    .filter((_, i) => i !== labelAt)
    .map((v) => v.trim())
    .join(', ');
}

function jobLine(j: Job): HTMLElement {
  const percent = j.state === 'succeeded' ? 100 : j.progress?.percent;
  return h(
    'div',
    { 'data-testid': 'job-progress', 'data-state': j.state, 'data-phase': j.phase ?? '' },
    h(
      'p',
      {},
      `${j.kind} job `,
      badge(j.state, `state-${j.state}`),
      ` ${phaseLabel(j.phase, j.state === 'running' ? j.progress?.step : undefined)}${percent === undefined ? '' : ` ${percent.toFixed(0)} %`}`,
    ),
    progressBar(percent),
    j.error ? h('p', { class: 'error' }, `${j.error.code}: ${j.error.message}`) : null,
  );
}

export function providerPage(root: HTMLElement, navigate: (page: string) => void): void {
  if (!apiKey()) {
    replace(
      root,
      h('h1', {}, 'Provider'),
      loginForm(() => providerPage(root, navigate)),
    );
    return;
  }
  const onnx = h('input', { type: 'file', id: 'onnx-file', accept: '.onnx' });
  const csv = h('input', { type: 'file', id: 'csv-file', accept: '.csv,text/csv' });
  const name = h('input', { type: 'text', id: 'model-name', value: 'model' });
  const weights = h(
    'select',
    { id: 'weights' },
    h('option', { value: 'pedersen' }, 'pedersen: private weights, Pedersen commitment (default)'),
    h('option', { value: 'poseidon' }, 'poseidon: private weights, Poseidon hash in the circuit'),
    h('option', { value: 'public' }, 'public: weights compiled in as constants'),
  );
  const compileStatus = h('div', { id: 'compile-status' });
  const modelInfo = h('div', { id: 'model-info' });
  const input = h('textarea', { id: 'prove-input', rows: 3, placeholder: 'input values, comma separated' });
  const proveButton = h('button', { id: 'prove', disabled: true }, 'Prove this input');
  const proveStatus = h('div', { id: 'prove-status' });
  let model: Model | undefined;

  const upload = async () => {
    const f = onnx.files?.[0];
    const c = csv.files?.[0];
    if (!f || !c) {
      replace(compileStatus, h('p', { class: 'error' }, 'choose an ONNX file and a calibration CSV'));
      return;
    }
    try {
      const csvText = await c.text();
      input.value = firstInputRow(csvText);
      const body: UploadModelRequest = {
        name: name.value.trim() || 'model',
        onnx: await base64(f),
        calibrationCsv: csvText,
        weights: weights.value as UploadModelRequest['weights'],
      };
      const uploaded = await client().uploadModel(body);
      replace(compileStatus, h('p', {}, `Model ${uploaded.id} uploaded; compiling…`));
      const done = await client().watchJob(uploaded.compileJob.id, (j) => replace(compileStatus, jobLine(j)));
      replace(compileStatus, jobLine(done));
      model = await client().model(uploaded.id);
      renderModel(model);
      proveButton.disabled = model.state !== 'ready';
    } catch (err) {
      replace(compileStatus, h('p', { class: 'error' }, errorText(err)));
    }
  };

  const renderModel = (m: Model) => {
    replace(
      modelInfo,
      h(
        'table',
        { 'data-testid': 'model-info', 'data-state': m.state },
        h(
          'tbody',
          {},
          h('tr', {}, h('th', {}, 'Model'), h('td', { class: 'mono' }, `${m.name} (${m.id})`)),
          h('tr', {}, h('th', {}, 'State'), h('td', {}, badge(m.state, `state-${m.state}`))),
          m.constraints ? h('tr', {}, h('th', {}, 'Constraints'), h('td', {}, m.constraints.total.toLocaleString('en'))) : null,
          m.agreement
            ? h(
                'tr',
                {},
                h('th', {}, 'Float vs quantized agreement'),
                h('td', {}, `${(m.agreement.agreement * 100).toFixed(1)} % on ${m.agreement.rows} rows`),
              )
            : null,
          m.weightCommitment ? h('tr', {}, h('th', {}, 'Weights commitment'), h('td', { class: 'mono' }, m.weightCommitment)) : null,
          m.vkeyHash ? h('tr', {}, h('th', {}, 'Verification key hash'), h('td', { class: 'mono' }, m.vkeyHash)) : null,
          m.insecureSetup === undefined
            ? null
            : h(
                'tr',
                {},
                h('th', {}, 'Setup'),
                h('td', {}, badge(m.insecureSetup ? 'INSECURE dev setup' : 'ceremony', m.insecureSetup ? 'insecure' : 'secure')),
              ),
          m.error ? h('tr', {}, h('th', {}, 'Error'), h('td', { class: 'error' }, `${m.error.code}: ${m.error.message}`)) : null,
        ),
      ),
    );
  };

  const prove = async () => {
    if (!model) return;
    const values = input.value
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    if (values.length === 0 || values.some((v) => !Number.isFinite(v))) {
      replace(proveStatus, h('p', { class: 'error' }, 'the input must be numbers, comma separated'));
      return;
    }
    proveButton.disabled = true;
    try {
      const accepted = await client().proveModel(model.id, { input: values });
      const done = await client().watchJob(accepted.jobId, (j) => replace(proveStatus, jobLine(j)));
      replace(proveStatus, jobLine(done));
      if (done.state !== 'succeeded') return;
      const bundle = await client().bundle(done.id);
      const url = URL.createObjectURL(new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/json' }));
      proveStatus.append(
        h(
          'p',
          {},
          h('a', { href: url, download: `${model.name}-${done.id}.bundle.json`, id: 'download-bundle' }, 'Download the proof bundle'),
          ' ',
          h(
            'button',
            {
              class: 'secondary',
              id: 'verify-bundle',
              onclick: () => {
                handOverBundle(bundle);
                navigate('verify');
              },
            },
            'Verify it in this browser',
          ),
        ),
      );
    } catch (err) {
      replace(proveStatus, h('p', { class: 'error' }, errorText(err)));
    } finally {
      proveButton.disabled = false;
    }
  };
  proveButton.addEventListener('click', () => void prove());

  replace(
    root,
    h('h1', {}, 'Provider'),
    h(
      'p',
      { class: 'lead' },
      'Upload an ONNX model with calibration rows; the service quantizes it, compiles a circuit and runs its setup. Then prove inferences.',
    ),
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'row' },
        h('div', {}, h('label', { for: 'onnx-file' }, 'ONNX model'), onnx),
        h('div', {}, h('label', { for: 'csv-file' }, 'Calibration CSV (one column per input value, optional label)'), csv),
      ),
      h(
        'div',
        { class: 'row' },
        h('div', {}, h('label', { for: 'model-name' }, 'Name'), name),
        h('div', {}, h('label', { for: 'weights' }, 'Weights'), weights),
      ),
      h('button', { id: 'upload', onclick: () => void upload() }, 'Upload and compile'),
      compileStatus,
      modelInfo,
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Prove an inference'),
      h('label', { for: 'prove-input' }, 'Input'),
      input,
      proveButton,
      proveStatus,
    ),
  );
}
