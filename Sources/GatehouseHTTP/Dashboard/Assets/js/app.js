// The dashboard's client-side router: one view per hash route, plain ES modules, no build step.
import { h, mount, announce } from './dom.js';
import { actionsList } from './actions-list.js';
import { actionEditor } from './action-editor.js';
import { flows } from './flows.js';

const placeholders = {
  logs: 'Tenant logs and the Actions executions of each entry',
  users: 'Users: search, metadata, roles, blocks and MFA enrolments',
  applications: 'Applications: callbacks, grants and secrets',
  apis: 'APIs and their scopes',
  roles: 'Roles and their permissions',
};

let leaveGuard = null;
/// A view with unsaved changes registers a guard; navigation asks it first.
export function setLeaveGuard(guard) { leaveGuard = guard; }

async function route() {
  const hash = location.hash.replace(/^#\/?/, '') || 'actions';
  const [section, id, tab] = hash.split('/');
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.getElementById('nav').classList.remove('open');
  leaveGuard = null;
  try {
    if (section === 'actions' && id) await actionEditor(decodeURIComponent(id), tab || 'code');
    else if (section === 'actions') await actionsList();
    else if (section === 'flows') await flows();
    else if (placeholders[section]) {
      mount(h('h1', {}, section[0].toUpperCase() + section.slice(1)), h('p', { class: 'placeholder' }, `${placeholders[section]}: coming soon.`));
    } else mount(h('h1', {}, 'Not found'), h('p', {}, 'There is no such page.'));
  } catch (error) {
    mount(h('h1', {}, 'Something went wrong'), h('p', { class: 'error' }, String(error?.message ?? error)));
  }
  const heading = document.querySelector('main h1');
  document.title = `${heading?.textContent ?? 'Dashboard'} · Gatehouse`;
  document.getElementById('main').focus({ preventScroll: true });
}

let current = location.hash;
window.addEventListener('hashchange', (event) => {
  if (leaveGuard && !leaveGuard()) {
    history.replaceState(null, '', current);
    return;
  }
  current = location.hash;
  route();
});

document.addEventListener('gatehouse:signed-out', () => {
  announce('Your session has ended. Sign in again to go on (your unsaved code is still in the editor).', 'error');
  const status = document.getElementById('status');
  status.append(' ', h('a', { href: '/dashboard/login', target: '_blank', rel: 'noopener' }, 'Sign in'));
});

const toggle = document.querySelector('.nav-toggle');
toggle.addEventListener('click', () => {
  const nav = document.getElementById('nav');
  const open = nav.classList.toggle('open');
  toggle.setAttribute('aria-expanded', String(open));
});

route();
