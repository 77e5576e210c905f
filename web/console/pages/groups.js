// Placeholder until the API for this page lands on main.
import { h } from '/console/dom.js';

function soon({ main }) {
  main.append(h('div', { class: 'page-head' }, h('h1', null, 'Not available yet')),
    h('p', null, 'This server does not offer this feature yet.'));
}
export const render = soon;
export const renderOne = soon;
