// The Team Tasks page: one engine from the same policy file the server uses, one prepared
// Session per signed-in user, and one permittedActions call per row to gate its buttons.
import { init, Engine } from 'ordinance-wasm';
import { NOW, ORG, sessions, tasks as initialTasks } from './sessions.js';

const $ = (selector, root = document) => root.querySelector(selector);
const status = $('#status');
const ROW_ACTIONS = [
  ['edit', 'Edit'],
  ['complete', 'Complete'],
  ['delete', 'Delete'],
];

// What a deny is missing, in words, for the disabled button's tooltip.
function requirementText({ kind, name }) {
  switch (kind) {
    case 'permission': return `Requires the ${name} permission`;
    case 'role': return `Requires the ${name} role`;
    case 'license': return 'Requires a seat (license) in this organization';
    case 'organization': return 'Select an organization first';
    case 'sign_in': return 'Sign in first';
    case 'scope': return `Approve the OAuth scope ${name}`;
    case 'plan': return `Requires the ${name} plan`;
    case 'feature': return `Requires the ${name} feature`;
    case 'verification': return `Verify your identity again (${name})`;
    default: return `Requires ${kind} ${name}`;
  }
}

const REASONS = {
  session_expired: 'Your session has expired: sign in again',
  session_not_yet_valid: 'Your session is not valid yet',
  invalid_claims: 'Your session token cannot be trusted',
};

function denyText(decision) {
  const why = decision.missing.map(requirementText).join('; ') || REASONS[decision.reason] || 'Not allowed';
  return `${why} (${decision.reason})`;
}

async function start() {
  const started = performance.now();
  await init();
  const response = await fetch(new URL('../../policies/team_tasks.ord', import.meta.url));
  if (!response.ok) throw new Error(`cannot load the policy: HTTP ${response.status}`);
  const engine = Engine.fromPolicy(await response.text(), { file: 'team_tasks.ord' });
  const loadMs = performance.now() - started;

  let tasks = initialTasks.map((t) => ({ ...t }));
  let current = sessions[0];
  let counter = 0;
  // Claims are checked once per session; every decision reuses them.
  const prepared = new Map(sessions.map((s) => [s.key, engine.session(s.claims)]));
  const options = { now: NOW };

  const picker = $('#sessions');
  picker.append(
    Object.assign(document.createElement('legend'), { className: 'visually-hidden', textContent: 'Sample session' }),
    ...sessions.map((s, i) => {
      const label = document.createElement('label');
      label.className = 'session';
      label.innerHTML = `<input type="radio" name="session" id="session-${s.key}" value="${s.key}"${i === 0 ? ' checked' : ''}>
        <span class="name"></span><span class="role"></span><span class="note"></span>`;
      $('.name', label).textContent = s.name;
      $('.role', label).textContent = s.label;
      $('.note', label).textContent = s.note;
      return label;
    }),
  );
  picker.addEventListener('change', (event) => {
    current = sessions.find((s) => s.key === event.target.value);
    render();
  });
  $('#org-title').textContent = `${ORG.name} tasks`;
  $('#now').textContent = new Date(NOW * 1000).toISOString().replace('.000Z', 'Z');

  // Enables the button if `action` is among `permitted`; otherwise disables it and puts
  // the deny's missing requirement and reason in its tooltip.
  function gate(button, action, resource, permitted) {
    const allowed = permitted.includes(action);
    button.disabled = !allowed;
    button.title = allowed ? '' : denyText(engine.decide(prepared.get(current.key), action, resource, options));
  }

  function renderList(list, ownerId) {
    const article = $(`#${list}-list`);
    const session = prepared.get(current.key);
    const userId = current.claims.sub;
    const add = $(`#${list}-add`);
    const template = { type: 'task', owner_id: ownerId, created_by_id: userId };
    gate(add, 'create', template, engine.permittedActions(session, template, options));
    $('.hint', article).textContent = add.disabled ? `Add: ${add.title}` : '';
    add.onclick = () => {
      counter += 1;
      tasks.push({ id: `n${counter}`, title: `New task ${counter}`, owner_id: ownerId, created_by_id: userId, done: false });
      render();
    };

    const ul = $('ul', article);
    ul.replaceChildren();
    const locked = $('.locked', article);
    const rows = tasks.filter((t) => t.owner_id === ownerId);
    // Viewing a list needs `view` on its tasks; decide it on the list's template row.
    const view = engine.decide(session, 'view', template, options);
    locked.hidden = view.allowed;
    if (!view.allowed) {
      locked.textContent = `⊘ ${denyText(view)}`;
      return;
    }
    for (const task of rows) {
      const resource = { type: 'task', id: task.id, owner_id: task.owner_id, created_by_id: task.created_by_id };
      const permitted = engine.permittedActions(session, resource, options);
      const li = document.createElement('li');
      li.className = task.done ? 'task done' : 'task';
      li.dataset.task = task.id;
      const title = Object.assign(document.createElement('span'), { className: 'title', textContent: task.title });
      const by = Object.assign(document.createElement('span'), {
        className: 'by',
        textContent: task.created_by_id === userId ? 'created by you' : `created by ${task.created_by_id.replace('user_', '')}`,
      });
      const buttons = document.createElement('span');
      buttons.className = 'actions';
      for (const [action, label] of ROW_ACTIONS) {
        const button = document.createElement('button');
        button.type = 'button';
        button.id = `${list}-${task.id}-${action}`;
        Object.assign(button.dataset, { list, task: task.id, action });
        button.textContent = action === 'complete' && task.done ? 'Reopen' : label;
        gate(button, action, resource, permitted);
        button.onclick = () => act(action, task, title);
        buttons.append(button);
      }
      // The tooltips, also written under the row for touch screens: once if all agree.
      const denied = [...buttons.children].filter((b) => b.disabled);
      const why = Object.assign(document.createElement('span'), { className: 'why' });
      if (denied.length === ROW_ACTIONS.length && new Set(denied.map((b) => b.title)).size === 1) why.textContent = denied[0].title;
      else why.textContent = denied.map((b) => `${b.textContent}: ${b.title}`).join(' · ');
      li.append(Object.assign(document.createElement('span'), { className: 'check', textContent: task.done ? '✓' : '' }), title, by, why, buttons);
      ul.append(li);
    }
    if (rows.length === 0) ul.append(Object.assign(document.createElement('li'), { className: 'empty', textContent: 'No tasks yet.' }));
  }

  function act(action, task, title) {
    if (action === 'complete') task.done = !task.done;
    if (action === 'delete') tasks = tasks.filter((t) => t !== task);
    if (action === 'edit') {
      const input = Object.assign(document.createElement('input'), { value: task.title, className: 'title' });
      const save = () => {
        task.title = input.value.trim() || task.title;
        render();
      };
      input.addEventListener('keydown', (e) => e.key === 'Enter' && input.blur());
      input.addEventListener('blur', save);
      title.replaceWith(input);
      input.focus();
      return;
    }
    render();
  }

  function render() {
    const t0 = performance.now();
    renderList('org', ORG.id);
    renderList('personal', current.claims.sub);
    const ms = performance.now() - t0;
    const buttons = document.querySelectorAll('button[data-action]').length;
    $('#claims').textContent = JSON.stringify(current.claims, null, 2);
    $('#timing').textContent = `Gated ${buttons} buttons for ${current.name} in ${ms.toFixed(1)} ms, rendering included.`;
  }

  render();
  status.textContent = `ready · policy team_tasks.ord · wasm loaded and compiled in ${loadMs.toFixed(0)} ms`;
  status.dataset.state = 'ready';
}

start().catch((error) => {
  status.textContent = `error: ${error.message}`;
  status.dataset.state = 'error';
  console.error(error);
});
