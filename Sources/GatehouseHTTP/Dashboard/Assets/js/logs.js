// Tenant logs: filters by type, user, client and time (turned into a `q` search for
// GET /api/v2/logs) plus a free `q`, newest first, 50 a page; each entry links to its details.
import { get } from './api.js';
import { h, mount, when } from './dom.js';
import { field, input, pager, quoted, hashWith } from './forms.js';

export const logTypes = {
  s: 'Successful login', f: 'Failed login', fp: 'Wrong password', limit_wc: 'Too many attempts',
  ss: 'Successful sign-up', fs: 'Failed sign-up', seacft: 'Code exchanged for tokens', feacft: 'Code exchange failed',
  sepft: 'Password grant', fepft: 'Password grant failed', seccft: 'Client credentials', feccft: 'Client credentials failed',
  srrt: 'Refresh token revoked', slo: 'Logout', sapi: 'Management API call', fapi: 'Management API call failed',
  actions_execution_failed: 'Action failed',
};

const perPage = 50;

/// The entries of the last page shown, so that opening one needs no second search.
export const shownEntries = new Map();

/// The `q` the filters stand for: every filled-in filter must hold (AND).
export function logQuery(filters) {
  const parts = [];
  if (filters.type) parts.push(`type:${quoted(filters.type)}`);
  if (filters.user) parts.push(filters.user.includes('@') && !filters.user.includes('|')
    ? `user_name:${quoted(filters.user)}` : `user_id:${quoted(filters.user)}`);
  if (filters.client) parts.push(`client_id:${quoted(filters.client)}`);
  if (filters.from || filters.to) {
    const bound = (value) => (value ? quoted(new Date(value).toISOString()) : '*');
    parts.push(`date:[${bound(filters.from)} TO ${bound(filters.to)}]`);
  }
  if (filters.q) parts.push(parts.length ? `(${filters.q})` : filters.q);
  return parts.join(' AND ');
}

export async function logs(params) {
  const filters = Object.fromEntries(['type', 'user', 'client', 'from', 'to', 'q'].map((key) => [key, params.get(key) ?? '']));
  const page = Math.max(0, Number(params.get('page') ?? 0) || 0);
  const query = logQuery(filters);
  const form = filterForm(filters);
  mount(h('h1', {}, 'Logs'), form, h('p', { class: 'hint', id: 'log-query' }, query ? `Search: ${query}` : 'All events, newest first.'),
    h('p', {}, 'Loading…'));
  const search = new URLSearchParams({ page: String(page), per_page: String(perPage), include_totals: 'true' });
  if (query) search.set('q', query);
  let result;
  try {
    result = await get(`/logs?${search}`);
  } catch (error) {
    document.querySelector('main > p:last-child').replaceWith(h('p', { class: 'error', role: 'alert' }, `The logs could not be searched: ${error.message}`));
    return;
  }
  const entries = result.logs ?? [];
  shownEntries.clear();
  for (const entry of entries) shownEntries.set(entry.log_id, entry);
  const table = entries.length === 0 ? h('p', { class: 'empty' }, 'No log events match.') : h('table', { class: 'list logs' },
    h('caption', { class: 'visually-hidden' }, 'Log events'),
    h('thead', {}, h('tr', {}, ['When', 'Type', 'Description', 'User', 'Application'].map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, entries.map((entry) => h('tr', { 'data-log': entry.log_id, 'data-type': entry.type },
      h('td', {}, h('a', { href: `#/logs/${encodeURIComponent(entry.log_id)}` }, when(entry.date))),
      h('td', {}, h('span', { class: `badge log-${entry.type?.[0] === 's' ? 'ok' : 'bad'}`, title: logTypes[entry.type] ?? '' }, entry.type)),
      h('td', {}, entry.description, executionCount(entry)),
      h('td', {}, entry.user_name ?? entry.user_id ?? '—'),
      h('td', {}, entry.client_name ?? entry.client_id ?? '—')))));
  document.querySelector('main > p:last-child').replaceWith(table,
    pager(page, perPage, result.total, (to) => hashWith('logs', { ...filters, page: to })));
}

function executionCount(entry) {
  const count = entry.details?.actions?.executions?.length ?? 0;
  return count ? h('span', { class: 'badge badge-deployed' }, count === 1 ? ' 1 execution' : ` ${count} executions`) : null;
}

function filterForm(filters) {
  const type = h('select', { id: 'log-type', name: 'type' }, h('option', { value: '' }, 'Any type'),
    Object.entries(logTypes).map(([code, text]) => h('option', { value: code, selected: filters.type === code }, `${text} (${code})`)));
  const user = input('log-user', filters.user, { placeholder: 'auth0|… or e-mail' });
  const client = input('log-client', filters.client, { placeholder: 'client ID' });
  const from = input('log-from', filters.from, { type: 'datetime-local' });
  const to = input('log-to', filters.to, { type: 'datetime-local' });
  const q = input('log-q', filters.q, { type: 'search', placeholder: 'e.g. description:"Successful login" OR ip:10.0.*' });
  return h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the logs', onsubmit: (event) => {
    event.preventDefault();
    location.hash = hashWith('logs', { type: type.value, user: user.value.trim(), client: client.value.trim(), from: from.value, to: to.value, q: q.value.trim() });
  } },
  field('Type', type), field('User', user), field('Application', client), field('From', from), field('To', to),
  h('div', { class: 'field wide' }, h('label', { for: 'log-q' }, 'Search (q)'), q),
  h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Search'),
    h('a', { href: '#/logs', class: 'button secondary' }, 'Clear')));
}
