/* Promptyard feedback for your own web pages: thumbs and a comment per generation.
 *
 *   <script src="https://promptyard.example.com/feedback.js" data-key="pyfb_..."></script>
 *
 * Then either call  promptyardFeedback(generationId, {thumbs: true, comment: "..."})
 * (a promise of true when stored), or mark up buttons:
 *
 *   <div data-promptyard-generation="GENERATION_ID">
 *     <button data-promptyard-thumbs="up">Good</button>
 *     <button data-promptyard-thumbs="down">Bad</button>
 *   </div>
 *
 * A clicked button gets data-promptyard-sent="true" (or "failed"). The key is write-only:
 * it posts feedback for the project it was made for and can read or change nothing.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var key = script.getAttribute("data-key");
  var endpoint = new URL("/api/v1/analytics/feedback/public", script.src).href;

  function send(generationId, options) {
    options = options || {};
    var body = { key: key, generation_id: String(generationId) };
    if (typeof options.thumbs === "boolean") {
      body.kind = "thumbs";
      body.value = options.thumbs ? 1 : 0;
      if (options.comment) body.comment = String(options.comment).slice(0, 2000);
    } else {
      body.kind = "comment";
      body.comment = String(options.comment || "").slice(0, 2000);
    }
    // text/plain: a simple request, no CORS preflight.
    return fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      body: JSON.stringify(body),
      keepalive: true,
      credentials: "omit",
    }).then(
      function (response) { return response.ok; },
      function () { return false; }
    );
  }

  window.promptyardFeedback = send;

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("[data-promptyard-thumbs]");
    if (!button) return;
    var holder = button.closest("[data-promptyard-generation]");
    if (!holder) return;
    var comment = holder.querySelector("[data-promptyard-comment]");
    send(holder.getAttribute("data-promptyard-generation"), {
      thumbs: button.getAttribute("data-promptyard-thumbs") === "up",
      comment: comment ? comment.value : undefined,
    }).then(function (ok) {
      button.setAttribute("data-promptyard-sent", ok ? "true" : "failed");
    });
  });
})();
