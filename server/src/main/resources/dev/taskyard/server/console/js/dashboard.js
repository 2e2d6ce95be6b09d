// The dashboard: tasks by state now, and queue depth, running tasks and throughput over the last minutes from
// GET /v1/stats, drawn with uPlot (the WebJar bundled in the jar). Refreshes every 5 s.
import uPlot from '../vendor/uplot/uPlot.esm.js';
import {ApiError, ROUTES, json} from './api.js';
import {STATES, errorBox, fill, h} from './dom.js';

const REFRESH_MS = 5000;
const COLORS = {queue: '#b26b00', running: '#1f6fb2', finished: '#2e7d32', submitted: '#6a4c93'};

function chartOptions(title, width, series, bars) {
  return {
    title,
    width,
    height: 220,
    cursor: {drag: {x: false, y: false}},
    scales: {x: {time: true}, y: {range: (u, min, max) => [0, Math.max(4, Math.ceil(max * 1.2))]}},
    axes: [{stroke: '#445', grid: {stroke: '#e6e8ee'}}, {stroke: '#445', grid: {stroke: '#e6e8ee'}, size: 44}],
    series: [{label: 'Time'}, ...series.map(([label, color]) => ({
      label, stroke: color, width: 2, fill: bars ? `${color}aa` : `${color}22`,
      paths: bars ? uPlot.paths.bars({size: [0.6, 40]}) : undefined, points: {show: false},
    }))],
  };
}

export function dashboardView() {
  let stopped = false;
  let timer = null;
  let depthChart = null;
  let throughputChart = null;
  const cards = h('div', {class: 'state-cards', id: 'state-cards'});
  const problem = h('div', {});
  const depthBox = h('figure', {class: 'chart', id: 'chart-depth', 'aria-labelledby': 'depth-caption'},
    h('figcaption', {id: 'depth-caption'}, 'Queue depth and running tasks'));
  const throughputBox = h('figure', {class: 'chart', id: 'chart-throughput', 'aria-labelledby': 'throughput-caption'},
    h('figcaption', {id: 'throughput-caption'}, 'Throughput: tasks submitted and finished per interval'));
  const summary = h('p', {class: 'visually-hidden', id: 'chart-summary', 'aria-live': 'polite'});
  const element = h('section', {class: 'view', 'aria-labelledby': 'dashboard-title'},
    h('div', {class: 'view-head'}, h('h1', {id: 'dashboard-title'}, 'Dashboard')),
    problem,
    h('section', {'aria-label': 'Tasks by state'}, cards),
    h('div', {class: 'charts'}, depthBox, throughputBox),
    summary);

  function width(box) {
    return Math.max(260, Math.floor(box.clientWidth || 600) - 8);
  }

  function draw(stats) {
    fill(cards, STATES.map((state) => h('a', {class: `state-card state-${state.toLowerCase()}`, href: `#/tasks?status=${state}`,
      'data-state': state, 'aria-label': `${stats.tasks[state] ?? 0} ${state} tasks`},
    h('span', {class: 'state-count'}, String(stats.tasks[state] ?? 0)), h('span', {class: 'state-name'}, state))));
    const xs = stats.samples.map((s) => Date.parse(s.at) / 1000);
    const depth = [xs, stats.samples.map((s) => s.queue_depth), stats.samples.map((s) => s.running)];
    const throughput = [xs, stats.samples.map((s) => s.submitted), stats.samples.map((s) => s.finished)];
    if (!depthChart) {
      depthChart = new uPlot(chartOptions(null, width(depthBox), [['queue depth', COLORS.queue], ['running', COLORS.running]], false),
        depth, depthBox);
      throughputChart = new uPlot(chartOptions(null, width(throughputBox),
        [['submitted', COLORS.submitted], ['finished', COLORS.finished]], true), throughput, throughputBox);
    } else {
      depthChart.setData(depth);
      throughputChart.setData(throughput);
    }
    const last = stats.samples[stats.samples.length - 1];
    const minutes = Math.round(stats.samples.length * stats.interval_seconds / 60);
    summary.textContent = last
      ? `Over the last ${minutes} minute(s): queue depth now ${last.queue_depth}, running ${last.running}, `
        + `${stats.samples.reduce((n, s) => n + s.finished, 0)} tasks finished.`
      : 'No samples yet.';
  }

  async function refresh() {
    try {
      const stats = await json(ROUTES.stats);
      if (stopped) {
        return;
      }
      fill(problem);
      draw(stats);
    } catch (e) {
      if (stopped || (e instanceof ApiError && e.status === 401)) {
        return;
      }
      fill(problem, errorBox(e, 'The figures could not be loaded'));
    }
    timer = setTimeout(refresh, REFRESH_MS);
  }

  const resize = new ResizeObserver(() => {
    depthChart?.setSize({width: width(depthBox), height: 220});
    throughputChart?.setSize({width: width(throughputBox), height: 220});
  });
  resize.observe(element);
  refresh();
  return {
    element,
    title: 'Dashboard',
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      resize.disconnect();
      depthChart?.destroy();
      throughputChart?.destroy();
    },
  };
}
