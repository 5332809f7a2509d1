// Procure's only script besides htmx: ask for confirmation where a template says data-confirm.
// (No inline onclick: the Content-Security-Policy forbids inline scripts, and a confirmation
// text built from data, such as an e-mail address, never becomes JavaScript.)
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
    event.stopPropagation();
  }
}, true);

// Warn before leaving a page where a form marked data-warn-unsaved holds unsaved changes
// (typed notes are never lost silently). The server marks a form data-dirty when it shows it
// again with what was typed but not saved (a refused form).
(function () {
  function watched(target) {
    var form = target && (target.form || (target.closest ? target.closest("form") : null));
    return form && form.hasAttribute("data-warn-unsaved") ? form : null;
  }
  function markDirty(event) {
    var form = watched(event.target);
    if (form) {
      form.setAttribute("data-dirty", "");
    }
  }
  document.addEventListener("input", markDirty, true);
  document.addEventListener("change", markDirty, true);
  document.addEventListener("submit", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-warn-unsaved")) {
      event.target.removeAttribute("data-dirty");
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (document.querySelector("form[data-warn-unsaved][data-dirty]")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
