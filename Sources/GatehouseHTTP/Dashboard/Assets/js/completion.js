// Completion of `event.` and `api.` for the action's trigger, from the trigger catalog
// (GET /actions/triggers/{id}/catalog): the `api` methods with their arguments and docs, and the
// event's fields — described in the catalog when it has them, otherwise taken from the sample
// event the catalog endpoint returns. Nothing here lists members by hand.

/// `{ "idToken": { "setCustomClaim": {doc, args} } }`-like tree from "idToken.setCustomClaim" keys.
export function memberTree(catalog) {
  const root = { api: {}, event: {} };
  for (const [path, method] of Object.entries(catalog.api ?? {})) {
    let node = root.api;
    const parts = path.split('.');
    parts.forEach((part, index) => {
      node[part] ??= { members: {} };
      if (index === parts.length - 1) {
        const args = (method.args ?? []).map((arg) => arg.name + (arg.optional ? '?' : '')).join(', ');
        node[part].kind = 'method';
        node[part].detail = `${path}(${args})`;
        node[part].doc = method.doc ?? '';
      } else {
        node[part].kind ??= 'object';
      }
      node = node[part].members;
    });
  }
  if (catalog.event && typeof catalog.event === 'object') addDescribed(root.event, catalog.event);
  else if (catalog.sample_event) addSampled(root.event, catalog.sample_event);
  return root;
}

/// Event fields described in the catalog: `{name: {doc, type, fields?}}` or `{name: "doc"}`.
function addDescribed(target, fields) {
  for (const [name, field] of Object.entries(fields)) {
    const described = typeof field === 'string' ? { doc: field } : field ?? {};
    target[name] = { kind: described.fields ? 'object' : 'field', doc: described.doc ?? described.description ?? '', detail: described.type ?? '', members: {} };
    if (described.fields) addDescribed(target[name].members, described.fields);
  }
}

function addSampled(target, value) {
  for (const [name, member] of Object.entries(value ?? {})) {
    const isObject = member && typeof member === 'object' && !Array.isArray(member);
    target[name] = { kind: isObject ? 'object' : 'field', doc: '', detail: Array.isArray(member) ? 'array' : typeof member, members: {} };
    if (isObject) addSampled(target[name].members, member);
  }
}

/// The members offered after `text` (e.g. "api.idToken." or "event.user.em").
export function suggestions(tree, text) {
  const match = /\b(event|api)((?:\.[A-Za-z_$][\w$]*)*)\.([\w$]*)$/.exec(text);
  if (!match) return null;
  let node = tree[match[1]];
  for (const part of match[2].split('.').filter(Boolean)) {
    node = node?.[part]?.members;
    if (!node) return null;
  }
  const prefix = match[3];
  const list = Object.entries(node).filter(([name]) => name.startsWith(prefix)).map(([name, member]) => ({ name, ...member }));
  return { prefix, list };
}

/// A CodeMirror 5 hint function over `tree`.
export function hinter(tree) {
  return (editor) => {
    const cursor = editor.getCursor();
    const line = editor.getLine(cursor.line).slice(0, cursor.ch);
    const found = suggestions(tree, line);
    if (!found || found.list.length === 0) return null;
    const CodeMirror = window.CodeMirror;
    const result = {
      list: found.list.map((member) => ({
        text: member.name,
        displayText: `${member.name}${member.kind === 'method' ? '()' : ''}`,
        render(element) {
          element.append(Object.assign(document.createElement('span'), { className: 'hint-name', textContent: member.name + (member.kind === 'method' ? '()' : '') }));
          const doc = member.doc || member.detail;
          if (doc) element.append(Object.assign(document.createElement('span'), { className: 'hint-doc', textContent: doc }));
        },
      })),
      from: CodeMirror.Pos(cursor.line, cursor.ch - found.prefix.length),
      to: cursor,
    };
    return result;
  };
}
