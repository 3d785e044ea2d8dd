// One action: the code editor with secrets and dependencies beside it, the test pane and the
// versions (history, diff against the draft, deploy, revert).
import { api, get } from './api.js';
import { h, mount, announce, describeError, when } from './dom.js';
import { badges } from './actions-list.js';
import { codeEditor, loadEditorLibrary } from './code-editor.js';
import { memberTree, hinter } from './completion.js';
import { lineDiff } from './diff.js';
import { setLeaveGuard } from './app.js';

/// Build errors name the line as `actions/code.js:<line>`.
export function errorLines(errors) {
  return (errors ?? []).map((error) => {
    const match = /actions\/code\.js:(\d+)/.exec(error.msg ?? '');
    return { line: match ? Number(match[1]) : null, message: error.msg ?? String(error.id) };
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function actionEditor(id, initialTab) {
  await loadEditorLibrary();
  const path = `/actions/actions/${encodeURIComponent(id)}`;
  let action = await get(path);
  const trigger = action.supported_triggers[0]?.id ?? 'post-login';
  const catalog = await get(`/actions/triggers/${encodeURIComponent(trigger)}/catalog`).catch(() => ({ api: {} }));
  const tree = memberTree(catalog);

  let savedCode = action.code;
  let secretsChanged = false;
  let dependencies = [...(action.dependencies ?? [])];
  let secrets = (action.secrets ?? []).map((secret) => ({ name: secret.name, updated_at: secret.updated_at, value: '' }));
  let editor;

  const dirtyMarker = h('span', { class: 'dirty', hidden: true }, '● Unsaved changes');
  const stateBadges = h('span', {}, badges(action));
  const isDirty = () => editor.getValue() !== savedCode || secretsChanged;
  const refreshDirty = () => {
    const dirty = isDirty();
    dirtyMarker.hidden = !dirty;
    document.title = `${dirty ? '● ' : ''}${action.name} · Gatehouse`;
  };
  const beforeUnload = (event) => { if (isDirty()) { event.preventDefault(); event.returnValue = ''; } };
  window.addEventListener('beforeunload', beforeUnload);
  setLeaveGuard(() => {
    if (isDirty() && !confirm('This action has unsaved changes. Leave and lose them?')) return false;
    window.removeEventListener('beforeunload', beforeUnload);
    return true;
  });

  const errorList = h('ul', { class: 'build-errors', 'aria-label': 'Build errors' });
  const showBuild = () => {
    const lines = errorLines(action.errors);
    editor.markErrors(lines);
    errorList.replaceChildren(...lines.map(({ line, message }) => h('li', {},
      line ? h('button', { type: 'button', class: 'link', onclick: () => editor.goToLine(line) }, `Line ${line}`) : null,
      line ? ': ' : '', message)));
    stateBadges.replaceChildren(badges(action));
  };

  async function waitForBuild() {
    for (let attempt = 0; attempt < 120 && !['built', 'failed'].includes(action.status); attempt += 1) {
      await sleep(attempt < 10 ? 200 : 500);
      action = await get(path);
    }
    showBuild();
  }

  async function save() {
    const body = { code: editor.getValue(), dependencies: dependencies.map(({ name, version }) => ({ name, version })) };
    if (secretsChanged) body.secrets = secrets.map(({ name, value }) => (value ? { name, value } : { name }));
    announce('Saving…');
    try {
      action = await api('PATCH', path, body);
      savedCode = body.code;
      secretsChanged = false;
      secrets = (action.secrets ?? []).map((secret) => ({ name: secret.name, updated_at: secret.updated_at, value: '' }));
      renderSide();
      refreshDirty();
      announce('Saved; building…');
      await waitForBuild();
      announce(action.status === 'failed' ? 'Saved, but the build failed: see the errors under the editor.' : 'Saved and built.', action.status === 'failed' ? 'error' : 'info');
    } catch (error) {
      announce(`Could not save: ${describeError(error)}`, 'error');
    }
  }

  async function deploy() {
    if (isDirty()) await save();
    if (action.status !== 'built') { announce('Only a draft that built can be deployed: fix the errors first.', 'error'); return; }
    try {
      const version = await api('POST', `${path}/deploy`);
      action = await get(path);
      showBuild();
      announce(`Deployed version ${version.number}.`);
      if (currentTab === 'versions') await renderVersions();
    } catch (error) {
      announce(`Could not deploy: ${describeError(error)}`, 'error');
    }
  }

  // Secrets and dependencies, beside the code.
  const side = h('aside', { class: 'side', 'aria-label': 'Secrets and dependencies' });
  function renderSide() {
    const secretRows = secrets.map((secret, index) => h('li', {},
      h('label', { for: `secret-${index}` }, secret.name),
      h('input', { id: `secret-${index}`, type: 'password', autocomplete: 'new-password', placeholder: secret.updated_at ? 'unchanged (write-only)' : 'value',
        oninput: (event) => { secret.value = event.target.value; secretsChanged = true; refreshDirty(); } }),
      h('button', { type: 'button', class: 'small', onclick: () => { secrets.splice(index, 1); secretsChanged = true; renderSide(); refreshDirty(); } }, 'Remove', h('span', { class: 'visually-hidden' }, ` secret ${secret.name}`))));
    const newName = h('input', { id: 'new-secret-name', placeholder: 'NAME', autocomplete: 'off' });
    const newValue = h('input', { id: 'new-secret-value', type: 'password', autocomplete: 'new-password', placeholder: 'value' });
    const depRows = dependencies.map((dependency, index) => h('li', {}, `${dependency.name}@${dependency.version}`, ' ',
      h('button', { type: 'button', class: 'small', onclick: () => { dependencies.splice(index, 1); secretsChanged = true; renderSide(); refreshDirty(); } }, 'Remove', h('span', { class: 'visually-hidden' }, ` ${dependency.name}`))));
    const depName = h('input', { id: 'new-dependency', placeholder: 'name@version', autocomplete: 'off' });
    side.replaceChildren(
      h('h2', {}, 'Secrets'),
      h('p', { class: 'hint' }, 'Values are write-only: they are never shown again.'),
      h('ul', { class: 'secrets' }, secretRows),
      h('div', { class: 'inline-form' },
        h('label', { for: 'new-secret-name', class: 'visually-hidden' }, 'New secret name'), newName,
        h('label', { for: 'new-secret-value', class: 'visually-hidden' }, 'New secret value'), newValue,
        h('button', { type: 'button', onclick: () => {
          if (!newName.value.trim()) return;
          secrets.push({ name: newName.value.trim(), value: newValue.value });
          secretsChanged = true; renderSide(); refreshDirty();
        } }, 'Add secret')),
      h('h2', {}, 'Dependencies'),
      h('ul', { class: 'dependencies' }, depRows),
      h('div', { class: 'inline-form' },
        h('label', { for: 'new-dependency', class: 'visually-hidden' }, 'New dependency'), depName,
        h('button', { type: 'button', onclick: () => {
          const match = /^(@?[^@\s]+)@(\S+)$/.exec(depName.value.trim());
          if (!match) { announce('Write a dependency as name@version, e.g. lodash@4.17.21.', 'error'); return; }
          dependencies.push({ name: match[1], version: match[2] });
          secretsChanged = true; renderSide(); refreshDirty();
        } }, 'Add dependency')));
  }

  // Tabs.
  let currentTab = initialTab;
  const panels = {
    code: h('section', { id: 'panel-code', role: 'tabpanel', 'aria-labelledby': 'tab-code', class: 'panel code-panel' }),
    test: h('section', { id: 'panel-test', role: 'tabpanel', 'aria-labelledby': 'tab-test', class: 'panel' }),
    versions: h('section', { id: 'panel-versions', role: 'tabpanel', 'aria-labelledby': 'tab-versions', class: 'panel' }),
  };
  const tabNames = { code: 'Code', test: 'Test', versions: 'Versions' };
  const tabs = Object.keys(panels).map((name) => h('button', {
    type: 'button', role: 'tab', id: `tab-${name}`, 'aria-controls': `panel-${name}`,
    onclick: () => select(name),
    onkeydown: (event) => {
      const names = Object.keys(panels);
      const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (!step) return;
      const next = names[(names.indexOf(name) + step + names.length) % names.length];
      select(next);
      document.getElementById(`tab-${next}`).focus();
    },
  }, tabNames[name]));
  async function select(name) {
    currentTab = name;
    for (const tab of tabs) {
      const selected = tab.id === `tab-${name}`;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    for (const [key, panel] of Object.entries(panels)) panel.hidden = key !== name;
    history.replaceState(null, '', `#/actions/${encodeURIComponent(id)}/${name}`);
    if (name === 'code') editor.refresh();
    if (name === 'versions') await renderVersions();
  }

  // The code panel.
  const editorHost = h('div', { class: 'editor-host' });
  panels.code.append(h('div', { class: 'code-layout' }, h('div', { class: 'code-main' }, editorHost, errorList), side));

  // The test panel.
  const storageKey = `gatehouse.test-event.${id}`;
  const eventHost = h('div', { class: 'event-host' });
  const result = h('div', { class: 'test-result', 'aria-live': 'polite' });
  const stored = localStorage.getItem(storageKey);
  const initialEvent = stored ?? JSON.stringify(catalog.sample_event ?? {}, null, 2);
  panels.test.append(
    h('h2', {}, 'Test the draft'),
    h('p', { class: 'hint' }, 'Runs the saved draft against this event, changing nothing. Unsaved code is saved first.'),
    h('div', { class: 'field' }, h('span', { id: 'event-label' }, 'Event'), eventHost),
    h('div', { class: 'buttons' },
      h('button', { type: 'button', class: 'primary', id: 'run-test', onclick: () => runTest() }, 'Run'),
      h('button', { type: 'button', onclick: () => { eventEditor.setValue(JSON.stringify(catalog.sample_event ?? {}, null, 2)); localStorage.removeItem(storageKey); } }, 'Reset to the sample event')),
    result);
  const eventEditor = codeEditor(eventHost, { value: initialEvent, label: 'Test event (JSON)', json: true });

  async function runTest() {
    let payload;
    try { payload = JSON.parse(eventEditor.getValue()); } catch (error) {
      result.replaceChildren(h('p', { class: 'error' }, `The event is not valid JSON: ${error.message}`));
      return;
    }
    localStorage.setItem(storageKey, eventEditor.getValue());
    if (isDirty()) await save();
    result.replaceChildren(h('p', {}, 'Running…'));
    try {
      const answer = await api('POST', `${path}/test`, { payload });
      result.replaceChildren(...renderResult(answer.payload ?? {}));
    } catch (error) {
      result.replaceChildren(h('p', { class: 'error' }, describeError(error)));
    }
  }

  // The versions panel.
  const diffView = h('div', { class: 'diff', 'aria-live': 'polite' });
  async function renderVersions() {
    const list = await get(`${path}/versions?per_page=100`);
    const versions = list.versions ?? [];
    const resetDraft = h('input', { type: 'checkbox', id: 'reset-draft' });
    panels.versions.replaceChildren(
      h('h2', {}, 'Versions'),
      versions.length === 0 ? h('p', {}, 'No version yet: deploy the draft to make version 1.') : h('table', { class: 'list versions' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'By'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Actions'))),
        h('tbody', {}, versions.map((version) => h('tr', { 'data-version': version.number },
          h('td', {}, `v${version.number}`),
          h('td', {}, when(version.created_at)),
          h('td', {}, version.deployed_by ?? '—'),
          h('td', {}, version.deployed ? h('span', { class: 'badge badge-deployed' }, 'Deployed') : version.status),
          h('td', {},
            h('button', { type: 'button', class: 'small', onclick: () => showDiff(version) }, `Compare v${version.number} with the draft`),
            ' ',
            version.deployed ? null : h('button', { type: 'button', class: 'small', onclick: () => revert(version, resetDraft.checked) }, `Deploy v${version.number}`)))))),
      h('div', { class: 'field checkbox' }, resetDraft, h('label', { for: 'reset-draft' }, 'When deploying an older version, also reset the draft to it')),
      diffView);
  }
  function showDiff(version) {
    const rows = lineDiff(version.code, editor.getValue());
    const changed = rows.filter((row) => row.kind !== 'same').length;
    diffView.replaceChildren(
      h('h3', {}, `v${version.number} → draft: ${changed === 0 ? 'no difference' : `${changed} changed line${changed === 1 ? '' : 's'}`}`),
      h('pre', { class: 'diff-lines' }, rows.map((row) => h('div', { class: `diff-${row.kind}` },
        h('span', { class: 'diff-sign', 'aria-hidden': 'true' }, row.kind === 'added' ? '+' : row.kind === 'removed' ? '−' : ' '),
        h('span', { class: 'visually-hidden' }, row.kind === 'added' ? 'added: ' : row.kind === 'removed' ? 'removed: ' : ''),
        row.text))));
  }
  async function revert(version, updateDraft) {
    if (updateDraft && isDirty() && !confirm('Resetting the draft discards your unsaved changes. Go on?')) return;
    try {
      const deployed = await api('POST', `${path}/versions/${encodeURIComponent(version.id)}/deploy`, { update_draft: updateDraft });
      action = await get(path);
      if (updateDraft) { savedCode = action.code; editor.setValue(action.code); }
      showBuild();
      refreshDirty();
      announce(`Deployed v${version.number} again as v${deployed.number}.`);
      await renderVersions();
    } catch (error) {
      announce(`Could not deploy v${version.number}: ${describeError(error)}`, 'error');
    }
  }

  mount(
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/actions' }, 'Actions'), ' / ', trigger),
    h('div', { class: 'title-row' }, h('h1', {}, action.name), stateBadges, dirtyMarker),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', id: 'save', onclick: () => save() }, 'Save'),
      h('button', { type: 'button', id: 'deploy', class: 'primary', onclick: () => deploy() }, 'Deploy')),
    h('div', { role: 'tablist', 'aria-label': 'Action' }, tabs),
    panels.code, panels.test, panels.versions);

  editor = codeEditor(editorHost, {
    value: action.code, label: `Code of ${action.name}`, hint: window.CodeMirror ? hinter(tree) : null,
    onChange: refreshDirty, onSave: save,
  });
  renderSide();
  showBuild();
  await select(panels[initialTab] ? initialTab : 'code');
  if (!['built', 'failed'].includes(action.status)) waitForBuild();
}

/// The test endpoint's answer as it is: per action its commands, console output and error; the
/// flow's error; the stats.
function renderResult(payload) {
  const parts = [];
  for (const entry of payload.actions ?? []) {
    parts.push(h('h3', {}, `${entry.name} (${Number(entry.duration_ms ?? 0).toFixed(1)} ms)`));
    parts.push(h('h4', {}, 'Commands'));
    parts.push((entry.commands ?? []).length === 0 ? h('p', {}, 'None.') : h('ul', { class: 'commands' },
      entry.commands.map((command) => h('li', {}, h('code', {}, `${command.method}(${(command.args ?? []).map((arg) => JSON.stringify(arg)).join(', ')})`)))));
    parts.push(h('h4', {}, 'Console'));
    parts.push(h('pre', { class: 'console' }, entry.logs || '(nothing logged)'));
    if (entry.error) parts.push(h('h4', {}, 'Error'), h('pre', { class: 'error' }, JSON.stringify(entry.error, null, 2)));
  }
  if (payload.error) parts.push(h('h3', {}, 'Flow error'), h('pre', { class: 'error' }, JSON.stringify(payload.error, null, 2)));
  if (payload.stats) {
    parts.push(h('h3', {}, 'Stats'), h('dl', { class: 'stats' }, Object.entries(payload.stats).flatMap(([name, value]) => [h('dt', {}, name), h('dd', {}, typeof value === 'number' ? `${value.toFixed(1)} ms` : String(value))])));
  }
  return parts;
}
