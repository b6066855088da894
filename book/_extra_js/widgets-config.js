// Point RequireJS at the self-hosted widget code in ./vendor/ (see scripts/vendor_widget_js.sh).
//
// Loaded after require.js and before embed-amd.js on every page that carries widget state (myst-nb adds the
// scripts listed in `nb_ipywidgets_js`, _config.yml). Pages sit at different depths, so the vendor folder is
// found relative to this script's own URL rather than the page's. The `@jupyter-widgets` mapping also fixes
// where embed-amd.js looks for its icon fonts (it derives its public path from its module URL).
(function () {
  var here = document.currentScript.src;
  var root = here.slice(0, here.lastIndexOf("/") + 1) + "vendor/";
  window.requirejs.config({
    paths: {
      "@jupyter-widgets/html-manager": root + "jupyter-widgets/embed-amd",
      "@jupyter-widgets": root + "jupyter-widgets",
      anywidget: root + "anywidget/index",
    },
  });
})();
