// "Comment on selection" (templates/drafts/_comments.html): words selected in the draft's text
// fill the comment form's passage, with the source range of the block they were selected in
// (data-src, offsets into the version's Markdown), so the server anchors them there. Without
// this script the form still works: the passage is pasted into the same field.
(function () {
  "use strict";

  function element(node) {
    return node && (node.nodeType === 1 ? node : node.parentElement);
  }

  function selected() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.toString().trim()) return null;
    var start = element(selection.anchorNode);
    var prose = start && start.closest(".prose[data-comments]");
    if (!prose || !prose.contains(element(selection.focusNode))) return null;
    return { text: selection.toString(), block: start.closest("[data-src]") };
  }

  function fill() {
    var form = document.getElementById("comment-form");
    var picked = selected();
    if (!form || !picked) return;
    form.elements.quote.value = picked.text;
    var range = picked.block ? picked.block.getAttribute("data-src").split("-") : ["", ""];
    form.elements.block_start.value = range[0];
    form.elements.block_end.value = range[1];
    var button = document.getElementById("comment-on-selection");
    if (button) button.disabled = false;
  }

  // The button exists for this script only: shown once it runs (and after htmx swaps in a
  // new version's text), disabled until words are selected.
  function show() {
    var button = document.getElementById("comment-on-selection");
    if (button) button.hidden = false;
  }
  document.addEventListener("DOMContentLoaded", show);
  document.addEventListener("htmx:afterSettle", show);
  document.addEventListener("selectionchange", fill);
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#comment-on-selection");
    if (!button) return;
    fill();
    var body = document.querySelector("#comment-form textarea[name=body]");
    if (body) body.focus();
  });
  // The form's passage field, edited by hand, no longer comes from a block.
  document.addEventListener("input", function (event) {
    if (event.target.name === "quote" && event.target.form && event.target.form.id === "comment-form") {
      event.target.form.elements.block_start.value = "";
      event.target.form.elements.block_end.value = "";
    }
  });
})();
