// The task list: newest first, a status filter, paging by the API's page tokens, live refresh every 2 s.
import {ApiError, ROUTES, json} from './api.js';
import {STATES, durationText, errorBox, fill, h, progressBar, statusBadge, timeElement} from './dom.js';

const REFRESH_MS = 2000;
const PAGE_SIZE = 20;

export function taskListView(query) {
  const status = STATES.includes(query.get('status')) ? query.get('status') : '';
  // page tokens of the pages before the current one; the current page's own token last (undefined: the first page)
  const tokens = [undefined];
  let timer = null;
  let stopped = false;
  let inFlight = null;

  const select = h('select', {id: 'status-filter', name: 'status'},
    h('option', {value: ''}, 'All states'),
    STATES.map((s) => h('option', {value: s, selected: s === status}, s)));
  select.addEventListener('change', () => {
    location.hash = select.value ? `#/tasks?status=${select.value}` : '#/tasks';
  });
  const live = h('span', {class: 'live', 'aria-hidden': 'true'}, 'live');
  const tbody = h('tbody', {});
  const table = h('table', {class: 'tasks', 'aria-describedby': 'list-caption'},
    h('caption', {id: 'list-caption', class: 'visually-hidden'}, 'Tasks, newest first; the states refresh every 2 seconds'),
    h('thead', {}, h('tr', {},
      h('th', {scope: 'col'}, 'Task'),
      h('th', {scope: 'col'}, 'State'),
      h('th', {scope: 'col'}, 'Progress'),
      h('th', {scope: 'col'}, 'Created'),
      h('th', {scope: 'col'}, 'Duration'),
      h('th', {scope: 'col'}, 'Attempt'))),
    tbody);
  const empty = h('p', {class: 'empty', hidden: true}, status ? `No ${status} tasks.` : 'No tasks yet. ', status ? null
    : h('a', {href: '#/submit'}, 'Submit one.'));
  const problem = h('div', {});
  const previous = h('button', {type: 'button', class: 'secondary', disabled: true}, '← Newer');
  const next = h('button', {type: 'button', class: 'secondary', disabled: true}, 'Older →');
  const pageLabel = h('span', {class: 'page-label', 'aria-live': 'polite'}, 'Page 1');
  let nextToken = null;
  previous.addEventListener('click', () => {
    if (tokens.length > 1) {
      tokens.pop();
      refresh(true);
    }
  });
  next.addEventListener('click', () => {
    if (nextToken) {
      tokens.push(nextToken);
      refresh(true);
    }
  });

  const element = h('section', {class: 'view', 'aria-labelledby': 'tasks-title'},
    h('div', {class: 'view-head'},
      h('h1', {id: 'tasks-title'}, 'Tasks ', live),
      h('div', {class: 'filters'}, h('label', {for: 'status-filter'}, 'State'), select),
      h('a', {class: 'button primary', href: '#/submit'}, 'New task')),
    problem,
    h('div', {class: 'table-wrap'}, table),
    empty,
    h('nav', {class: 'pager', 'aria-label': 'Pages'}, previous, pageLabel, next));

  function row(task) {
    return h('tr', {'data-task-id': task.task_id},
      h('td', {'data-label': 'Task'}, h('a', {href: `#/tasks/${encodeURIComponent(task.task_id)}`, class: 'task-link mono'}, task.task_id)),
      h('td', {'data-label': 'State'}, statusBadge(task.status)),
      h('td', {'data-label': 'Progress'}, progressBar(task)),
      h('td', {'data-label': 'Created'}, timeElement(task.created_at)),
      h('td', {'data-label': 'Duration', class: 'duration'}, durationText(task)),
      h('td', {'data-label': 'Attempt'}, String(task.attempt)));
  }

  async function refresh(moved) {
    if (stopped) {
      return;
    }
    clearTimeout(timer);
    inFlight?.abort();
    const controller = new AbortController();
    inFlight = controller;
    try {
      const page = await json(ROUTES.listTasks, {query: {status, page_size: PAGE_SIZE, page_token: tokens[tokens.length - 1]},
        signal: controller.signal});
      if (stopped) {
        return;
      }
      fill(problem);
      // rows are replaced one by one, so that focus and the reading position stay where they were
      const rows = page.tasks.map(row);
      const old = new Map([...tbody.children].map((tr) => [tr.dataset.taskId, tr]));
      if (moved || rows.length !== old.size || rows.some((r, i) => tbody.children[i]?.dataset.taskId !== r.dataset.taskId)) {
        fill(tbody, rows);
      } else {
        rows.forEach((r, i) => {
          const current = tbody.children[i];
          if (current.textContent !== r.textContent || current.querySelector('[data-percent]')?.dataset.percent
              !== r.querySelector('[data-percent]')?.dataset.percent) {
            if (current.contains(document.activeElement)) {
              // keep the focused link: update the other cells only
              [...r.children].slice(1).forEach((cell, j) => current.children[j + 1].replaceWith(cell));
            } else {
              current.replaceWith(r);
            }
          }
        });
      }
      empty.hidden = page.tasks.length > 0;
      table.hidden = page.tasks.length === 0;
      nextToken = page.next_page_token;
      next.disabled = !nextToken;
      previous.disabled = tokens.length <= 1;
      pageLabel.textContent = `Page ${tokens.length}`;
      live.classList.toggle('live-on', true);
    } catch (e) {
      if (e.name === 'AbortError' || stopped) {
        return;
      }
      live.classList.toggle('live-on', false);
      if (e instanceof ApiError && e.status === 401) {
        return;
      }
      fill(problem, errorBox(e, 'The task list could not be loaded'));
    }
    timer = setTimeout(() => refresh(false), REFRESH_MS);
  }

  refresh(true);
  return {
    element,
    title: status ? `${status} tasks` : 'Tasks',
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      inFlight?.abort();
    },
  };
}
