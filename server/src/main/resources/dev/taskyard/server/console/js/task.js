// One task: its state (long-polled), live log (followed, resumed with Range after a dropped connection), result,
// error, artifacts (downloaded with the token, never through a URL carrying it), payload, cancel and delete.
import {ApiError, ROUTES, call, json} from './api.js';
import {announce, confirmDialog, durationText, errorBox, fill, formatBytes, h, isTerminal, progressBar, statusBadge, timeElement}
  from './dom.js';

const RETRY_MS = 1000;

export function taskView(taskId) {
  let stopped = false;
  let task = null;
  let etag = null;
  const controllers = new Set();
  const timers = new Set();

  function later(fn, ms) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) {
        fn();
      }
    }, ms);
    timers.add(timer);
  }

  function controller() {
    const c = new AbortController();
    controllers.add(c);
    return c;
  }

  const heading = h('h1', {id: 'task-title', class: 'task-title'}, 'Task ', h('span', {class: 'mono'}, taskId));
  const badgeSlot = h('span', {id: 'task-status'});
  const actions = h('div', {class: 'task-actions'});
  const summary = h('dl', {class: 'summary'});
  const problem = h('div', {});
  const errorSection = h('section', {class: 'card', 'aria-labelledby': 'error-title', hidden: true});
  const resultSection = h('section', {class: 'card', 'aria-labelledby': 'result-title', hidden: true});
  const logPre = h('pre', {id: 'log', class: 'log', role: 'log', 'aria-live': 'off', 'aria-labelledby': 'log-title', tabindex: 0});
  const logState = h('span', {id: 'log-state', class: 'muted'}, 'connecting…');
  const followBox = h('input', {type: 'checkbox', id: 'follow', checked: true});
  const artifactList = h('div', {id: 'artifacts'}, h('p', {class: 'muted'}, 'Loading…'));
  const payloadPre = h('pre', {id: 'payload', class: 'json', tabindex: 0}, 'Loading…');

  const element = h('article', {class: 'view', 'aria-labelledby': 'task-title'},
    h('p', {class: 'crumbs'}, h('a', {href: '#/tasks'}, '← All tasks')),
    h('div', {class: 'view-head'}, heading, badgeSlot, actions),
    problem,
    h('section', {class: 'card', 'aria-label': 'Summary'}, summary),
    errorSection,
    resultSection,
    h('section', {class: 'card', 'aria-labelledby': 'log-title'},
      h('div', {class: 'section-head'}, h('h2', {id: 'log-title'}, 'Log'), logState,
        h('label', {class: 'inline'}, followBox, ' Follow')),
      logPre),
    h('section', {class: 'card', 'aria-labelledby': 'artifacts-title'}, h('h2', {id: 'artifacts-title'}, 'Artifacts'), artifactList),
    h('section', {class: 'card', 'aria-labelledby': 'payload-title'}, h('h2', {id: 'payload-title'}, 'Payload'), payloadPre));

  function show(next) {
    const changed = !task || task.status !== next.status;
    task = next;
    fill(badgeSlot, statusBadge(task.status));
    const rows = [
      ['State', statusBadge(task.status)],
      ['Progress', progressBar(task, 'Task progress')],
      ['Attempt', String(task.attempt)],
      ['Exit code', task.exit_code === undefined ? '–' : String(task.exit_code)],
      ['Created', timeElement(task.created_at)],
      ['Started', timeElement(task.started_at)],
      ['Ended', timeElement(task.completed_at)],
      ['Duration', durationText(task)],
    ];
    fill(summary, rows.map(([term, value]) => h('div', {class: 'summary-item'}, h('dt', {}, term), h('dd', {}, value))));
    summary.querySelector('.badge').id = 'summary-status';
    if (task.error) {
      errorSection.hidden = false;
      fill(errorSection, h('h2', {id: 'error-title'}, 'Error'),
        h('p', {}, h('strong', {}, task.error.title || 'Error'), ' ', h('code', {}, task.error.reason || '')),
        h('pre', {class: 'error-detail'}, task.error.detail || ''));
    } else {
      errorSection.hidden = true;
    }
    if (task.result !== undefined) {
      resultSection.hidden = false;
      fill(resultSection, h('h2', {id: 'result-title'}, 'Result'), h('pre', {class: 'json', id: 'result', tabindex: 0},
        JSON.stringify(task.result, null, 2)));
    } else {
      resultSection.hidden = true;
    }
    renderActions();
    if (changed) {
      announce(`Task ${task.status.toLowerCase()}`);
      if (isTerminal(task.status)) {
        loadArtifacts();
      }
    }
  }

  function renderActions() {
    const buttons = [];
    if (!isTerminal(task.status)) {
      buttons.push(h('button', {type: 'button', class: 'danger', id: 'cancel-task', onclick: cancel}, 'Cancel task'));
    } else {
      buttons.push(h('button', {type: 'button', class: 'danger secondary', id: 'delete-task', onclick: remove}, 'Delete task'));
    }
    fill(actions, buttons);
  }

  async function cancel() {
    if (!await confirmDialog('Cancel this task?', `Task ${taskId} will be stopped and end CANCELED. This cannot be undone.`,
      'Cancel task')) {
      return;
    }
    try {
      show(await json(ROUTES.cancelTask, {params: {task_id: taskId}}));
      announce('Cancellation requested');
    } catch (e) {
      fill(problem, errorBox(e, 'The task could not be canceled'));
    }
  }

  async function remove() {
    if (!await confirmDialog('Delete this task?', `Task ${taskId}, its log and its artifacts will be deleted for good.`,
      'Delete task')) {
      return;
    }
    try {
      await call(ROUTES.deleteTask, {params: {task_id: taskId}});
      announce('Task deleted');
      location.hash = '#/tasks';
    } catch (e) {
      fill(problem, errorBox(e, 'The task could not be deleted'));
    }
  }

  // the state: long polls that the server answers when the task changes (or after 30 s)
  async function poll() {
    const c = controller();
    try {
      const headers = etag ? {'If-None-Match': etag} : {};
      const response = await call(ROUTES.getTask, {params: {task_id: taskId}, query: etag ? {wait: 30} : {}, headers, signal: c.signal});
      if (response.status === 200) {
        etag = response.headers.get('ETag');
        show(await response.json());
      }
      fill(problem);
      if (!isTerminal(task.status)) {
        later(poll, 0);
      }
    } catch (e) {
      if (e.name === 'AbortError' || stopped || (e instanceof ApiError && e.status === 401)) {
        return;
      }
      fill(problem, errorBox(e, e.status === 404 ? 'No such task' : 'The task could not be loaded'));
      if (e.status !== 404) {
        later(poll, RETRY_MS * 3);
      }
    } finally {
      controllers.delete(c);
    }
  }

  // the log: streamed as it grows; after a dropped connection, resumed from the bytes already shown (Range)
  let logBytes = 0;
  let logAttempt = null;
  const decoder = new TextDecoder();

  function appendLog(text) {
    const atBottom = logPre.scrollTop + logPre.clientHeight >= logPre.scrollHeight - 8;
    logPre.append(document.createTextNode(text));
    if (followBox.checked && atBottom) {
      logPre.scrollTop = logPre.scrollHeight;
    }
  }

  async function followLog() {
    const c = controller();
    try {
      if (task && logAttempt !== null && task.attempt !== logAttempt) {
        // a new run has a new log: start over
        logBytes = 0;
        logPre.replaceChildren();
      }
      logAttempt = task ? task.attempt : logAttempt;
      const headers = logBytes > 0 ? {Range: `bytes=${logBytes}-`} : {};
      const response = await call(ROUTES.taskLog, {params: {task_id: taskId}, headers, signal: c.signal});
      logState.textContent = logBytes > 0 ? `resumed at byte ${logBytes}` : 'following';
      logPre.dataset.resumedAt = logBytes > 0 ? String(logBytes) : logPre.dataset.resumedAt || '';
      const reader = response.body.getReader();
      for (;;) {
        const {done, value} = await reader.read();
        if (done) {
          break;
        }
        logBytes += value.byteLength;
        appendLog(decoder.decode(value, {stream: true}));
      }
      appendLog(decoder.decode());
      // the stream ends with the run; a task that has not ended (handed back, retried) is followed again
      const now = await json(ROUTES.getTask, {params: {task_id: taskId}, signal: c.signal});
      if (!isTerminal(now.status)) {
        later(followLog, RETRY_MS);
      } else {
        logState.textContent = `complete, ${formatBytes(logBytes)}`;
      }
    } catch (e) {
      if (e.name === 'AbortError' || stopped || (e instanceof ApiError && e.status === 401)) {
        return;
      }
      if (e instanceof ApiError && e.status === 416) {
        logState.textContent = `complete, ${formatBytes(logBytes)}`;
        return;
      }
      logState.textContent = `connection lost at byte ${logBytes}; resuming…`;
      later(followLog, RETRY_MS);
    } finally {
      controllers.delete(c);
    }
  }

  async function loadArtifacts() {
    try {
      const list = await json(ROUTES.listArtifacts, {params: {task_id: taskId}});
      if (list.artifacts.length === 0) {
        fill(artifactList, h('p', {class: 'muted'}, isTerminal(task?.status) ? 'No artifacts.' : 'None yet: artifacts are listed when the run ends.'));
        return;
      }
      fill(artifactList, h('ul', {class: 'artifacts'}, list.artifacts.map((artifact) => h('li', {},
        artifact.error
          ? [h('span', {class: 'mono'}, artifact.name), ' ', h('span', {class: 'error-text'}, `${artifact.error.reason}: ${artifact.error.message}`)]
          : [h('button', {type: 'button', class: 'link-button mono', 'data-artifact': artifact.name,
            'aria-label': `Download ${artifact.name} (${formatBytes(artifact.size)})`, onclick: () => download(artifact.name)}, artifact.name),
          ' ', h('span', {class: 'muted'}, formatBytes(artifact.size))]))));
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) {
        fill(artifactList, errorBox(e, 'The artifacts could not be listed'));
      }
    }
  }

  async function download(name) {
    try {
      const response = await call(ROUTES.downloadArtifact, {params: {task_id: taskId, name}});
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = h('a', {href: url, download: name.split('/').pop(), hidden: true});
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      announce(`Downloaded ${name}`);
    } catch (e) {
      fill(problem, errorBox(e, `${name} could not be downloaded`));
    }
  }

  async function loadPayload() {
    try {
      payloadPre.textContent = JSON.stringify(await json(ROUTES.taskPayload, {params: {task_id: taskId}}), null, 2);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) {
        payloadPre.textContent = `The payload could not be loaded: ${e.message}`;
      }
    }
  }

  (async () => {
    await poll();
    if (task) {
      followLog();
      loadPayload();
      if (!isTerminal(task.status)) {
        loadArtifacts();
      }
    }
  })();

  // durations of a running task grow while nothing else changes
  const ticker = setInterval(() => {
    if (task && !isTerminal(task.status)) {
      const cell = [...summary.querySelectorAll('dt')].find((dt) => dt.textContent === 'Duration')?.nextElementSibling;
      if (cell) {
        cell.textContent = durationText(task);
      }
    }
  }, 1000);

  return {
    element,
    title: `Task ${taskId}`,
    stop: () => {
      stopped = true;
      clearInterval(ticker);
      timers.forEach(clearTimeout);
      controllers.forEach((c) => c.abort());
    },
  };
}
