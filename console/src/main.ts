/** The console's entry: a hash router over the three pages (#/verify, #/dashboard, #/provider). */
import { dashboardPage } from './dashboard.ts';
import { h, replace } from './dom.ts';
import { providerPage } from './provider.ts';
import { verifyPage } from './verify-page.ts';

const PAGES = ['verify', 'dashboard', 'provider'] as const;
type Page = (typeof PAGES)[number];

let generation = 0;

function currentPage(): Page {
  const name = location.hash.replace(/^#\/?/, '');
  return (PAGES as readonly string[]).includes(name) ? (name as Page) : 'verify';
}

function navigate(page: string): void {
  location.hash = `#/${page}`;
}

function render(): void {
  const root = document.getElementById('app');
  if (!root) return;
  const page = currentPage();
  const mine = ++generation;
  // A page's refresh loop stops once another page (or a new render of it) replaced it.
  const isCurrent = () => generation === mine;
  for (const a of document.querySelectorAll('nav a[data-page]')) a.classList.toggle('active', a.getAttribute('data-page') === page);
  try {
    if (page === 'verify') verifyPage(root);
    else if (page === 'dashboard') dashboardPage(root, isCurrent);
    else providerPage(root, navigate);
  } catch (err) {
    replace(root, h('p', { class: 'error' }, String(err)));
  }
}

window.addEventListener('hashchange', render);
render();
