// The Table 2 transfer network: /network.json drawn with Cytoscape.js; every node opens its entity page.
(function () {
  "use strict";
  var colours = { donor: "#1f77b4", mirna: "#d62728", cargo: "#ff7f0e", recipient: "#2ca02c",
                  target: "#9467bd", outcome: "#8c564b" };
  var form = document.getElementById("filters");
  var summary = document.getElementById("network-summary");
  var cy = cytoscape({
    container: document.getElementById("network"),
    style: [
      { selector: "node", style: { "label": "data(label)", "font-size": 9, "width": 14, "height": 14,
                                   "background-color": function (n) { return colours[n.data("kind")] || "#777"; } } },
      { selector: "edge", style: { "width": 1, "curve-style": "bezier", "target-arrow-shape": "triangle",
                                   "arrow-scale": 0.6, "line-color": "#bbb", "target-arrow-color": "#bbb" } }
    ]
  });
  var columns = { donor: 0, mirna: 1, cargo: 1, recipient: 2, target: 3, outcome: 4 };

  function layout() {
    var rows = {};
    cy.nodes().sort(function (a, b) { return a.data("label").localeCompare(b.data("label")); }).forEach(function (n) {
      var col = columns[n.data("kind")] || 0;
      rows[col] = (rows[col] || 0) + 1;
      n.position({ x: col * 260, y: rows[col] * 22 });
    });
    cy.fit(undefined, 20);
  }

  function load() {
    var params = new URLSearchParams(new FormData(form));
    Array.from(params.keys()).forEach(function (k) { if (!params.get(k)) { params.delete(k); } });
    fetch("/network.json?" + params.toString()).then(function (r) { return r.json(); }).then(function (data) {
      cy.elements().remove();
      cy.add(data.nodes.concat(data.edges));
      layout();
      summary.textContent = data.findings + " finding(s), " + data.nodes.length + " node(s)";
    });
  }

  cy.on("tap", "node", function (event) { window.location.href = event.target.data("href"); });
  form.addEventListener("change", load);
  load();
})();
