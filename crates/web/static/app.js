// dangjian's own page behaviour. It lives here rather than in on…= attributes because the
// Content-Security-Policy allows no inline script. Elements opt in with data- attributes:
//   data-autosubmit         a filter field that submits its form when changed
//   data-busy-text="…"      a submit button whose label changes while its form is sent
//   data-file-count         a file input whose choice is counted in the .file-names beside it
//   data-back               a link that goes back in history when there is history
(function () {
  'use strict';

  document.addEventListener('change', function (event) {
    var el = event.target;
    if (!(el instanceof Element)) return;
    if (el.hasAttribute('data-autosubmit') && el.form) {
      el.form.submit();
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
