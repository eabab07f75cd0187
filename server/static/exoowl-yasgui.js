// YASGUI on /, pointed at this server's /sparql, one tab per named query (queries/*.rq).
(function () {
  "use strict";
  var queries = JSON.parse(document.getElementById("named-queries").textContent);
  var endpoint = new URL("/sparql", window.location.href).href;
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    populateFromUrl: false,
    autoAddOnInit: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { autocompleters: ["variables"] }
  });
  queries.forEach(function (q, i) {
    yasgui.addTab(i === 0, { name: q.name, yasqe: { value: q.sparql }, requestConfig: { endpoint: endpoint } });
  });
  window.exoowlYasgui = yasgui;
})();
