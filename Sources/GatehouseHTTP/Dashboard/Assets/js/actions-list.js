// The Actions library: every action with its state, create (blank or from a template), delete.
import { api, get } from './api.js';
import { h, mount, announce, describeError, when } from './dom.js';

/// What an operator needs to know at a glance, from the action's fields.
export function actionState(action) {
  const states = [];
  if (action.status === 'failed') states.push(['failed', 'Build failed']);
  else if (action.status === 'built') states.push(['built', 'Built']);
  else states.push(['pending', 'Building…']);
  if (action.deployed_version) states.push(['deployed', `Deployed v${action.deployed_version.number}`]);
  else states.push(['draft', 'Never deployed']);
  if (action.deployed_version && !action.all_changes_deployed) states.push(['changed', 'Draft changed']);
  return states;
}

export function badges(action) {
  return h('span', { class: 'badges' }, actionState(action).map(([kind, text]) => h('span', { class: `badge badge-${kind}` }, text)));
}

async function templates() {
  const response = await fetch('/dashboard/assets/action-templates.json');
  return (await response.json()).templates;
}

export async function actionsList() {
  const [list, triggerList, library] = await Promise.all([
    get('/actions/actions?per_page=100'), get('/actions/triggers'), templates(),
  ]);
  const actions = list.actions ?? [];
  const triggers = (triggerList.triggers ?? []).map((trigger) => trigger.id);
  const table = actions.length === 0
    ? h('p', { class: 'empty' }, 'No actions yet: create one below.')
    : h('table', { class: 'list' },
      h('caption', { class: 'visually-hidden' }, 'Actions'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Trigger'),
        h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Updated'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Delete')))),
      h('tbody', {}, actions.map((action) => h('tr', { 'data-action': action.name },
        h('td', {}, h('a', { href: `#/actions/${encodeURIComponent(action.id)}` }, action.name)),
        h('td', {}, action.supported_triggers.map((trigger) => trigger.id).join(', ')),
        h('td', {}, badges(action)),
        h('td', {}, when(action.updated_at)),
        h('td', {}, h('button', { type: 'button', class: 'danger small', onclick: () => remove(action) }, 'Delete', h('span', { class: 'visually-hidden' }, ` ${action.name}`)))))));

  const triggerSelect = h('select', { id: 'new-trigger', name: 'trigger' }, triggers.map((id) => h('option', { value: id }, id)));
  const templateSelect = h('select', { id: 'new-template', name: 'template' });
  const fillTemplates = () => {
    const trigger = triggerSelect.value;
    templateSelect.replaceChildren(h('option', { value: '' }, 'Blank'),
      ...library.filter((template) => template.trigger === trigger && !template.id.startsWith('blank'))
        .map((template) => h('option', { value: template.id, title: template.description }, template.name)));
  };
  triggerSelect.addEventListener('change', fillTemplates);
  fillTemplates();
  const nameInput = h('input', { id: 'new-name', name: 'name', required: true, maxlength: 128, autocomplete: 'off' });
  const form = h('form', { class: 'create', onsubmit: async (event) => {
    event.preventDefault();
    const trigger = triggerSelect.value;
    const template = library.find((item) => item.id === templateSelect.value) ?? blankTemplate(trigger, triggerList);
    try {
      const created = await api('POST', '/actions/actions', {
        name: nameInput.value.trim(),
        supported_triggers: [{ id: trigger, version: triggerList.triggers.find((item) => item.id === trigger)?.version ?? 'v1' }],
        code: template.code,
        secrets: (template.secrets ?? []).map((name) => ({ name, value: 'change-me' })),
      });
      announce(`Created ${created.name}.`);
      location.hash = `#/actions/${encodeURIComponent(created.id)}`;
    } catch (error) {
      announce(`Could not create the action: ${describeError(error)}`, 'error');
    }
  } },
  h('h2', {}, 'Create an action'),
  h('div', { class: 'field' }, h('label', { for: 'new-name' }, 'Name'), nameInput),
  h('div', { class: 'field' }, h('label', { for: 'new-trigger' }, 'Trigger'), triggerSelect),
  h('div', { class: 'field' }, h('label', { for: 'new-template' }, 'Start from'), templateSelect),
  h('button', { type: 'submit', class: 'primary' }, 'Create'));

  mount(h('h1', {}, 'Actions'), table, form);
}

function blankTemplate(trigger, triggerList) {
  const handler = `onExecute${trigger.split('-').map((part) => part[0].toUpperCase() + part.slice(1)).join('')}`;
  return { code: `exports.${handler} = async (event, api) => {\n};\n` };
}

async function remove(action) {
  if (!confirm(`Delete the action ${action.name}? Its versions are deleted too.`)) return;
  try {
    await api('DELETE', `/actions/actions/${encodeURIComponent(action.id)}`);
    announce(`Deleted ${action.name}.`);
    await actionsList();
  } catch (error) {
    const explanation = error.status === 409
      ? `${action.name} is still bound to a trigger: remove it from its flow (Flows), apply, then delete it. (${describeError(error)})`
      : describeError(error);
    announce(`Could not delete: ${explanation}`, 'error');
  }
}
