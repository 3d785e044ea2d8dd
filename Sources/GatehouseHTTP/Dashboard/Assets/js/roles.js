// Roles: the list and a create form; one role's name and description (PATCH) and its
// permissions, added from an API's scopes and removed one by one.
import { api, get } from './api.js';
import { h, mount } from './dom.js';
import { attempt, facts, field, input } from './forms.js';

const listOf = (answer, key) => (Array.isArray(answer) ? answer : answer?.[key] ?? []);

export async function roles() {
  const list = listOf(await get('/roles?per_page=100'), 'roles');
  const name = input('new-role-name', '', { required: true, maxlength: 50 });
  const description = input('new-role-description');
  mount(h('h1', {}, 'Roles'),
    list.length === 0 ? h('p', { class: 'empty' }, 'No roles yet.') : h('table', { class: 'list' }, h('caption', { class: 'visually-hidden' }, 'Roles'),
      h('thead', {}, h('tr', {}, ['Name', 'Description'].map((text) => h('th', { scope: 'col' }, text)))),
      h('tbody', {}, list.map((role) => h('tr', { 'data-role': role.name },
        h('td', {}, h('a', { href: `#/roles/${encodeURIComponent(role.id)}` }, role.name)), h('td', {}, role.description ?? ''))))),
    h('form', { class: 'create', onsubmit: async (event) => {
      event.preventDefault();
      const created = await attempt(() => api('POST', '/roles', { name: name.value.trim(), description: description.value.trim() || undefined }),
        (role) => `Created the role ${role.name}.`, 'Could not create the role');
      if (created) location.hash = `#/roles/${encodeURIComponent(created.id)}`;
    } }, h('h2', {}, 'Create a role'), field('Name', name), field('Description', description),
    h('button', { type: 'submit', class: 'primary' }, 'Create')));
}

export async function role(id) {
  const path = `/roles/${encodeURIComponent(id)}`;
  const [record, granted, servers] = await Promise.all([get(path), get(`${path}/permissions?per_page=100`), get('/resource-servers?per_page=100')]);
  const permissions = listOf(granted, 'permissions');
  const apis = listOf(servers, 'resource_servers');
  const name = input('role-name', record.name, { required: true, maxlength: 50 });
  const description = input('role-description', record.description ?? '');
  const reload = async () => { await role(id); };
  const change = async (method, permission, text) => {
    if (await attempt(() => api(method, `${path}/permissions`, { permissions: [permission] }).then(() => true), text, 'Could not change the permissions')) {
      await reload();
      document.getElementById('permission-api')?.focus();
    }
  };
  const apiSelect = h('select', { id: 'permission-api' }, apis.filter((server) => (server.scopes ?? []).length)
    .map((server) => h('option', { value: server.identifier }, server.name)));
  const scopeSelect = h('select', { id: 'permission-scope' });
  const fillScopes = () => {
    const server = apis.find((item) => item.identifier === apiSelect.value);
    const held = new Set(permissions.filter((p) => p.resource_server_identifier === apiSelect.value).map((p) => p.permission_name));
    scopeSelect.replaceChildren(...(server?.scopes ?? []).filter((scope) => !held.has(scope.value))
      .map((scope) => h('option', { value: scope.value }, scope.description && scope.description !== scope.value ? `${scope.value} — ${scope.description}` : scope.value)));
  };
  apiSelect.addEventListener('change', fillScopes);
  fillScopes();
  mount(h('p', {}, h('a', { href: '#/roles' }, '← Roles')), h('h1', {}, record.name), facts([['Role ID', h('code', {}, record.id)]]),
    h('form', { class: 'edit', onsubmit: async (event) => {
      event.preventDefault();
      const saved = await attempt(() => api('PATCH', path, { name: name.value.trim(), description: description.value.trim() }),
        'Saved the role.', 'Could not save the role');
      if (saved) document.querySelector('main h1').textContent = saved.name;
    } }, field('Name', name), field('Description', description), h('button', { type: 'submit', class: 'primary', id: 'save-role' }, 'Save')),
    h('section', { 'aria-labelledby': 'permissions-heading' }, h('h2', { id: 'permissions-heading' }, 'Permissions'),
      permissions.length === 0 ? h('p', { class: 'empty' }, 'No permissions.') : h('table', { class: 'list permissions' },
        h('caption', { class: 'visually-hidden' }, 'Permissions'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Permission'), h('th', { scope: 'col' }, 'API'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Remove')))),
        h('tbody', {}, permissions.map((permission) => h('tr', { 'data-permission': permission.permission_name },
          h('td', {}, h('code', {}, permission.permission_name)),
          h('td', {}, apis.find((server) => server.identifier === permission.resource_server_identifier)?.name ?? permission.resource_server_identifier),
          h('td', {}, h('button', { type: 'button', class: 'small danger', onclick: () => change('DELETE',
            { resource_server_identifier: permission.resource_server_identifier, permission_name: permission.permission_name },
            `Removed ${permission.permission_name}.`) }, 'Remove', h('span', { class: 'visually-hidden' }, ` ${permission.permission_name}`))))))),
      h('form', { class: 'inline-form', onsubmit: (event) => {
        event.preventDefault();
        if (!scopeSelect.value) return;
        change('POST', { resource_server_identifier: apiSelect.value, permission_name: scopeSelect.value }, `Added ${scopeSelect.value}.`);
      } }, h('label', { for: 'permission-api' }, 'API'), apiSelect, h('label', { for: 'permission-scope' }, 'Permission'), scopeSelect,
      h('button', { type: 'submit', id: 'add-permission' }, 'Add permission'))));
}
