// Small building blocks the admin pages share: labelled fields, line lists, JSON text areas,
// a pager, search-query quoting and a "do this, say what happened" wrapper.
import { h, announce, describeError } from './dom.js';

/// A label and its control (the control must have an id), with an optional hint under it.
export function field(label, control, hint) {
  const hintId = hint ? `${control.id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control,
    hint ? h('span', { class: 'hint', id: hintId }, hint) : null);
}

export function input(id, value = '', attributes = {}) {
  return h('input', { id, name: id, value: value ?? '', autocomplete: 'off', ...attributes });
}

/// A text area holding one item a line (callback URLs, grant types, …).
export function linesArea(id, items, rows = 4) {
  const area = h('textarea', { id, name: id, rows, spellcheck: 'false' });
  area.value = (items ?? []).join('\n');
  return area;
}

export const linesOf = (area) => area.value.split('\n').map((line) => line.trim()).filter(Boolean);

/// A text area holding a JSON object; `parseJSONArea` says in words what is wrong with it.
export function jsonArea(id, value, rows = 8) {
  const area = h('textarea', { id, name: id, rows, spellcheck: 'false', class: 'json' });
  area.value = JSON.stringify(value ?? {}, null, 2);
  return area;
}

export function parseJSONArea(area, label) {
  let value;
  try { value = JSON.parse(area.value || '{}'); } catch (error) {
    throw new Error(`${label} is not valid JSON: ${error.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${label} must be a JSON object.`);
  return value;
}

/// Runs `work`, announces `done` (or its result when `done` is a function) or the API's error.
export async function attempt(work, done, failure = 'That did not work') {
  try {
    const result = await work();
    if (done) announce(typeof done === 'function' ? done(result) : done);
    return result;
  } catch (error) {
    announce(`${failure}: ${describeError(error)}`, 'error');
    return undefined;
  }
}

/// Previous/next links for a list answered with include_totals (`start`, `limit`, `total`).
export function pager(page, perPage, total, hrefFor) {
  const pages = Math.max(1, Math.ceil((total ?? 0) / perPage));
  const shown = Math.min(pages, Math.ceil(1000 / perPage));
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    page > 0 ? h('a', { href: hrefFor(page - 1), rel: 'prev' }, '← Newer') : null,
    h('span', {}, `Page ${page + 1} of ${shown}`, total !== undefined ? ` · ${total} in all` : ''),
    page + 1 < shown ? h('a', { href: hrefFor(page + 1), rel: 'next' }, 'Older →') : null);
}

/// A value as a quoted term of the search syntax.
export const quoted = (value) => `"${String(value).replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/// `#/section?key=value…` from a map, dropping empty values.
export function hashWith(section, values) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== '') params.set(key, value);
  const text = params.toString();
  return `#/${section}${text ? `?${text}` : ''}`;
}

/// A read-only definition list of label → value.
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, value]) => value !== undefined && value !== null && value !== '')
    .flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]));
}

export const json = (value) => h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
