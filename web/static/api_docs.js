// Renders the API document with the vendored Swagger UI (no CDN).
window.addEventListener("load", function () {
  var spec = document.currentScript ? document.currentScript.dataset.spec : null;
  spec = spec || document.querySelector("script[data-spec]").dataset.spec;
  // validatorUrl: null — no badge fetched from swagger.io: the docs page loads nothing from outside
  window.SwaggerUIBundle({ url: spec, dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });
});
