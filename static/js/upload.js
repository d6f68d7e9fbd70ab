/* Drag-and-drop onto the ten-day report's file input, with a size and type hint before upload.
   The server checks every file by its content (attachment_store); this only saves a wasted upload. */
(function () {
  "use strict";
  function human(bytes) {
    if (bytes >= 1048576) { return (bytes / 1048576).toFixed(1) + " MB"; }
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  document.querySelectorAll(".dropzone").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    var list = zone.querySelector(".dz-list");
    var maxBytes = parseInt(zone.dataset.maxBytes, 10) || 0;
    var accepted = (zone.dataset.accept || "").split(",");
    zone.classList.add("is-enhanced");

    function render() {
      list.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var item = document.createElement("li");
        var problems = [];
        if (maxBytes && file.size > maxBytes) { problems.push(zone.dataset.msgSize + "（" + zone.dataset.maxMb + " MB）"); }
        if (file.type && accepted.indexOf(file.type) === -1) { problems.push(zone.dataset.msgType); }
        item.textContent = file.name + " · " + human(file.size) + (problems.length ? " — " + problems.join("，") : "");
        if (problems.length) { item.className = "dz-warn"; }
        list.appendChild(item);
      });
    }

    input.addEventListener("change", render);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.remove("is-over");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
      // Add the dropped files to those already chosen.
      var merged = new DataTransfer();
      Array.prototype.forEach.call(input.files, function (file) { merged.items.add(file); });
      Array.prototype.forEach.call(event.dataTransfer.files, function (file) { merged.items.add(file); });
      input.files = merged.files;
      render();
    });
  });
})();
