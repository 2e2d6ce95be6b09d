// The console's entry: sign-in, the hash router (#/tasks, #/tasks/ID, #/submit, #/dashboard) and the navigation.
import {ApiError, ROUTES, call, onUnauthorized, session} from './api.js';
import {fill, h} from './dom.js';
import {taskListView} from './tasks.js';
import {taskView} from './task.js';
import {submitView} from './submit.js';
import {dashboardView} from './dashboard.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let cleanup = () => {};
let signInReason = null;

function parseHash() {
  const hash = location.hash.replace(/^#/, '') || '/tasks';
  const [path, queryText] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return {parts, query: new URLSearchParams(queryText || '')};
}

function render() {
  cleanup();
  cleanup = () => {};
  if (!session.token()) {
    showSignIn();
    return;
  }
  nav.hidden = false;
  const {parts, query} = parseHash();
  const section = parts[0] || 'tasks';
  for (const link of nav.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === section) {
      link.setAttribute('aria-current', 'page');
    } else {
      link.removeAttribute('aria-current');
    }
  }
  let view;
  if (section === 'tasks' && parts[1]) {
    view = taskView(parts[1]);
  } else if (section === 'submit') {
    view = submitView();
  } else if (section === 'dashboard') {
    view = dashboardView();
  } else {
    view = taskListView(query);
  }
  fill(main, view.element);
  document.title = `${view.title} · taskyard`;
  cleanup = view.stop || (() => {});
  main.focus({preventScroll: true});
}

function showSignIn() {
  nav.hidden = true;
  document.title = 'Sign in · taskyard';
  const input = h('input', {id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true,
    spellcheck: 'false', 'aria-describedby': 'token-help'});
  const message = h('div', {id: 'sign-in-message', role: 'alert'});
  if (signInReason) {
    fill(message, h('p', {class: 'error-text'}, signInReason));
  }
  const button = h('button', {type: 'submit', class: 'primary'}, 'Sign in');
  const form = h('form', {class: 'sign-in card', 'aria-labelledby': 'sign-in-title', novalidate: true},
    h('h1', {id: 'sign-in-title'}, 'Sign in to taskyard'),
    h('label', {for: 'token'}, 'API token'),
    input,
    h('p', {id: 'token-help', class: 'help'},
      'The bearer token of this server: from its config, or the token file that ', h('code', {}, 'taskyard serve'),
      ' prints at start. It is kept in this browser tab only, until you sign out or close the tab.'),
    message,
    button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      fill(message, h('p', {class: 'error-text'}, 'Enter the API token.'));
      input.focus();
      return;
    }
    button.disabled = true;
    try {
      // any authenticated route proves the token; the first page of one task is the cheapest
      await call(ROUTES.listTasks, {query: {page_size: 1}, token});
      session.signIn(token);
      signInReason = null;
      render();
    } catch (e) {
      const text = e instanceof ApiError && e.status === 401 ? 'The server did not accept this token.' : e.message;
      fill(message, h('p', {class: 'error-text'}, text));
      input.focus();
      input.select();
    } finally {
      button.disabled = false;
    }
  });
  fill(main, form);
  input.focus();
}

onUnauthorized(() => {
  signInReason = 'Your session has ended or the token is no longer valid: sign in again.';
  render();
});

document.getElementById('sign-out').addEventListener('click', () => {
  session.signOut();
  signInReason = 'You have signed out.';
  render();
});

window.addEventListener('hashchange', render);
render();
