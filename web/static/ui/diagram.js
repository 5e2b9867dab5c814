/* Draws the workflow diagram from the Mermaid text the page already shows. */
(function () {
  "use strict";
  if (typeof mermaid === "undefined") { return; }
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral" });
  mermaid.run({ querySelector: "pre.mermaid" }).then(function () {
    var svg = document.querySelector(".cf-diagram svg");
    if (svg) {
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", document.getElementById("diagram-heading").textContent);
    }
  });
}());
