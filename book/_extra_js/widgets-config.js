// Point RequireJS at the self-hosted widget code in ./vendor/ (see scripts/vendor_widget_js.sh).
//
// Loaded after require.js and before embed-amd.js on every page that carries widget state (myst-nb adds the
// scripts listed in `nb_ipywidgets_js`, _config.yml). Pages sit at different depths, so the vendor folder is
// found relative to this script's own URL rather than the page's. The `@jupyter-widgets` mappings decide
// where embed-amd.js looks for its icon fonts: it derives its public path from the URL RequireJS gives
// `@jupyter-widgets/html-manager/dist/libembed-amd`, which must therefore be the folder holding the fonts.
(function () {
  var here = document.currentScript.src;
  var root = here.slice(0, here.lastIndexOf("/") + 1) + "vendor/";
  window.requirejs.config({
    paths: {
      // embed-amd.js defines these modules itself; the URLs only place their "directory" where the fonts are.
      "@jupyter-widgets/html-manager/dist": root + "jupyter-widgets",
      "@jupyter-widgets": root + "jupyter-widgets",
      anywidget: root + "anywidget/index",
    },
  });
})();
