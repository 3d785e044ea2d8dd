// The dashboard's client-side router: one view per hash route, plain ES modules, no build step.
import { h, mount, announce } from './dom.js';
import { actionsList } from './actions-list.js';
import { actionEditor } from './action-editor.js';
import { flows } from './flows.js';
import { logs } from './logs.js';
import { logEntry } from './log-entry.js';
import { users } from './users.js';
import { userPage } from './user.js';
import { applications, application } from './applications.js';
import { apis, apiPage } from './apis.js';
import { roles, role } from './roles.js';

/// Section → [list view (gets the hash's query), item view (gets the decoded id)].
const sections = {
  logs: [logs, logEntry],
  users: [users, userPage],
  applications: [applications, application],
  apis: [apis, apiPage],
  roles: [roles, role],
};

let leaveGuard = null;
/// A view with unsaved changes registers a guard; navigation asks it first.
export function setLeaveGuard(guard) { leaveGuard = guard; }

async function route() {
  const [hash, search] = (location.hash.replace(/^#\/?/, '') || 'actions').split('?');
  const [section, id, tab] = hash.split('/');
  const params = new URLSearchParams(search ?? '');
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
    else if (sections[section] && id) await sections[section][1](decodeURIComponent(id));
    else if (sections[section]) await sections[section][0](params);
    else mount(h('h1', {}, 'Not found'), h('p', {}, 'There is no such page.'));
  } catch (error) {
    mount(h('h1', {}, 'Something went wrong'), h('p', { class: 'error', role: 'alert' }, String(error?.message ?? error)));
  }
  // When this view had its data and was drawn (scripts/bench-dashboard reads it).
  performance.mark('gatehouse:rendered', { detail: section });
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
