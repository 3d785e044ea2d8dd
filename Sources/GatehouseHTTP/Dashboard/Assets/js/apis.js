// APIs (resource servers): the list, and one API's name and scopes edited (one PATCH).
import { api, get } from './api.js';
import { h, mount, announce } from './dom.js';
import { attempt, facts, field, input } from './forms.js';

const listOf = (answer, key) => (Array.isArray(answer) ? answer : answer?.[key] ?? []);

export async function apis() {
  const servers = listOf(await get('/resource-servers?per_page=100'), 'resource_servers');
  mount(h('h1', {}, 'APIs'), h('table', { class: 'list' }, h('caption', { class: 'visually-hidden' }, 'APIs'),
    h('thead', {}, h('tr', {}, ['Name', 'Identifier (audience)', 'Scopes'].map((text) => h('th', { scope: 'col' }, text)))),
    h('tbody', {}, servers.map((server) => h('tr', { 'data-api': server.name },
      h('td', {}, h('a', { href: `#/apis/${encodeURIComponent(server.id)}` }, server.name), server.is_system ? h('span', { class: 'badge' }, 'System') : null),
      h('td', {}, h('code', {}, server.identifier)), h('td', {}, String(server.scopes?.length ?? 0)))))));
}

export async function apiPage(id) {
  const path = `/resource-servers/${encodeURIComponent(id)}`;
  const server = await get(path);
  const scopes = (server.scopes ?? []).map((scope) => ({ ...scope }));
  const name = input('api-name', server.name, { required: true, disabled: server.is_system });
  const rows = h('tbody', {});
  const draw = () => rows.replaceChildren(...scopes.map((scope, index) => h('tr', { 'data-scope': scope.value },
    h('td', {}, h('code', {}, scope.value)),
    h('td', {}, h('label', { class: 'visually-hidden', for: `scope-description-${index}` }, `Description of ${scope.value}`),
      h('input', { id: `scope-description-${index}`, value: scope.description ?? '', disabled: server.is_system,
        oninput: (event) => { scope.description = event.target.value; } })),
    h('td', {}, server.is_system ? null : h('button', { type: 'button', class: 'small danger', onclick: () => {
      scopes.splice(index, 1); draw(); announce(`Removed ${scope.value} (not saved yet).`);
    } }, 'Remove', h('span', { class: 'visually-hidden' }, ` ${scope.value}`))))));
  draw();
  const newValue = input('new-scope', '', { placeholder: 'read:things', pattern: '\\S+' });
  const newDescription = input('new-scope-description', '', { placeholder: 'Read the things' });
  const addForm = server.is_system ? null : h('form', { class: 'inline-form', onsubmit: (event) => {
    event.preventDefault();
    const value = newValue.value.trim();
    if (!value) return;
    if (scopes.some((scope) => scope.value === value)) { announce(`${value} is already a scope of this API.`, 'error'); return; }
    scopes.push({ value, description: newDescription.value.trim() });
    newValue.value = ''; newDescription.value = '';
    draw(); announce(`Added ${value} (not saved yet).`); newValue.focus();
  } }, h('label', { for: 'new-scope' }, 'Scope'), newValue, h('label', { for: 'new-scope-description' }, 'Description'), newDescription,
  h('button', { type: 'submit' }, 'Add scope'));
  const save = async () => {
    const saved = await attempt(() => api('PATCH', path, { name: name.value.trim(), scopes }), 'Saved the API.', 'Could not save the API');
    if (saved) document.querySelector('main h1').textContent = saved.name;
  };
  mount(h('p', {}, h('a', { href: '#/apis' }, '← APIs')), h('h1', {}, server.name),
    facts([['Identifier (audience)', h('code', {}, server.identifier)], ['Token lifetime', `${server.token_lifetime ?? '—'} s`],
      ['Signing algorithm', server.signing_alg], ['RBAC', server.enforce_policies ? 'enforced' : 'off']]),
    server.is_system ? h('p', { class: 'notice' }, 'The Management API is built in: its name and scopes cannot be changed.') : null,
    field('Name', name),
    h('h2', { id: 'scopes-heading' }, 'Scopes'),
    h('table', { class: 'list scopes', 'aria-labelledby': 'scopes-heading' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Scope'), h('th', { scope: 'col' }, 'Description'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Remove')))),
      rows),
    addForm,
    server.is_system ? null : h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'primary', id: 'save-api', onclick: save }, 'Save')));
}
