/* SIP pages: a "Kopiera länken" button for the invitation link (shown only when the
 * clipboard can be used; without JavaScript the link is selected text to copy by hand).
 * No inline scripts: the Content-Security-Policy allows scripts from our origin only. */
(function () {
  "use strict";
  function init() {
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      var input = document.getElementById(button.getAttribute("data-copy-target"));
      var status = document.querySelector("[data-copy-status]");
      if (!input) return;
      input.addEventListener("focus", function () { input.select(); });
      if (!navigator.clipboard || !window.isSecureContext) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(input.value).then(function () {
          if (status) status.textContent = status.getAttribute("data-copied-text");
        }, function () {
          input.focus();
          input.select();
        });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
