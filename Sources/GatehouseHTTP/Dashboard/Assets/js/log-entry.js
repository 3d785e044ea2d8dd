// One log event: its fields, its details, and the Actions executions it names
// (details.actions.executions → GET /api/v2/actions/executions/{id}), each action with its
// status, duration, console output and error.
import { get } from './api.js';
import { h, mount, when } from './dom.js';
import { facts, json } from './forms.js';
import { logTypes, shownEntries } from './logs.js';

export async function logEntry(id) {
  // From the list just shown, or (a link opened directly) GET /logs/{id}.
  let entry = shownEntries.get(id);
  if (!entry) entry = await get(`/logs/${encodeURIComponent(id)}`).catch(() => undefined);
  if (!entry) {
    mount(h('h1', {}, 'Log event'), h('p', { role: 'alert' }, 'There is no such log event (or it has been purged).'),
      h('p', {}, h('a', { href: '#/logs' }, 'Back to the logs')));
    return;
  }
  const ids = entry.details?.actions?.executions ?? [];
  const executions = h('section', { 'aria-labelledby': 'executions-heading' },
    h('h2', { id: 'executions-heading' }, 'Actions executions'),
    ids.length ? h('p', {}, 'Loading…') : h('p', { class: 'empty' }, 'No action ran for this event.'));
  mount(h('p', {}, h('a', { href: '#/logs' }, '← Logs')),
    h('h1', {}, entry.description && entry.description !== logTypes[entry.type] ? `${logTypes[entry.type] ?? entry.type}: ${entry.description}` : logTypes[entry.type] ?? entry.type),
    facts([['When', when(entry.date)], ['Type', entry.type], ['User', entry.user_name ? `${entry.user_name} (${entry.user_id ?? '—'})` : entry.user_id],
      ['Application', entry.client_name ? `${entry.client_name} (${entry.client_id})` : entry.client_id], ['IP address', entry.ip],
      ['User agent', entry.user_agent], ['Audience', entry.audience], ['Scope', entry.scope], ['Log ID', entry.log_id]]),
    executions,
    h('details', { class: 'raw' }, h('summary', {}, 'Details (JSON)'), json(entry.details ?? {})));
  if (ids.length === 0) return;
  const loaded = await Promise.all(ids.map((executionId) => get(`/actions/executions/${encodeURIComponent(executionId)}`)
    .catch((error) => ({ id: executionId, failed: error.message }))));
  executions.replaceChildren(executions.firstChild, ...loaded.map(executionView));
}

function duration(result) {
  const ms = Date.parse(result.ended_at) - Date.parse(result.started_at);
  return Number.isFinite(ms) ? `${ms} ms` : '—';
}

function executionView(execution) {
  if (execution.failed) {
    return h('div', { class: 'execution' }, h('h3', {}, execution.id), h('p', { class: 'error' }, `Could not load it: ${execution.failed}`));
  }
  return h('article', { class: 'execution', 'data-execution': execution.id, 'aria-labelledby': `ex-${execution.id}` },
    h('h3', { id: `ex-${execution.id}` }, `${execution.trigger_id} · ${execution.status}`),
    h('p', { class: 'hint' }, `Execution ${execution.id}, ${when(execution.created_at)}`),
    (execution.results ?? []).length === 0 ? h('p', {}, 'No action was bound.') : h('ol', { class: 'results' },
      execution.results.map((result) => h('li', { class: 'result', 'data-action': result.action_name },
        h('div', { class: 'title-row' }, h('strong', {}, result.action_name),
          h('span', { class: `badge ${result.error ? 'badge-failed' : 'badge-built'}` }, result.error ? 'Failed' : 'Succeeded'),
          h('span', { class: 'hint' }, duration(result))),
        result.error ? h('pre', { class: 'error' }, result.error.message ?? JSON.stringify(result.error, null, 2)) : null,
        h('h4', {}, 'Console output'),
        result.logs ? h('pre', { class: 'console' }, result.logs) : h('p', { class: 'hint' }, 'Nothing was logged.'),
        h('details', {}, h('summary', {}, 'What the action asked for (response)'), json(result.response ?? {}))))));
}
