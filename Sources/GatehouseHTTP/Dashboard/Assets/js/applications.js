// Applications: the list, and one application's common fields (PATCH), its secret rotated
// (the new value shown once, here only) and its client grants.
import { api, get } from './api.js';
import { h, mount } from './dom.js';
import { attempt, facts, field, input, linesArea, linesOf } from './forms.js';

const listOf = (answer, key) => (Array.isArray(answer) ? answer : answer?.[key] ?? []);
const grantTypes = ['authorization_code', 'implicit', 'refresh_token', 'client_credentials', 'password',
  'http://auth0.com/oauth/grant-type/password-realm', 'http://auth0.com/oauth/grant-type/mfa-otp',
  'http://auth0.com/oauth/grant-type/mfa-oob', 'http://auth0.com/oauth/grant-type/mfa-recovery-code'];
const appTypes = { regular_web: 'Regular web application', spa: 'Single-page application', native: 'Native', non_interactive: 'Machine to machine' };

export async function applications() {
  const clients = listOf(await get('/clients?per_page=100'), 'clients');
  mount(h('h1', {}, 'Applications'), clients.length === 0 ? h('p', { class: 'empty' }, 'No applications.') : h('table', { class: 'list' },
    h('caption', { class: 'visually-hidden' }, 'Applications'),
    h('thead', {}, h('tr', {}, ['Name', 'Type', 'Client ID'].map((text) => h('th', { scope: 'col' }, text)))),
    h('tbody', {}, clients.map((client) => h('tr', { 'data-client': client.name },
      h('td', {}, h('a', { href: `#/applications/${encodeURIComponent(client.client_id)}` }, client.name)),
      h('td', {}, appTypes[client.app_type] ?? client.app_type ?? '—'), h('td', {}, h('code', {}, client.client_id)))))));
}

export async function application(id) {
  const path = `/clients/${encodeURIComponent(id)}`;
  const [client, grants, servers] = await Promise.all([
    get(path), get(`/client-grants?client_id=${encodeURIComponent(id)}&per_page=100`), get('/resource-servers?per_page=100'),
  ]);
  const name = input('app-name', client.name, { required: true, maxlength: 128 });
  const description = input('app-description', client.description);
  const callbacks = linesArea('app-callbacks', client.callbacks);
  const logoutUrls = linesArea('app-logout-urls', client.allowed_logout_urls);
  const origins = linesArea('app-web-origins', client.web_origins, 3);
  const checks = grantTypes.concat((client.grant_types ?? []).filter((type) => !grantTypes.includes(type))).map((type, index) =>
    h('div', { class: 'field checkbox' }, h('input', { type: 'checkbox', id: `grant-${index}`, value: type, checked: (client.grant_types ?? []).includes(type) }),
      h('label', { for: `grant-${index}` }, type)));
  const form = h('form', { class: 'edit', 'aria-labelledby': 'settings-heading', onsubmit: async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), description: description.value, callbacks: linesOf(callbacks),
      allowed_logout_urls: linesOf(logoutUrls), web_origins: linesOf(origins),
      grant_types: checks.map((check) => check.querySelector('input')).filter((box) => box.checked).map((box) => box.value) };
    const saved = await attempt(() => api('PATCH', path, body), 'Saved the application.', 'Could not save the application');
    if (saved) document.querySelector('main h1').textContent = saved.name;
  } },
  h('h2', { id: 'settings-heading' }, 'Settings'),
  field('Name', name), field('Description', description),
  field('Allowed callback URLs', callbacks, 'One URL a line.'), field('Allowed logout URLs', logoutUrls, 'One URL a line.'),
  field('Allowed web origins', origins, 'One origin a line.'),
  h('fieldset', {}, h('legend', {}, 'Grant types'), checks),
  h('button', { type: 'submit', class: 'primary', id: 'save-application' }, 'Save'));

  const secretSlot = h('div', { id: 'new-secret', 'aria-live': 'polite' });
  const secret = client.token_endpoint_auth_method === 'none' || client.app_type === 'spa' || client.app_type === 'native'
    ? h('p', { class: 'hint' }, 'A public application: it has no secret.')
    : h('div', {}, h('p', { class: 'hint' }, 'Rotating makes a new secret at once; the old one stops working. The new one is shown here once.'),
      h('button', { type: 'button', class: 'danger', id: 'rotate-secret', onclick: () => rotate(client, path, secretSlot) }, 'Rotate secret'),
      secretSlot);

  mount(h('p', {}, h('a', { href: '#/applications' }, '← Applications')), h('h1', {}, client.name),
    facts([['Client ID', h('code', {}, client.client_id)], ['Type', appTypes[client.app_type] ?? client.app_type],
      ['Token endpoint authentication', client.token_endpoint_auth_method]]),
    form, h('section', { 'aria-labelledby': 'secret-heading' }, h('h2', { id: 'secret-heading' }, 'Client secret'), secret),
    grantsSection(client, listOf(grants, 'client_grants'), listOf(servers, 'resource_servers')));
}

async function rotate(client, path, slot) {
  if (!confirm(`Rotate the secret of ${client.name}? Whatever uses the current secret stops working until it has the new one.`)) return;
  const rotated = await attempt(() => api('POST', `${path}/rotate-secret`), 'Rotated the secret: copy the new one now.', 'Could not rotate the secret');
  if (!rotated) return;
  const value = h('input', { id: 'secret-value', readonly: true, value: rotated.client_secret, size: 48, class: 'secret' });
  slot.replaceChildren(field('New client secret (shown once)', value, 'It is not shown again: leaving this page forgets it.'));
  value.focus();
  value.select();
}

function grantsSection(client, grants, servers) {
  const name = (audience) => servers.find((server) => server.identifier === audience)?.name ?? audience;
  const rows = grants.map((grant) => {
    const scopes = h('input', { id: `grant-scope-${grant.id}`, value: (grant.scope ?? []).join(' '), size: 40 });
    return h('li', { 'data-audience': grant.audience },
      h('label', { for: scopes.id }, `${name(grant.audience)} — scopes (space-separated)`), scopes,
      h('button', { type: 'button', class: 'small', onclick: () => attempt(() => api('PATCH', `/client-grants/${encodeURIComponent(grant.id)}`,
        { scope: scopes.value.split(/\s+/).filter(Boolean) }), `Saved the grant for ${name(grant.audience)}.`, 'Could not save the grant') }, 'Save'),
      h('button', { type: 'button', class: 'small danger', onclick: async () => {
        if (!confirm(`Remove the grant for ${name(grant.audience)}?`)) return;
        if (await attempt(() => api('DELETE', `/client-grants/${encodeURIComponent(grant.id)}`).then(() => true), 'Removed the grant.', 'Could not remove the grant')) {
          await application(client.client_id);
        }
      } }, 'Remove'));
  });
  const free = servers.filter((server) => !grants.some((grant) => grant.audience === server.identifier));
  const audience = h('select', { id: 'new-grant-audience' }, free.map((server) => h('option', { value: server.identifier }, server.name)));
  const add = free.length === 0 ? null : h('form', { class: 'inline-form', onsubmit: async (event) => {
    event.preventDefault();
    if (await attempt(() => api('POST', '/client-grants', { client_id: client.client_id, audience: audience.value, scope: [] }),
      'Added the grant: now give it scopes.', 'Could not add the grant')) await application(client.client_id);
  } }, h('label', { for: 'new-grant-audience' }, 'API'), audience, h('button', { type: 'submit' }, 'Grant access'));
  return h('section', { 'aria-labelledby': 'grants-heading' }, h('h2', { id: 'grants-heading' }, 'Client grants (machine-to-machine access)'),
    rows.length ? h('ul', { class: 'plain-list grants' }, rows) : h('p', { class: 'empty' }, 'No client grants.'), add);
}

