// Small DOM and formatting helpers. Text always goes in as text nodes (never as HTML).

/** Creates an element: h('a', {href: '#/x', class: 'y'}, 'text', child…). Attributes starting with "on" are listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.substring(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(element, child);
    } else {
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
}

/** Replaces the children of element. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export const TERMINAL = Object.freeze(['COMPLETED', 'FAILED', 'CANCELED']);
export const STATES = Object.freeze(['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELED']);

export function isTerminal(status) {
  return TERMINAL.includes(status);
}

/** The status as a badge (colour plus the word, so that colour is never the only cue). */
export function statusBadge(status) {
  return h('span', {class: `badge badge-${String(status).toLowerCase()}`, 'data-status': status}, status);
}

/** A progress bar with its value for assistive technology; a finished task shows its final value. */
export function progressBar(task, label) {
  const percent = Math.max(0, Math.min(100, Number(task.progress_percent) || 0));
  const fillBar = h('div', {class: 'progress-fill'});
  // CSSOM, not a style attribute: the Content-Security-Policy forbids inline styles
  fillBar.style.width = `${percent}%`;
  const bar = h('div', {class: `progress progress-${String(task.status).toLowerCase()}`, role: 'progressbar',
    'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': percent, 'aria-label': label || `Progress of task ${task.task_id}`,
    'data-percent': percent}, fillBar);
  return h('div', {class: 'progress-cell'}, bar, h('span', {class: 'progress-text'}, `${percent}%`));
}

/** Updates a bar made by progressBar in place (so that a live refresh does not rebuild rows). */
export function updateProgress(cell, task) {
  const fresh = progressBar(task, cell.querySelector('[role=progressbar]')?.getAttribute('aria-label'));
  cell.replaceWith(fresh);
  return fresh;
}

/** "2h 03m", "4m 05s", "12.3s", "0.4s". */
export function formatDuration(milliseconds) {
  if (milliseconds === null || milliseconds === undefined || Number.isNaN(milliseconds)) {
    return '–';
  }
  const ms = Math.max(0, milliseconds);
  if (ms < 60_000) {
    return `${(ms / 1000).toFixed(1)}s`;
  }
  const seconds = Math.floor(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  return hours > 0 ? `${hours}h ${String(minutes).padStart(2, '0')}m` : `${minutes}m ${String(rest).padStart(2, '0')}s`;
}

/** How long the task ran (or has been running, or waiting when it has not started). */
export function taskDuration(task, now = Date.now()) {
  if (!task.started_at) {
    return isTerminal(task.status) ? null : now - Date.parse(task.created_at);
  }
  const end = task.completed_at ? Date.parse(task.completed_at) : now;
  return end - Date.parse(task.started_at);
}

export function durationText(task) {
  const ms = taskDuration(task);
  if (ms === null) {
    return '–';
  }
  return task.started_at ? formatDuration(ms) : `waiting ${formatDuration(ms)}`;
}

/** "14:03:27" today, else the date and time, in the browser's locale; the full ISO time in a title. */
export function timeElement(iso) {
  if (!iso) {
    return h('span', {class: 'muted'}, '–');
  }
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  const text = today ? date.toLocaleTimeString() : date.toLocaleString();
  return h('time', {datetime: iso, title: iso}, text);
}

export function formatBytes(size) {
  if (size < 1024) {
    return `${size} B`;
  }
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Says text to screen readers (the polite live region of the page). */
export function announce(text) {
  const region = document.getElementById('announcer');
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 30);
}

/** Asks through the page's modal dialog; resolves true when confirmed. */
export function confirmDialog(title, text, confirmLabel) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-yes').textContent = confirmLabel;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), {once: true});
    dialog.showModal();
    document.getElementById('confirm-no').focus();
  });
}

/** A box listing an API error: its detail and each error with its path. */
export function errorBox(error, heading = 'The server refused this') {
  const items = (error.errors || []).map((e) => h('li', {}, h('code', {class: 'path'}, e.path), ' ', e.message));
  return h('div', {class: 'error-box', role: 'alert'},
    h('strong', {}, heading), h('p', {}, error.message),
    items.length ? h('ul', {class: 'violations'}, items) : null);
}
