// Submitting: a JSON payload checked against GET /v1/schemas/payload before it is sent, or a named action of
// GET /v1/actions through a form made from its input schema (checked against that schema the same way).
import {ApiError, ROUTES, call, json} from './api.js';
import {announce, errorBox, fill, h} from './dom.js';
import {parseJson, validatorFor} from './validation.js';
import {formFor} from './schema-form.js';

const EXAMPLE = {
  command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo "step $i"; echo "::progress $((i * 20))"; sleep 1; done'],
};

export function submitView() {
  let stopped = false;
  let validatePayload = null;
  let actions = [];

  const status = h('div', {id: 'submit-status', 'aria-live': 'polite'});
  const violations = h('div', {id: 'payload-violations'});
  const editor = h('textarea', {id: 'payload-editor', name: 'payload', rows: 12, spellcheck: 'false', class: 'mono',
    autocomplete: 'off', 'aria-describedby': 'payload-help payload-violations'}, JSON.stringify(EXAMPLE, null, 2));
  const schemaPre = h('pre', {class: 'json', id: 'payload-schema', tabindex: 0}, 'Loading…');
  const submitButton = h('button', {type: 'submit', class: 'primary', id: 'submit-payload'}, 'Submit task');

  function showViolations(target, list, heading) {
    if (list.length === 0) {
      fill(target);
      return;
    }
    fill(target, h('div', {class: 'error-box', role: 'alert'},
      h('strong', {}, heading),
      h('ul', {class: 'violations'}, list.map((v) => h('li', {}, h('code', {class: 'path'}, v.path), ' ', v.message)))));
  }

  function check() {
    const parsed = parseJson(editor.value);
    const list = parsed.violations.length ? parsed.violations : validatePayload ? validatePayload(parsed.value) : [];
    editor.setAttribute('aria-invalid', list.length ? 'true' : 'false');
    return {value: parsed.value, list};
  }

  let debounce = null;
  editor.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      const {list} = check();
      showViolations(violations, list, `${list.length} problem(s) with this payload:`);
    }, 400);
  });

  async function submitted(route, options, target) {
    try {
      const response = await call(route, options);
      const task = await response.json();
      announce(`Task ${task.task_id} submitted`);
      location.hash = `#/tasks/${encodeURIComponent(task.task_id)}`;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        return;
      }
      fill(target, errorBox(e, 'The server did not accept the task'));
    }
  }

  const payloadForm = h('form', {class: 'card', id: 'payload-form', 'aria-labelledby': 'payload-title', novalidate: true},
    h('h2', {id: 'payload-title'}, 'Task payload'),
    h('label', {for: 'payload-editor'}, 'Payload (JSON)'),
    h('p', {id: 'payload-help', class: 'help'},
      'Checked against the server\'s payload schema before it is sent; problems are listed by their JSON path. ',
      'Write ', h('code', {}, '::progress N'), ' lines to the log to move the progress bar.'),
    editor,
    violations,
    h('div', {class: 'actions'}, submitButton),
    h('details', {}, h('summary', {}, 'Payload schema'), schemaPre));
  payloadForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const {value, list} = check();
    if (list.length) {
      showViolations(violations, list, `Not sent: ${list.length} problem(s) with this payload:`);
      violations.querySelector('[role=alert]')?.focus?.();
      editor.focus();
      return;
    }
    fill(violations);
    submitButton.disabled = true;
    await submitted(ROUTES.submitTask, {body: value}, violations);
    submitButton.disabled = false;
  });

  const actionSection = h('section', {class: 'card', 'aria-labelledby': 'actions-title'},
    h('h2', {id: 'actions-title'}, 'Named actions'), h('p', {class: 'muted'}, 'Loading…'));

  function renderActions() {
    if (actions.length === 0) {
      fill(actionSection, h('h2', {id: 'actions-title'}, 'Named actions'),
        h('p', {class: 'muted'}, 'This server has no named actions (the actions section of its config).'));
      return;
    }
    const select = h('select', {id: 'action-select', name: 'action'}, actions.map((a) => h('option', {value: a.name}, a.name)));
    const description = h('p', {class: 'help', id: 'action-description'});
    const fields = h('div', {id: 'action-fields'});
    const errors = h('div', {id: 'action-violations'});
    const button = h('button', {type: 'submit', class: 'primary', id: 'run-action'}, 'Run action');
    let current = null;
    function choose() {
      const action = actions.find((a) => a.name === select.value);
      description.textContent = action.description || '';
      current = {action, form: formFor(action.input || {}, 'action-input'), validate: validatorFor(action.input || {})};
      fill(fields, current.form.element);
      fill(errors);
    }
    select.addEventListener('change', choose);
    const form = h('form', {novalidate: true, 'aria-labelledby': 'actions-title'},
      h('label', {for: 'action-select'}, 'Action'), select, description, fields, errors, h('div', {class: 'actions'}, button));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const {value, problems} = current.form.read();
      const list = problems.length ? problems : current.validate(value);
      if (list.length) {
        showViolations(errors, list, `Not sent: ${list.length} problem(s) with this input:`);
        return;
      }
      fill(errors);
      button.disabled = true;
      await submitted(ROUTES.runAction, {params: {action: current.action.name}, body: value}, errors);
      button.disabled = false;
    });
    fill(actionSection, h('h2', {id: 'actions-title'}, 'Named actions'), form);
    choose();
  }

  (async () => {
    try {
      const schema = await json(ROUTES.payloadSchema);
      if (stopped) {
        return;
      }
      validatePayload = validatorFor(schema);
      schemaPre.textContent = JSON.stringify(schema, null, 2);
      payloadForm.dataset.schema = 'loaded';
      fill(status);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) {
        fill(status, errorBox(e, 'The payload schema could not be loaded; the server will still check the payload'));
      }
    }
    try {
      actions = (await json(ROUTES.listActions)).actions || [];
      if (!stopped) {
        renderActions();
      }
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) {
        fill(actionSection, errorBox(e, 'The named actions could not be loaded'));
      }
    }
  })();

  const element = h('section', {class: 'view', 'aria-labelledby': 'submit-title'},
    h('div', {class: 'view-head'}, h('h1', {id: 'submit-title'}, 'Submit a task')),
    status,
    h('div', {class: 'columns'}, payloadForm, actionSection));
  return {element, title: 'Submit', stop: () => { stopped = true; clearTimeout(debounce); }};
}
