// A few DOM helpers: elements from a tag, attributes and children; and the live status line.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/// Says something in the live region (read out by screen readers).
export function announce(text, kind = 'info') {
  const status = document.getElementById('status');
  status.textContent = text;
  status.dataset.kind = kind;
}

export function describeError(error) {
  if (error?.body?.message) return `${error.body.message}${error.body.errorCode ? ` (${error.body.errorCode})` : ''}`;
  return String(error?.message ?? error);
}

export function mount(...children) {
  const main = document.getElementById('main');
  main.replaceChildren(...children);
  return main;
}

export function when(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
