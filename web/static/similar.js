// The new-post form: while a question's title is typed, show the closest existing questions.
// Without JavaScript the "Check for similar questions" button does the same on the server.
(function () {
  "use strict";
  var box = document.getElementById("similar-questions");
  var title = document.getElementById("title");
  if (!box || !title || !window.fetch) { return; }
  var url = box.getAttribute("data-similar-url");
  var timer = null;
  var asked = "";

  function isQuestion() {
    var chosen = document.querySelector("input[name=kind]:checked");
    return !chosen || chosen.value === "question";
  }

  function refresh() {
    var text = title.value.trim();
    if (!isQuestion() || text.length < 4 || text === asked) { return; }
    asked = text;
    fetch(url + "?title=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { if (asked === text) { box.innerHTML = html; } })
      .catch(function () { /* the button still works */ });
  }

  title.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
})();
