// One user: profile, block/unblock, app_metadata and user_metadata edited as JSON (one PATCH),
// roles assigned and removed, MFA enrolments, and delete with confirmation.
import { api, get } from './api.js';
import { h, mount, announce, when } from './dom.js';
import { attempt, facts, jsonArea, parseJSONArea } from './forms.js';

const path = (id) => `/users/${encodeURIComponent(id)}`;

export async function userPage(id) {
  const [user, roles, allRoles, methods] = await Promise.all([
    get(path(id)), get(`${path(id)}/roles`), get('/roles?per_page=100'),
    get(`${path(id)}/authentication-methods`).catch(() => null),
  ]);
  const assigned = Array.isArray(roles) ? roles : roles.roles ?? [];
  const everyRole = Array.isArray(allRoles) ? allRoles : allRoles.roles ?? [];
  mount(h('p', {}, h('a', { href: '#/users' }, '← Users')),
    h('div', { class: 'title-row' }, h('h1', {}, user.email ?? user.username ?? user.user_id),
      user.blocked ? h('span', { class: 'badge badge-failed', id: 'blocked-badge' }, 'Blocked') : null),
    facts([['User ID', user.user_id], ['Name', user.name], ['E-mail verified', user.email ? (user.email_verified ? 'yes' : 'no') : undefined],
      ['Connection', user.identities?.[0]?.connection], ['Created', when(user.created_at)], ['Last login', when(user.last_login)],
      ['Logins', String(user.logins_count ?? 0)], ['Last IP', user.last_ip]]),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', id: 'toggle-block', class: user.blocked ? 'primary' : 'danger', onclick: () => setBlocked(user, !user.blocked) },
        user.blocked ? 'Unblock' : 'Block'),
      h('button', { type: 'button', id: 'delete-user', class: 'danger', onclick: () => remove(user) }, 'Delete user')),
    metadataSection(user), rolesSection(user, assigned, everyRole), mfaSection(user, methods));
}

async function setBlocked(user, blocked) {
  const done = await attempt(() => api('PATCH', path(user.user_id), { blocked }),
    blocked ? `Blocked ${user.email ?? user.user_id}: they cannot log in.` : `Unblocked ${user.email ?? user.user_id}.`,
    blocked ? 'Could not block' : 'Could not unblock');
  if (done) { await userPage(user.user_id); document.getElementById('toggle-block')?.focus(); }
}

async function remove(user) {
  if (!confirm(`Delete ${user.email ?? user.user_id}? This cannot be undone.`)) return;
  if (await attempt(() => api('DELETE', path(user.user_id)).then(() => true), `Deleted ${user.email ?? user.user_id}.`, 'Could not delete')) {
    location.hash = '#/users';
  }
}

function metadataSection(user) {
  const app = jsonArea('app-metadata', user.app_metadata);
  const own = jsonArea('user-metadata', user.user_metadata);
  return h('form', { class: 'panel-section', 'aria-labelledby': 'metadata-heading', onsubmit: async (event) => {
    event.preventDefault();
    let patch;
    try {
      patch = { app_metadata: withRemovals(user.app_metadata, parseJSONArea(app, 'app_metadata')),
        user_metadata: withRemovals(user.user_metadata, parseJSONArea(own, 'user_metadata')) };
    } catch (error) { announce(error.message, 'error'); return; }
    const saved = await attempt(() => api('PATCH', path(user.user_id), patch), 'Saved the metadata.', 'Could not save the metadata');
    if (saved) { user.app_metadata = saved.app_metadata; user.user_metadata = saved.user_metadata; }
  } },
  h('h2', { id: 'metadata-heading' }, 'Metadata'),
  h('p', { class: 'hint' }, 'Saved with one PATCH; a key you delete here is removed.'),
  h('div', { class: 'two-columns' },
    h('div', { class: 'field' }, h('label', { for: 'app-metadata' }, 'app_metadata (JSON)'), app),
    h('div', { class: 'field' }, h('label', { for: 'user-metadata' }, 'user_metadata (JSON)'), own)),
  h('button', { type: 'submit', class: 'primary', id: 'save-metadata' }, 'Save metadata'));
}

/// The Management API merges metadata at the top level; a key gone from the editor is sent as null.
function withRemovals(before, after) {
  const patch = { ...after };
  for (const key of Object.keys(before ?? {})) if (!(key in after)) patch[key] = null;
  return patch;
}

function rolesSection(user, assigned, everyRole) {
  const unassigned = everyRole.filter((role) => !assigned.some((mine) => mine.id === role.id));
  const select = h('select', { id: 'assign-role' }, unassigned.map((role) => h('option', { value: role.id }, role.name)));
  const change = async (method, role, text) => {
    if (await attempt(() => api(method, `${path(user.user_id)}/roles`, { roles: [role] }).then(() => true), text, 'Could not change the roles')) {
      await userPage(user.user_id);
      document.getElementById('assign-role')?.focus();
    }
  };
  return h('section', { 'aria-labelledby': 'roles-heading' }, h('h2', { id: 'roles-heading' }, 'Roles'),
    assigned.length === 0 ? h('p', { class: 'empty' }, 'No roles.') : h('ul', { class: 'plain-list', id: 'user-roles' },
      assigned.map((role) => h('li', { 'data-role': role.name }, h('a', { href: `#/roles/${encodeURIComponent(role.id)}` }, role.name),
        h('button', { type: 'button', class: 'small danger', onclick: () => change('DELETE', role.id, `Removed the role ${role.name}.`) },
          'Remove', h('span', { class: 'visually-hidden' }, ` ${role.name}`))))),
    unassigned.length === 0 ? null : h('form', { class: 'inline-form', onsubmit: (event) => {
      event.preventDefault();
      const role = unassigned.find((item) => item.id === select.value);
      if (role) change('POST', role.id, `Assigned the role ${role.name}.`);
    } }, h('label', { for: 'assign-role' }, 'Role'), select, h('button', { type: 'submit' }, 'Assign')));
}

function mfaSection(user, methods) {
  const list = methods?.authenticators ?? (Array.isArray(methods) ? methods : null);
  const remove = async (method) => {
    if (!confirm(`Remove this ${method.type} authenticator? The user enrols again at their next MFA login.`)) return;
    if (await attempt(() => api('DELETE', `${path(user.user_id)}/authentication-methods/${encodeURIComponent(method.id)}`).then(() => true),
      `Removed the ${method.type} authenticator.`, 'Could not remove it')) await userPage(user.user_id);
  };
  return h('section', { 'aria-labelledby': 'mfa-heading' }, h('h2', { id: 'mfa-heading' }, 'MFA enrolments'),
    list === null ? h('p', { class: 'hint' }, 'The enrolments could not be read.')
      : list.length === 0 ? h('p', { class: 'empty' }, 'No authenticator enrolled.')
        : h('table', { class: 'list' }, h('caption', { class: 'visually-hidden' }, 'Authenticators'),
          h('thead', {}, h('tr', {}, ['Type', 'Name', 'State', 'Enrolled', 'Last used', ''].map((text) => h('th', { scope: 'col' }, text)))),
          h('tbody', {}, list.map((method) => h('tr', {},
            h('td', {}, method.type), h('td', {}, method.name ?? '—'), h('td', {}, method.confirmed ? 'Confirmed' : 'Pending'),
            h('td', {}, when(method.enrolled_at ?? method.created_at)), h('td', {}, when(method.last_auth_at)),
            h('td', {}, h('button', { type: 'button', class: 'small danger', onclick: () => remove(method) }, 'Remove',
              h('span', { class: 'visually-hidden' }, ` ${method.type} authenticator`))))))));
}
