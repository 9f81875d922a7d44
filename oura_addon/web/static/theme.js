// Runs before the first paint. Inside Home Assistant's frame the panel has no header of its
// own and takes Home Assistant's theme (colours, font, light or dark) from the parent page's
// CSS variables: ingress serves both from one origin, so they can be read. Elsewhere, or
// when they cannot be read, panel.css follows prefers-color-scheme.
(function () {
  "use strict";

  var root = document.documentElement;
  var framed = false;
  try { framed = window.parent !== window; } catch (e) { framed = true; }
  if (framed) { root.classList.add("framed"); }

  // Home Assistant's variable -> ours. The first one Home Assistant sets wins.
  var MAP = [
    ["--primary", ["--primary-color"]],
    ["--text", ["--primary-text-color"]],
    ["--text-secondary", ["--secondary-text-color"]],
    ["--background", ["--primary-background-color"]],
    ["--card", ["--ha-card-background", "--card-background-color"]],
    ["--divider", ["--divider-color"]],
    ["--error", ["--error-color"]],
    ["--warning", ["--warning-color"]],
    ["--success", ["--success-color"]],
    ["--font", ["--ha-font-family-body", "--paper-font-body1_-_font-family",
                "--mdc-typography-font-family"]]
  ];

  function luminance(colour) {
    var probe = document.createElement("span");
    probe.style.color = colour;
    probe.style.display = "none";
    (document.body || root).appendChild(probe);
    var rgb = getComputedStyle(probe).color.match(/[\d.]+/g);
    probe.remove();
    if (!rgb || rgb.length < 3) { return null; }
    return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
  }

  function parentStyle() {
    if (!framed) { return null; }
    try {
      return window.parent.getComputedStyle(window.parent.document.documentElement);
    } catch (e) {
      return null;  // another origin: not Home Assistant's ingress
    }
  }

  var applied = "";
  function applyTheme() {
    var style = parentStyle();
    if (!style) { return; }
    var values = {};
    MAP.forEach(function (pair) {
      for (var i = 0; i < pair[1].length; i++) {
        var value = style.getPropertyValue(pair[1][i]).trim();
        if (value) { values[pair[0]] = value; return; }
      }
    });
    if (!values["--primary"] && !values["--background"]) { return; }  // no theme to take
    var signature = JSON.stringify(values);
    if (signature === applied) { return; }
    applied = signature;
    Object.keys(values).forEach(function (name) { root.style.setProperty(name, values[name]); });
    if (values["--primary"]) { root.style.setProperty("--primary-dark", values["--primary"]); }
    var light = luminance(values["--background"] || values["--card"] || "#fff");
    var dark = light !== null && light < 0.5;
    root.classList.add("ha-theme");
    root.classList.toggle("dark", dark);
    root.classList.toggle("light", !dark);
    root.style.colorScheme = dark ? "dark" : "light";
  }

  applyTheme();
  // Home Assistant's theme or its dark mode can change while the panel is open.
  window.setInterval(applyTheme, 3000);
  document.addEventListener("DOMContentLoaded", applyTheme);
})();
