/**
 * Dashboard: this tenant's datasets, models and jobs, through the API with the tab's key (the API enforces tenancy:
 * another tenant's rows are never sent). Jobs refresh every second while the page is open, so a running job's phase
 * and progress move on screen.
 */
import type { ChainInfo, Job, Model } from '../../client/index.ts';
import { chainActivity, formatWei } from './chain-activity.ts';
import { badge, errorText, h, phaseLabel, progressBar, replace, short } from './dom.ts';
import { apiKey, client, setApiKey } from './session.ts';

const REFRESH_MS = 1000;

export function loginForm(onLogin: () => void): HTMLElement {
  const input = h('input', { type: 'password', id: 'api-key', placeholder: 'zkai_…', autocomplete: 'off' });
  const message = h('p', { class: 'error' });
  const submit = async () => {
    const key = input.value.trim();
    if (!key) return;
    setApiKey(key);
    try {
      await client().listJobs({ limit: 1 }); // checks the key
      onLogin();
    } catch (err) {
      setApiKey(undefined);
      replace(message, errorText(err));
    }
  };
  return h(
    'section',
    { class: 'card' },
    h('label', { for: 'api-key' }, 'API key (kept in this tab only: sessionStorage)'),
    input,
    h('button', { id: 'login', onclick: () => void submit() }, 'Sign in'),
    message,
    h('p', { class: 'muted' }, 'Make one with: zkai admin key create --tenant <name> (npm start prints the first one).'),
  );
}

function signedIn(onLogout: () => void): HTMLElement {
  const key = apiKey() ?? '';
  return h(
    'p',
    { class: 'muted' },
    `Signed in with ${key.slice(0, 9)}…  `,
    h('button', { class: 'secondary', id: 'logout', onclick: onLogout }, 'Sign out'),
  );
}

function modelOps(m: Model): string {
  const counts = new Map<string, number>();
  for (const l of m.constraints?.perLayer ?? []) counts.set(l.kind, (counts.get(l.kind) ?? 0) + 1);
  return [...counts].map(([k, n]) => (n > 1 ? `${k}×${n}` : k)).join(', ');
}

export function jobRow(j: Job): HTMLElement {
  const percent = j.state === 'succeeded' ? 100 : j.progress?.percent;
  return h(
    'tr',
    { 'data-testid': 'job-row', 'data-job-id': j.id, 'data-state': j.state, 'data-phase': j.phase ?? '' },
    h('td', {}, short(j.id, 8)),
    h('td', {}, j.kind),
    h('td', {}, badge(j.state, `state-${j.state}`)),
    h('td', {}, phaseLabel(j.phase, j.state === 'running' ? j.progress?.step : undefined)),
    h('td', {}, progressBar(percent), percent === undefined ? null : h('span', { class: 'muted' }, ` ${percent.toFixed(0)} %`)),
    h(
      'td',
      {},
      j.error ? h('span', { class: 'error' }, `${j.error.code}: ${j.error.message}`) : new Date(j.updatedAt).toLocaleTimeString(),
    ),
  );
}

export function dashboardPage(root: HTMLElement, isCurrent: () => boolean): void {
  if (!apiKey()) {
    replace(
      root,
      h('h1', {}, 'Dashboard'),
      loginForm(() => dashboardPage(root, isCurrent)),
    );
    return;
  }
  const datasets = h('tbody');
  const models = h('tbody');
  const jobs = h('tbody', { id: 'jobs' });
  const status = h('p', { class: 'muted', id: 'dashboard-status' });
  const activity = h('div', { id: 'chain-activity' });
  replace(
    root,
    h('h1', {}, 'Dashboard'),
    signedIn(() => {
      setApiKey(undefined);
      dashboardPage(root, isCurrent);
    }),
    status,
    h('h2', {}, 'Jobs'),
    h(
      'section',
      { class: 'card' },
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ...['Job', 'Kind', 'State', 'Phase', 'Progress', 'Updated'].map((t) => h('th', {}, t)))),
        jobs,
      ),
    ),
    h('h2', {}, 'Models'),
    h(
      'section',
      { class: 'card' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h('tr', {}, ...['Name', 'State', 'Weights', 'Ops', 'Constraints', 'Commitment', 'Setup'].map((t) => h('th', {}, t))),
        ),
        models,
      ),
    ),
    h('h2', {}, 'Chain activity: royalty flows of your datasets, attestations'),
    h('section', { class: 'card' }, activity),
    h('h2', {}, 'Datasets'),
    h(
      'section',
      { class: 'card' },
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ...['Root', 'Records', 'Total weight', 'Depth', 'Committed'].map((t) => h('th', {}, t)))),
        datasets,
      ),
    ),
  );

  const refresh = async () => {
    const c = client();
    const [js, ms, ds] = await Promise.all([c.listJobs({ limit: 50 }), c.listModels(50), c.listDatasets(50)]);
    replace(jobs, ...(js.length ? js.map(jobRow) : [h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No jobs yet'))]));
    replace(
      models,
      ...(ms.length
        ? ms.map((m) =>
            h(
              'tr',
              { 'data-testid': 'model-row', 'data-model-id': m.id, 'data-state': m.state },
              h('td', {}, m.name),
              h('td', {}, badge(m.state, `state-${m.state}`)),
              h('td', {}, m.weights ?? ''),
              h('td', {}, modelOps(m)),
              h('td', {}, m.constraints ? m.constraints.total.toLocaleString('en') : ''),
              h('td', {}, m.weightCommitment ? short(m.weightCommitment) : ''),
              h(
                'td',
                {},
                m.insecureSetup === undefined
                  ? ''
                  : badge(m.insecureSetup ? 'INSECURE dev' : 'ceremony', m.insecureSetup ? 'insecure' : 'secure'),
              ),
            ),
          )
        : [h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No models yet'))]),
    );
    replace(
      datasets,
      ...(ds.length
        ? ds.map((d) =>
            h(
              'tr',
              { 'data-testid': 'dataset-row' },
              h('td', {}, short(d.rootHex)),
              h('td', {}, d.leafCount),
              h('td', {}, d.totalWeight),
              h('td', {}, d.depth),
              h('td', {}, new Date(d.createdAt).toLocaleString()),
            ),
          )
        : [h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No datasets yet'))]),
    );
    replace(status, `Updated ${new Date().toLocaleTimeString()}`);
    await refreshActivity(ds.map((d) => d.rootHex));
  };

  // The chain is asked once per page; without one (ZKAI_CHAIN=off) the section says so.
  let chain: Promise<ChainInfo | undefined> | undefined;
  const refreshActivity = async (roots: string[]) => {
    chain ??= client()
      .chain()
      .catch(() => undefined);
    const info = await chain;
    if (!info) {
      replace(activity, h('p', { class: 'muted' }, 'This service runs without a chain.'));
      return;
    }
    try {
      const rows = await chainActivity(info, roots);
      replace(
        activity,
        h('p', { class: 'muted' }, `${info.url} (chain id ${info.chainId}), read from this browser`),
        rows.length
          ? h(
              'table',
              {},
              h(
                'thead',
                {},
                h('tr', {}, ...['Block', 'Event', 'Root / model', 'Epoch', 'Account', 'Amount / attestation'].map((t) => h('th', {}, t))),
              ),
              h(
                'tbody',
                {},
                ...rows.map((r) =>
                  h(
                    'tr',
                    { 'data-testid': 'chain-row', 'data-event': r.event },
                    h('td', {}, r.block),
                    h('td', {}, r.event),
                    h('td', {}, short(r.subject)),
                    h('td', {}, r.epoch ?? ''),
                    h('td', {}, short(r.account)),
                    h('td', {}, r.amount !== undefined ? formatWei(r.amount) : r.attestationId ? short(r.attestationId) : ''),
                  ),
                ),
              ),
            )
          : h('p', { class: 'muted' }, 'No royalty or attestation events yet.'),
      );
    } catch (err) {
      replace(activity, h('p', { class: 'error' }, `chain: ${errorText(err)}`));
    }
  };
  const loop = async () => {
    if (!isCurrent() || !apiKey()) return;
    try {
      await refresh();
    } catch (err) {
      replace(status, h('span', { class: 'error' }, errorText(err)));
    }
    setTimeout(() => void loop(), REFRESH_MS);
  };
  void loop();
}
