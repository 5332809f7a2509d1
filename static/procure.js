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
