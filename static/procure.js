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

// A form refused with 422 answers with its fragment re-rendered with each field's message:
// show it (htmx 2 swaps no 4xx response by default, so the person would see nothing).
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr && event.detail.xhr.status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
