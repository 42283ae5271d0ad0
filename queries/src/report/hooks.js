(function () {
  // Recorded for the browser test and for anyone curious (window.__dsmig):
  // script errors, console errors, and any request the page tries to make
  // (the page is meant to make none; the CSP blocks them anyway).
  var T = (window.__dsmig = { errors: [], requests: [], t0: Date.now() });
  window.addEventListener("error", function (e) {
    if (e.target && e.target !== window && (e.target.src || e.target.href)) {
      T.requests.push("failed: " + (e.target.src || e.target.href));
    } else {
      T.errors.push(String(e.message || e.type) + (e.filename ? " at " + e.filename + ":" + e.lineno : ""));
    }
  }, true);
  window.addEventListener("unhandledrejection", function (e) {
    T.errors.push("unhandled rejection: " + String(e.reason));
  });
  var ce = console.error;
  console.error = function () {
    T.errors.push(Array.prototype.map.call(arguments, String).join(" "));
    return ce.apply(console, arguments);
  };
  document.addEventListener("securitypolicyviolation", function (e) {
    T.requests.push("blocked: " + e.blockedURI + " (" + e.violatedDirective + ")");
  });
  try {
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (x) { T.requests.push(x.name); });
    }).observe({ type: "resource", buffered: true });
  } catch (err) {
    T.errors.push("PerformanceObserver: " + err);
  }
})();
