// Suggestions as you type for the search box: titles and terms in Chinese, English or pinyin
// initials (smdj → 扫描电镜). Plain DOM code, no inline script (the CSP forbids it).
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("suggestions");
  if (!input || !list) { return; }
  var url = input.getAttribute("data-suggest-url");
  var timer = null;
  var active = -1;

  function clear() { list.innerHTML = ""; list.classList.add("d-none"); active = -1; }

  function render(items) {
    list.innerHTML = "";
    items.forEach(function (item, index) {
      var li = document.createElement("li");
      li.className = "list-group-item list-group-item-action";
      li.setAttribute("role", "option");
      li.textContent = item.text;  // textContent: suggestions are never parsed as HTML
      li.addEventListener("mousedown", function (event) {
        event.preventDefault();
        if (item.url) { window.location.href = item.url; return; }
        input.value = item.text;
        input.form.submit();
      });
      list.appendChild(li);
    });
    list.classList.toggle("d-none", items.length === 0);
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    var text = input.value.trim();
    if (!text) { clear(); return; }
    timer = window.setTimeout(function () {
      fetch(url + "?q=" + encodeURIComponent(text), { headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) { render(data.suggestions || []); })
        .catch(clear);
    }, 150);
  });
  input.addEventListener("keydown", function (event) {
    var items = list.querySelectorAll("li");
    if (!items.length) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      items.forEach(function (li, i) { li.classList.toggle("active", i === active); });
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      items[active].dispatchEvent(new MouseEvent("mousedown"));
    } else if (event.key === "Escape") { clear(); }
  });
  input.addEventListener("blur", function () { window.setTimeout(clear, 150); });
})();
