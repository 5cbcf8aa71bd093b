// Moat HTML report: the graph tab. Draws a Graph ({nodes, edges}) with cytoscape, which
// the build puts before this file; report.js calls MoatGraph.draw for each graph tab.
(function () {
  'use strict';

  // Shapes and colour variables by node kind; other kinds are drawn plain.
  var KINDS = {
    entry: ['diamond', '--critical'],
    workload: ['round-rectangle', '--accent'],
    serviceaccount: ['ellipse', '--medium'],
    secret: ['hexagon', '--high'],
    node: ['rectangle', '--info'],
    power: ['star', '--critical']
  };
  var LARGE = 1500; // nodes past which the layout is a grid: a layered one takes seconds

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
  }

  // cytoscape adds a <style> element to the head unless one with this ID is there. The
  // page's Content-Security-Policy allows no style it did not hash, so report.css holds
  // that rule (.__________cytoscape_container) and an empty element takes the ID.
  function markStylesheet() {
    var id = '__________cytoscape_stylesheet';
    if (!document.getElementById(id)) {
      var m = document.createElement('meta');
      m.id = id;
      document.head.appendChild(m);
    }
  }

  function draw(box, g, h) {
    var el = h.el, vis = h.vis;
    var elements = [];
    g.nodes.forEach(function (n) {
      elements.push({ group: 'nodes', data: { id: n.id, label: vis(n.label || n.id), kind: n.kind } });
    });
    var known = Object.create(null);
    g.nodes.forEach(function (n) { known[n.id] = n; });
    g.edges.forEach(function (e, i) {
      if (known[e.from] && known[e.to]) {
        elements.push({ group: 'edges', data: { id: 'e' + i, source: e.from, target: e.to, kind: e.kind, at: i } });
      }
    });
    var fg = cssVar('--fg'), muted = cssVar('--muted'), bg = cssVar('--bg');
    var style = [
      { selector: 'node', style: {
        'label': 'data(label)', 'color': fg, 'font-size': 10, 'font-family': 'system-ui, sans-serif',
        'text-valign': 'bottom', 'text-margin-y': 4, 'background-color': muted, 'width': 22, 'height': 22,
        'text-wrap': 'ellipsis', 'text-max-width': 140, 'text-background-color': bg, 'text-background-opacity': 0.7
      } },
      { selector: 'edge', style: {
        'width': 1.5, 'line-color': muted, 'target-arrow-color': muted, 'target-arrow-shape': 'triangle',
        'curve-style': 'bezier', 'label': 'data(kind)', 'font-size': 8, 'color': muted, 'text-rotation': 'autorotate'
      } },
      { selector: ':selected', style: { 'border-width': 3, 'border-color': cssVar('--focus'), 'line-color': cssVar('--focus'), 'target-arrow-color': cssVar('--focus') } }
    ];
    Object.keys(KINDS).forEach(function (k) {
      style.push({ selector: 'node[kind = "' + k + '"]', style: { 'shape': KINDS[k][0], 'background-color': cssVar(KINDS[k][1]) } });
    });
    markStylesheet();
    var cy = cytoscape({
      container: box, elements: elements, style: style, layout: { name: 'preset' },
      wheelSensitivity: 0.3, minZoom: 0.05, maxZoom: 4,
      textureOnViewport: g.nodes.length > LARGE, hideEdgesOnViewport: g.nodes.length > LARGE
    });
    // Layered from the nodes nothing points at (the entry points) when there are any,
    // left to right: the layers of a path read as a sentence, and labels are wide.
    var roots = cy.nodes().roots();
    cy.layout(g.nodes.length > LARGE ? { name: 'grid' } : {
      name: 'breadthfirst', directed: true, roots: roots.length ? roots : undefined,
      spacingFactor: 1.6, animate: false, fit: false,
      transform: function (node, pos) { return { x: pos.y * 3, y: pos.x * 0.6 }; }
    }).run();
    fit();

    var info = el('p', { class: 'muted', role: 'status', 'aria-live': 'polite', text: 'Select a node or an edge to see what it is and why it is there.' });
    // fit shows the whole graph, but no larger than life: a small graph is not blown up.
    function fit() {
      cy.fit(undefined, 30);
      if (cy.zoom() > 1.5) { cy.zoom(1.5); cy.center(); }
    }
    function zoom(f) {
      cy.zoom({ level: cy.zoom() * f, renderedPosition: { x: box.clientWidth / 2, y: box.clientHeight / 2 } });
    }
    h.bar.appendChild(el('button', { type: 'button', text: 'Zoom in', onclick: function () { zoom(1.25); } }));
    h.bar.appendChild(el('button', { type: 'button', text: 'Zoom out', onclick: function () { zoom(0.8); } }));
    h.bar.appendChild(el('button', { type: 'button', text: 'Fit', onclick: fit }));
    var legend = el('span', { class: 'legend' });
    Object.keys(KINDS).forEach(function (k) {
      if (!g.nodes.some(function (n) { return n.kind === k; })) return;
      var sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
      sw.style.background = cssVar(KINDS[k][1]);
      legend.appendChild(el('span', null, sw, k));
    });
    h.bar.appendChild(legend);
    box.parentNode.insertBefore(info, box.nextSibling);
    box.tabIndex = 0;
    box.addEventListener('keydown', function (ev) {
      if (ev.key === '+' || ev.key === '=') zoom(1.25);
      else if (ev.key === '-') zoom(0.8);
      else if (ev.key === '0') fit();
      else return;
      ev.preventDefault();
    });
    cy.on('tap', 'node', function (ev) {
      var n = known[ev.target.id()];
      info.textContent = vis([n.kind, n.namespace ? n.namespace + '/' : '', n.label || n.id, n.detail ? ': ' + n.detail : ''].join(' '));
    });
    cy.on('tap', 'edge', function (ev) {
      var e = g.edges[ev.target.data('at')];
      info.textContent = vis(e.kind + ' edge from ' + (known[e.from].label || e.from) + ' to ' + (known[e.to].label || e.to) +
        ((e.evidence || []).length ? ': ' + e.evidence.join('; ') : ''));
    });
    box.setAttribute('data-drawn', String(cy.nodes().length));
    return { cy: cy, shown: function () { cy.resize(); } };
  }

  window.MoatGraph = { draw: draw };
})();
