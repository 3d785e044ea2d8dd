// Flows: one column per trigger with its bound actions in execution order. Deployed actions are
// dragged in (or added with a button), reordered by drag and drop or from the keyboard
// (Alt+ArrowUp / Alt+ArrowDown, or the Move buttons), removed, and Apply sends the column's
// whole order in one PATCH /actions/triggers/{id}/bindings.
import { api, get } from './api.js';
import { h, mount, announce, describeError } from './dom.js';

export async function flows() {
  const [triggerList, actionList] = await Promise.all([get('/actions/triggers'), get('/actions/actions?per_page=100')]);
  const triggers = triggerList.triggers ?? [];
  const deployed = (actionList.actions ?? []).filter((action) => action.deployed_version);
  const columns = await Promise.all(triggers.map(async (trigger) => ({
    trigger,
    bindings: ((await get(`/actions/triggers/${encodeURIComponent(trigger.id)}/bindings?per_page=100`)).bindings ?? [])
      .map((binding) => ({ id: binding.action.id, name: binding.action.name, display_name: binding.display_name, fail_open: binding.fail_open })),
    changed: false,
  })));
  const board = h('div', { class: 'flows' });
  mount(h('h1', {}, 'Flows'),
    h('p', { class: 'hint' }, 'Drag deployed actions into a trigger\'s flow, or use Add; reorder with drag and drop, the Move buttons or Alt+Arrow keys; then Apply.'),
    board);
  const render = (focus) => {
    board.replaceChildren(...columns.map((column) => renderColumn(column, deployed, () => render(document.activeElement?.id))));
    if (focus) document.getElementById(focus)?.focus();
  };
  render();
}

function renderColumn(column, deployed, rerender) {
  const { trigger } = column;
  const candidates = deployed.filter((action) => action.supported_triggers.some((item) => item.id === trigger.id));
  const move = (from, to) => {
    if (to < 0 || to >= column.bindings.length) return;
    const [item] = column.bindings.splice(from, 1);
    column.bindings.splice(to, 0, item);
    column.changed = true;
    announce(`${item.name} is now number ${to + 1} in ${trigger.id}.`);
  };
  const list = h('ol', { class: 'bindings', 'aria-label': `${trigger.id} flow, in execution order` },
    column.bindings.map((binding, index) => {
      const key = `${trigger.id}-${index}`;
      return h('li', {
        class: 'binding', draggable: 'true', tabindex: '0', id: `binding-${key}`, 'data-name': binding.name,
        'aria-label': `${binding.name}, number ${index + 1}`,
        ondragstart: (event) => { event.dataTransfer.setData('text/plain', JSON.stringify({ from: trigger.id, index })); },
        ondragover: (event) => event.preventDefault(),
        ondrop: (event) => { event.preventDefault(); event.stopPropagation(); drop(event, index); },
        onkeydown: (event) => {
          if (!event.altKey) return;
          if (event.key === 'ArrowUp' && index > 0) { event.preventDefault(); move(index, index - 1); rerender(); document.getElementById(`binding-${trigger.id}-${index - 1}`)?.focus(); }
          if (event.key === 'ArrowDown' && index < column.bindings.length - 1) { event.preventDefault(); move(index, index + 1); rerender(); document.getElementById(`binding-${trigger.id}-${index + 1}`)?.focus(); }
        },
      },
      h('span', { class: 'binding-name' }, binding.name),
      h('span', { class: 'binding-controls' },
        h('label', { class: 'fail-open' }, h('input', { type: 'checkbox', checked: binding.fail_open, onchange: (event) => { binding.fail_open = event.target.checked; column.changed = true; rerender(); } }), ' fail open'),
        h('button', { type: 'button', class: 'small', id: `up-${key}`, disabled: index === 0, onclick: () => { move(index, index - 1); rerender(`up-${trigger.id}-${index - 1}`); } }, '↑', h('span', { class: 'visually-hidden' }, ` Move ${binding.name} up`)),
        h('button', { type: 'button', class: 'small', id: `down-${key}`, disabled: index === column.bindings.length - 1, onclick: () => { move(index, index + 1); rerender(`down-${trigger.id}-${index + 1}`); } }, '↓', h('span', { class: 'visually-hidden' }, ` Move ${binding.name} down`)),
        h('button', { type: 'button', class: 'small', onclick: () => { column.bindings.splice(index, 1); column.changed = true; rerender(); } }, '✕', h('span', { class: 'visually-hidden' }, ` Remove ${binding.name}`))));
    }));
  function drop(event, index) {
    let data;
    try { data = JSON.parse(event.dataTransfer.getData('text/plain')); } catch { return; }
    if (data.action) {
      const action = candidates.find((item) => item.id === data.action);
      if (!action) { announce(`That action does not support ${trigger.id}.`, 'error'); return; }
      column.bindings.splice(index, 0, { id: action.id, name: action.name, display_name: action.name, fail_open: false });
    } else if (data.from === trigger.id) {
      const [item] = column.bindings.splice(data.index, 1);
      column.bindings.splice(index > data.index ? index - 1 : index, 0, item);
    } else return;
    column.changed = true;
    rerender();
  }
  const select = h('select', { id: `add-${trigger.id}`, class: 'add-select' },
    h('option', { value: '' }, 'Add a deployed action…'), candidates.map((action) => h('option', { value: action.id }, action.name)));
  const section = h('section', { class: `flow-column${column.changed ? ' changed' : ''}`, 'data-trigger': trigger.id,
    ondragover: (event) => event.preventDefault(),
    ondrop: (event) => { event.preventDefault(); drop(event, column.bindings.length); } },
  h('h2', {}, trigger.id),
  column.bindings.length === 0 ? h('p', { class: 'empty' }, 'No action runs here.') : list,
  h('div', { class: 'inline-form' },
    h('label', { for: `add-${trigger.id}`, class: 'visually-hidden' }, `Add an action to ${trigger.id}`), select,
    h('button', { type: 'button', class: 'small', onclick: () => {
      const action = candidates.find((item) => item.id === select.value);
      if (!action) return;
      column.bindings.push({ id: action.id, name: action.name, display_name: action.name, fail_open: false });
      column.changed = true;
      rerender();
    } }, 'Add')),
  h('div', { class: 'palette', 'aria-label': `Deployed actions for ${trigger.id}` }, candidates.map((action) => h('span', {
    class: 'chip', draggable: 'true', 'data-action': action.name,
    ondragstart: (event) => event.dataTransfer.setData('text/plain', JSON.stringify({ action: action.id })),
  }, action.name))),
  h('button', { type: 'button', class: 'primary', id: `apply-${trigger.id}`, disabled: !column.changed, onclick: async () => {
    try {
      const answer = await api('PATCH', `/actions/triggers/${encodeURIComponent(trigger.id)}/bindings`, {
        bindings: column.bindings.map((binding) => ({ ref: { type: 'action_id', value: binding.id }, display_name: binding.display_name ?? binding.name, fail_open: binding.fail_open })),
      });
      column.bindings = (answer.bindings ?? []).map((binding) => ({ id: binding.action.id, name: binding.action.name, display_name: binding.display_name, fail_open: binding.fail_open }));
      column.changed = false;
      announce(`Applied the ${trigger.id} flow: ${column.bindings.map((binding) => binding.name).join(' → ') || 'empty'}.`);
      rerender();
    } catch (error) {
      announce(`Could not apply ${trigger.id}: ${describeError(error)}`, 'error');
    }
  } }, `Apply ${trigger.id}`));
  return section;
}
