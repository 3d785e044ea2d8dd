// The code editor: CodeMirror 5 when the server found it (served from the system's
// libjs-codemirror), otherwise a plain text area with a notice. Both offer the same small API.
import { h } from './dom.js';

let library;
/// Loads CodeMirror's styles and scripts (listed by the server in a meta tag) once, scripts in
/// order; resolves when done or when the editor is not installed. Only the editor pays for it.
export function loadEditorLibrary() {
  library ??= (async () => {
    const urls = (document.querySelector('meta[name="gatehouse-codemirror"]')?.content ?? '').split(' ').filter(Boolean);
    for (const url of urls.filter((url) => url.endsWith('.css'))) {
      document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: url }));
    }
    for (const url of urls.filter((url) => url.endsWith('.js'))) {
      await new Promise((resolve) => {
        const script = Object.assign(document.createElement('script'), { src: url, async: false });
        script.addEventListener('load', resolve);
        script.addEventListener('error', resolve);
        document.head.append(script);
      });
    }
  })();
  return library;
}

export function codeEditor(container, { value, label, hint, onChange, onSave, json = false }) {
  const CodeMirror = window.CodeMirror;
  const wanted = document.querySelector('meta[name="gatehouse-editor"]')?.content === 'codemirror';
  if (wanted && CodeMirror) {
    const editor = CodeMirror(container, {
      value, mode: json ? { name: 'javascript', json: true } : 'javascript', lineNumbers: true, matchBrackets: true,
      autoCloseBrackets: true, indentUnit: 2, tabSize: 2, viewportMargin: 20,
      gutters: ['CodeMirror-lint-markers', 'CodeMirror-linenumbers'],
      extraKeys: {
        'Ctrl-Space': 'autocomplete', 'Ctrl-S': () => onSave?.(), 'Cmd-S': () => onSave?.(),
        // Tab leaves the editor from the keyboard when Escape was pressed first (WCAG 2.1.2).
        Esc: (cm) => { cm.getInputField().dataset.escaped = '1'; },
        Tab: (cm) => {
          if (cm.getInputField().dataset.escaped === '1') return CodeMirror.Pass;
          cm.execCommand('insertSoftTab');
          return undefined;
        },
      },
    });
    editor.getInputField().setAttribute('aria-label', label);
    editor.on('keydown', (cm, event) => { if (event.key !== 'Escape' && event.key !== 'Tab') delete cm.getInputField().dataset.escaped; });
    editor.on('changes', () => onChange?.(editor.getValue()));
    if (hint) {
      editor.setOption('hintOptions', { hint, completeSingle: false });
      editor.on('inputRead', (cm, change) => {
        const typed = change.text.join('');
        if (/^[.\w$]$/.test(typed) && hint(cm)) cm.showHint({ hint, completeSingle: false });
      });
    }
    let marks = [];
    return {
      kind: 'codemirror',
      element: editor.getWrapperElement(),
      getValue: () => editor.getValue(),
      setValue: (text) => editor.setValue(text),
      refresh: () => editor.refresh(),
      focus: () => editor.focus(),
      goToLine(line) { editor.focus(); editor.setCursor({ line: line - 1, ch: 0 }); editor.scrollIntoView({ line: line - 1, ch: 0 }, 80); },
      markErrors(errors) {
        for (const line of marks) editor.removeLineClass(line, 'background', 'line-error');
        editor.clearGutter('CodeMirror-lint-markers');
        marks = [];
        for (const { line, message } of errors) {
          if (!line || line > editor.lineCount()) continue;
          const handle = editor.addLineClass(line - 1, 'background', 'line-error');
          marks.push(handle);
          editor.setGutterMarker(line - 1, 'CodeMirror-lint-markers', h('span', { class: 'CodeMirror-lint-marker CodeMirror-lint-marker-error', title: message }));
        }
      },
    };
  }
  const area = h('textarea', { class: 'code-fallback', spellcheck: 'false', 'aria-label': label, rows: 18 });
  area.value = value;
  area.addEventListener('input', () => onChange?.(area.value));
  area.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === 's') { event.preventDefault(); onSave?.(); }
  });
  if (!json) {
    container.append(h('p', { class: 'notice', role: 'note' },
      'The code editor (CodeMirror) is not installed on this server, so this is a plain text area: install Debian\'s libjs-codemirror or set GATEHOUSE_CODEMIRROR_DIR.'));
  }
  container.append(area);
  return {
    kind: 'textarea',
    element: area,
    getValue: () => area.value,
    setValue: (text) => { area.value = text; },
    refresh: () => {},
    focus: () => area.focus(),
    goToLine(line) {
      const offset = area.value.split('\n').slice(0, line - 1).join('\n').length + (line > 1 ? 1 : 0);
      area.focus();
      area.setSelectionRange(offset, offset);
    },
    markErrors() {},
  };
}
