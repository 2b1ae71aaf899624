// dangjian's own page behaviour. It lives here rather than in on…= attributes because the
// Content-Security-Policy allows no inline script. Elements opt in with data- attributes:
//   data-autosubmit         a filter field that submits its form when changed
//   data-confirm="…"        a form that asks before it is sent (withdrawing, ending)
//   data-busy-text="…"      a submit button whose label changes while its form is sent
//   data-file-count         a file input whose choice is counted in the .file-names beside it
//   data-back               a link that goes back in history when there is history
//   data-searchable         a long <select> that gets a box to find its options by name,
//                           full pinyin or initials (each option's data-keys)
//   data-step-select        the step chosen in a 发展党员 file's form: only the fieldsets
//                           whose data-for lists it are shown and sent
(function () {
  'use strict';

  // A select of hundreds of organisations or communities: typing two characters of the
  // name or its pinyin narrows it, and the first match is chosen.
  function searchable(select) {
    var box = document.createElement('input');
    box.type = 'search';
    box.className = 'picker';
    box.placeholder = '输入名称或拼音筛选，如 春山 / cs';
    box.setAttribute('aria-label', (select.getAttribute('aria-label') || '选项') + '：输入名称或拼音筛选');
    box.autocomplete = 'off';
    select.parentNode.insertBefore(box, select);
    box.addEventListener('input', function () {
      var q = box.value.trim().toLowerCase().replace(/\s+/g, '');
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) { option.hidden = false; return; }
        var keys = (option.textContent + ' ' + (option.getAttribute('data-keys') || '')).toLowerCase();
        var match = q.length === 0 || keys.indexOf(q) >= 0;
        option.hidden = !match;
        if (match && !first) first = option;
      });
      var current = select.selectedOptions[0];
      if (q.length > 0 && first && (!current || !current.value || current.hidden)) {
        select.value = first.value;
        select.dispatchEvent(new Event('change', { bubbles: true }));
      }
    });
  }
  // A step's own fields: the others are hidden and disabled, so they are not sent either.
  // Without script every fieldset shows, each saying when it applies.
  function showStepFields(select) {
    var form = select.form;
    if (!form) return;
    Array.prototype.forEach.call(form.querySelectorAll('fieldset[data-for]'), function (set) {
      var on = set.getAttribute('data-for').split(' ').indexOf(select.value) >= 0;
      set.hidden = !on;
      set.disabled = !on;
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('select[data-searchable]'), searchable);
    Array.prototype.forEach.call(document.querySelectorAll('select[data-step-select]'), showStepFields);
  });

  document.addEventListener('change', function (event) {
    var el = event.target;
    if (!(el instanceof Element)) return;
    if (el.hasAttribute('data-autosubmit') && el.form) {
      el.form.submit();
    }
    if (el.hasAttribute('data-step-select')) {
      showStepFields(el);
    }
    if (el.hasAttribute('data-file-count')) {
      var field = el.closest('.file-field');
      var names = field && field.querySelector('.file-names');
      if (names) {
        names.textContent = el.files && el.files.length ? '已选 ' + el.files.length + ' 张' : '未选择';
      }
    }
  });

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.hasAttribute('data-confirm') && !window.confirm(form.getAttribute('data-confirm'))) {
      event.preventDefault();
      return;
    }
    var button = event.submitter || form.querySelector('button[data-busy-text]');
    if (button && button.hasAttribute('data-busy-text')) {
      button.textContent = button.getAttribute('data-busy-text');
    }
  });

  document.addEventListener('click', function (event) {
    var link = event.target instanceof Element ? event.target.closest('a[data-back]') : null;
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
    if (event.target instanceof Element && event.target.closest('[data-print]')) {
      window.print();
    }
  });
})();
