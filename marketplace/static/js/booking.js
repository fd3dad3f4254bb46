// Booking pages. Without this script everything still works: the booking form lists every
// programme of all your organisations (a wrong pick is refused with the reason), and the feed
// address can be copied by hand. Plain DOM code, no inline script (the CSP forbids it).
(function () {
  "use strict";

  // Offer only the voucher programmes the chosen organisation holds quota in.
  var org = document.getElementById("organization_id");
  var pay = document.getElementById("programme_id");
  if (org && pay) {
    var filter = function () {
      var chosen = org.value;
      Array.prototype.forEach.call(pay.options, function (option) {
        var orgs = option.getAttribute("data-orgs");
        if (orgs === null) { return; }  // self-paid is always possible
        var usable = orgs.split(" ").indexOf(chosen) !== -1;
        option.hidden = !usable;
        option.disabled = !usable;
        if (!usable && option.selected) { pay.value = "self"; }
      });
    };
    org.addEventListener("change", filter);
    filter();
  }

  // "Copy" buttons next to read-only addresses.
  Array.prototype.forEach.call(document.querySelectorAll("[data-copy-target]"), function (button) {
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    if (!input) { return; }
    button.classList.remove("d-none");
    button.addEventListener("click", function () {
      input.select();
      var done = function () {
        var label = button.getAttribute("data-copied-label");
        if (label) { button.textContent = label; }
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(input.value).then(done, function () {});
      } else {
        try { document.execCommand("copy"); done(); } catch (e) { /* select() is enough */ }
      }
    });
  });
}());
