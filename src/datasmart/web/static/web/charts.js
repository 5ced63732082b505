/* Draw every Plotly figure on the page.
 *
 * The server puts each figure in a JSON block ({{ figure|json_script:"id" }}) and marks the
 * target element with data-figure="id"; no inline script is needed, so the page works
 * under a strict Content-Security-Policy (script-src 'self').
 * An element with data-click-navigates follows the URL in customdata[1] of a clicked point
 * (the map: a click on a kommun opens its page).
 */
(function () {
  "use strict";

  var CONFIG = {
    responsive: true,
    displaylogo: false,
    scrollZoom: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };

  function isLocalPath(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/";
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source || !window.Plotly) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    var config = Object.assign({}, CONFIG, figure.config || {});
    if (!el.hasAttribute("data-click-navigates")) {
      config.displayModeBar = false;
    }
    window.Plotly.newPlot(el, figure.data, figure.layout, config).then(function () {
      el.setAttribute("data-drawn", "true");
    });
    if (el.hasAttribute("data-click-navigates")) {
      el.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        var url = point && point.customdata && point.customdata[1];
        if (isLocalPath(url)) {
          window.location.assign(url);
        }
      });
    }
  }

  function drawAll(root) {
    var nodes = (root || document).querySelectorAll("[data-figure]");
    for (var i = 0; i < nodes.length; i++) {
      draw(nodes[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  // figures inside content swapped in by htmx
  document.addEventListener("htmx:afterSettle", function (event) {
    drawAll(event.target);
  });
})();
