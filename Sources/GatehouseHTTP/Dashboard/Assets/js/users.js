// Users: a search (a free `q` plus e-mail, name and "blocked only", turned into a `q` for
// GET /api/v2/users), 50 a page; each user links to their page.
import { get } from './api.js';
import { h, mount, when } from './dom.js';
import { field, input, pager, quoted, hashWith } from './forms.js';

const perPage = 50;

/// A term that keeps the operator's wildcards (`*`) and quotes anything else.
const term = (value) => (/^[^\s"():\\]*\*[^\s"():\\]*$/.test(value) ? value : quoted(value));

export function userQuery(filters) {
  const parts = [];
  if (filters.email) parts.push(`email:${term(filters.email)}`);
  if (filters.name) parts.push(`name:${term(filters.name)}`);
  if (filters.blocked === 'true') parts.push('blocked:true');
  if (filters.q) parts.push(parts.length ? `(${filters.q})` : filters.q);
  return parts.join(' AND ');
}

export async function users(params) {
  const filters = Object.fromEntries(['email', 'name', 'blocked', 'q'].map((key) => [key, params.get(key) ?? '']));
  const page = Math.max(0, Number(params.get('page') ?? 0) || 0);
  const query = userQuery(filters);
  const email = input('user-email', filters.email, { type: 'search', placeholder: 'jane@example.com or *@example.com' });
  const name = input('user-name', filters.name, { type: 'search' });
  const blocked = h('input', { id: 'user-blocked', type: 'checkbox', checked: filters.blocked === 'true' });
  const q = input('user-q', filters.q, { type: 'search', placeholder: 'e.g. app_metadata.plan:gold OR email.domain:example.com' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search users', onsubmit: (event) => {
    event.preventDefault();
    location.hash = hashWith('users', { email: email.value.trim(), name: name.value.trim(), blocked: blocked.checked ? 'true' : '', q: q.value.trim() });
  } },
  field('E-mail', email), field('Name', name),
  h('div', { class: 'field checkbox' }, blocked, h('label', { for: 'user-blocked' }, 'Blocked only')),
  h('div', { class: 'field wide' }, h('label', { for: 'user-q' }, 'Search (q)'), q),
  h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Search'),
    h('a', { href: '#/users', class: 'button secondary' }, 'Clear')));
  const slot = h('p', {}, 'Loading…');
  mount(h('h1', {}, 'Users'), form, h('p', { class: 'hint' }, query ? `Search: ${query}` : 'All users, newest first.'), slot);
  const search = new URLSearchParams({ page: String(page), per_page: String(perPage), include_totals: 'true' });
  if (query) search.set('q', query);
  let result;
  try {
    result = await get(`/users?${search}`);
  } catch (error) {
    slot.replaceWith(h('p', { class: 'error', role: 'alert' }, `The users could not be searched: ${error.message}`));
    return;
  }
  const list = result.users ?? [];
  slot.replaceWith(list.length === 0 ? h('p', { class: 'empty' }, 'No users match.') : h('table', { class: 'list users' },
    h('caption', { class: 'visually-hidden' }, 'Users'),
    h('thead', {}, h('tr', {}, ['User', 'Name', 'Connection', 'Logins', 'Last login'].map((text) => h('th', { scope: 'col' }, text)))),
    h('tbody', {}, list.map((user) => h('tr', { 'data-user': user.user_id },
      h('td', {}, h('a', { href: `#/users/${encodeURIComponent(user.user_id)}` }, user.email ?? user.username ?? user.user_id),
        user.blocked ? h('span', { class: 'badge badge-failed' }, 'Blocked') : null),
      h('td', {}, user.name ?? '—'), h('td', {}, user.identities?.[0]?.connection ?? user.connection ?? '—'),
      h('td', {}, String(user.logins_count ?? 0)), h('td', {}, when(user.last_login)))))),
  pager(page, perPage, result.total, (to) => hashWith('users', { ...filters, page: to })));
}
