// The print button of the answer page (a file, not an inline handler: the CSP forbids those).
document.addEventListener('click', function (e) {
  var t = e.target;
  if (t && t.closest && t.closest('[data-print]')) {
    window.print();
  }
});
