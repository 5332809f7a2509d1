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

// Repeated field groups (clause form: variables, references...): "Ajouter" copies the group's
// <template> row with the next index. Without JavaScript the buttons stay hidden and the form
// offers blank rows instead.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.hidden = false;
  });
  document.querySelectorAll(".no-js-hint").forEach(function (hint) { hint.hidden = true; });
});
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-add-row]") : null;
  if (!button) return;
  var group = button.getAttribute("data-add-row");
  var list = document.querySelector('[data-rows="' + group + '"]');
  var template = document.getElementById("tpl-" + group);
  if (!list || !template) return;
  var index = parseInt(list.getAttribute("data-next"), 10) || 0;
  var html = template.innerHTML.split("__i__").join(String(index))
    .split("__n__").join(String(index + 1));
  list.insertAdjacentHTML("beforeend", html);
  list.setAttribute("data-next", String(index + 1));
  var first = list.lastElementChild && list.lastElementChild.querySelector("input, select");
  if (first) first.focus();
});

// A form refused with 422 answers with its fragment re-rendered with each field's message:
// show it (htmx 2 swaps no 4xx response by default, so the person would see nothing).
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr && event.detail.xhr.status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

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
