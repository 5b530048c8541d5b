// The console's only script of its own: draws the charts from the JSON each page embeds
// (<script type="application/json" class="chart-spec">). Pages read without it.
(function () {
  'use strict';
  var palette = { blue: '#1f5fa8', green: '#1b7a3a', red: '#b3261e', amber: '#a35f00', grey: '#5f6b7a', purple: '#6b3fa0' };
  var order = ['blue', 'green', 'amber', 'red', 'purple', 'grey'];
  function percent(v) { return Math.round(v * 1000) / 10 + '%'; }
  function draw(el) {
    var spec;
    try { spec = JSON.parse(el.textContent || "{}"); } catch { return; }
    var canvas = document.getElementById(spec.id);
    if (!canvas || !window.Chart || canvas.dataset.drawn) return;
    canvas.dataset.drawn = '1';
    var fmt = spec.format === 'percent' ? percent : undefined;
    var datasets = spec.series.map(function (s, i) {
      var colour = palette[s.color || order[i % order.length]];
      return {
        label: s.label, data: s.data, type: s.type, stack: s.stack,
        borderColor: colour, backgroundColor: s.type === 'line' || spec.type === 'line' ? colour : colour + 'cc',
        borderDash: s.dashed ? [6, 4] : undefined, pointRadius: s.points ? 5 : spec.type === 'line' ? 2 : undefined, spanGaps: true,
        showLine: s.points ? false : undefined, pointStyle: s.points ? 'rectRot' : undefined,
      };
    });
    var valueAxis = { beginAtZero: true, stacked: !!spec.stacked, min: spec.min, max: spec.max, ticks: fmt ? { callback: fmt } : { precision: 0 } };
    var categoryAxis = { stacked: !!spec.stacked, ticks: { autoSkip: true, maxRotation: 0 } };
    var scales = spec.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis };
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, indexAxis: spec.horizontal ? 'y' : 'x', scales: scales,
        plugins: {
          legend: { display: spec.series.length > 1 },
          tooltip: fmt ? { callbacks: { label: function (ctx) {
            var v = ctx.raw;
            return ctx.dataset.label + ': ' + (Array.isArray(v) ? percent(v[0]) + ' – ' + percent(v[1]) : percent(v));
          } } } : {},
        },
      },
    });
  }
  function drawAll(root) {
    var specs = (root || document).querySelectorAll('script.chart-spec');
    for (var i = 0; i < specs.length; i++) draw(specs[i]);
  }
  document.addEventListener('DOMContentLoaded', function () { drawAll(document); });
  // Fragments htmx swaps in may carry charts of their own.
  document.addEventListener('htmx:afterSettle', function (e) { drawAll(e.target); });
})();
