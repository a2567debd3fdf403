/**
 * A small DOM builder. Text is always set with text nodes (never innerHTML): bundles, model names and error messages
 * are untrusted, and the Content-Security-Policy forbids inline script anyway.
 */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replace an element's content. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A job's phase as shown: with the step within it where the phase has steps (a compile's setup: "setup · zkey"). */
export function phaseLabel(phase: string | undefined, step: string | undefined): string {
  return step && phase ? `${phase} · ${step}` : (phase ?? '');
}

/** A progress bar for a percentage (undefined: indeterminate, shown empty). */
export function progressBar(percent: number | undefined): HTMLElement {
  const bar = h('div');
  // Through the CSSOM: a style attribute would be inline style, which the Content-Security-Policy refuses.
  bar.style.width = `${Math.max(0, Math.min(100, percent ?? 0)).toFixed(0)}%`;
  return h('div', { class: 'progress', role: 'progressbar', 'aria-valuenow': percent === undefined ? undefined : percent.toFixed(0) }, bar);
}

export function badge(text: string, cls: string): HTMLElement {
  return h('span', { class: `badge ${cls}` }, text);
}

/** Short form of a long hex or decimal for tables (the full value in the title). */
export function short(v: string, keep = 10): HTMLElement {
  return h('span', { class: 'mono', title: v }, v.length > 2 * keep + 1 ? `${v.slice(0, keep)}…${v.slice(-6)}` : v);
}
