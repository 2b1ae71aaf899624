// The dashboard's charts. Each <div class="chart" data-chart='{…}'> is drawn with the vendored
// Apache ECharts; clicking a bar, slice or tile opens the rows behind it (the spec's links).
// The numbers are also in the table under each chart, for printing, screen readers and
// browsers without JavaScript.
(function () {
  'use strict';
  if (!window.echarts) return;

  var palette = ['#c8102e', '#e8743b', '#f2b134', '#5b8ff9', '#5ad8a6', '#945fb9',
    '#6dc8ec', '#ff99c3', '#1e9493', '#9b6b43', '#7f8c8d'];

  // Completion rates (‰) by the ledger's lights: green from 95%, amber from 80%, red below.
  function rateColor(rate) {
    if (rate === null || rate === undefined) return '#b0b0b0';
    if (rate >= 950) return '#2e8b57';
    if (rate >= 800) return '#d39b00';
    return '#c8102e';
  }

  function percentLabel(v) {
    return v === null || v === undefined ? '—' : v.toFixed(1) + '%';
  }

  function option(spec) {
    var base = {
      color: palette,
      textStyle: { fontFamily: 'system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif' },
      tooltip: { trigger: spec.type === 'pie' || spec.type === 'treemap' ? 'item' : 'axis', confine: true },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      animation: false
    };
    if (spec.type === 'pie') {
      base.series = [{
        type: 'pie', radius: ['32%', '58%'], center: ['50%', '50%'],
        label: { formatter: '{b} {c}人', fontSize: 11 },
        tooltip: { formatter: '{b}：{c} 人（{d}%）' },
        data: spec.names.map(function (n, i) { return { name: n, value: spec.values[i] }; })
      }];
      return base;
    }
    if (spec.type === 'treemap') {
      base.tooltip.formatter = function (p) {
        var d = p.data || {};
        return d.name + '<br>党员 ' + d.value + ' 人<br>组织生活完成率 ' +
          (d.rate === null || d.rate === undefined ? '—' : (d.rate / 10).toFixed(1) + '%');
      };
      base.series = [{
        type: 'treemap', roam: false, nodeClick: false, breadcrumb: { show: false },
        width: '100%', height: '100%', top: 0, left: 0,
        label: { formatter: function (p) {
          var r = p.data.rate;
          return p.name + '\n' + (r === null || r === undefined ? '—' : (r / 10).toFixed(1) + '%');
        }, fontSize: 12 },
        data: spec.nodes.map(function (n) {
          return { name: n.name, value: Math.max(n.value, 1), rate: n.rate, link: n.link,
            itemStyle: { color: rateColor(n.rate), borderColor: '#fff', borderWidth: 2 } };
        })
      }];
      return base;
    }
    // Bars and lines over categories (months, bands, institutions).
    var anyPercent = spec.series.some(function (s) { return s.percent; });
    var anyCount = spec.series.some(function (s) { return !s.percent; });
    base.legend = spec.series.length > 1 ? { top: 0, type: 'scroll' } : undefined;
    var crowded = spec.names.length > 6;
    base.xAxis = { type: 'category', data: spec.names,
      axisLabel: crowded ? { interval: 0, rotate: 35, fontSize: 11 } : { interval: 0 } };
    base.yAxis = [];
    if (anyCount) base.yAxis.push({ type: 'value', minInterval: 1 });
    if (anyPercent) base.yAxis.push({ type: 'value', max: 100, axisLabel: { formatter: '{value}%' } });
    if (spec.horizontal) {
      var x = base.xAxis;
      base.xAxis = base.yAxis[0];
      base.yAxis = x;
      base.yAxis.inverse = true;
    }
    base.series = spec.series.map(function (s) {
      var serie = {
        name: s.name, type: s.kind || 'bar', data: s.values, barMaxWidth: 28,
        yAxisIndex: spec.horizontal ? undefined : (s.percent && anyCount ? 1 : 0),
        connectNulls: true
      };
      if (s.percent) {
        serie.tooltip = { valueFormatter: percentLabel };
      }
      return serie;
    });
    return base;
  }

  function draw(el) {
    var spec;
    try {
      spec = JSON.parse(el.getAttribute('data-chart'));
    } catch (e) {
      return;
    }
    var chart = window.echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(option(spec));
    chart.on('click', function (p) {
      var link = (p.data && p.data.link) || (spec.links && spec.links[p.dataIndex]);
      if (link) window.location.href = link;
    });
    window.addEventListener('resize', function () { chart.resize(); });
    el.classList.add('drawn');
  }

  document.body.classList.add('charts-on');
  var charts = document.querySelectorAll('.chart[data-chart]');
  for (var i = 0; i < charts.length; i++) draw(charts[i]);
})();
