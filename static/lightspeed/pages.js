// Lightspeed POS pages: copy button, confirmations, the ordered warehouse picker. No framework.
"use strict";

(function () {
  function copyText(text, button) {
    function done(ok) {
      var label = button.textContent;
      button.textContent = ok ? "Copied" : "Press Ctrl+C";
      setTimeout(function () { button.textContent = label; }, 1500);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      return;
    }
    // Plain-http deployments have no clipboard API: select a temporary field and copy that.
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    done(ok);
  }

  function setUpCopyButtons() {
    document.querySelectorAll("button.ls-copy").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.dataset.copy);
        if (!source) { return; }
        copyText(("value" in source ? source.value : source.textContent).trim(), button);
      });
    });
  }

  function setUpConfirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
  }

  function setUpActionsMenu() {
    var menu = document.querySelector("details.ls-actions");
    if (!menu) { return; }
    document.addEventListener("click", function (event) {
      if (menu.open && !menu.contains(event.target)) { menu.open = false; }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { menu.open = false; }
    });
  }

  function button(className, text, title, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = text;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.addEventListener("click", onClick);
    return b;
  }

  // One picker per shop: an ordered list (first is drawn from first) written to a hidden input.
  function setUpWarehousePicker(picker) {
    var input = document.getElementById(picker.dataset.input);
    var list = picker.querySelector("ol.ls-chosen");
    var add = picker.querySelector("select.ls-add");

    function sync() {
      var ids = Array.prototype.map.call(list.children, function (li) { return li.dataset.id; });
      input.value = ids.join(",");
      Array.prototype.forEach.call(add.options, function (option) {
        option.disabled = option.value !== "" && ids.indexOf(option.value) !== -1;
      });
      Array.prototype.forEach.call(list.children, function (li, index) {
        li.querySelector(".ls-up").disabled = index === 0;
        li.querySelector(".ls-down").disabled = index === list.children.length - 1;
      });
    }

    function decorate(li) {
      var name = li.querySelector(".ls-name").textContent;
      var tools = document.createElement("span");
      tools.className = "ls-tools";
      tools.appendChild(button("ls-up", "↑", "Draw from " + name + " earlier", function () {
        if (li.previousElementSibling) { list.insertBefore(li, li.previousElementSibling); sync(); }
      }));
      tools.appendChild(button("ls-down", "↓", "Draw from " + name + " later", function () {
        if (li.nextElementSibling) { list.insertBefore(li.nextElementSibling, li); sync(); }
      }));
      tools.appendChild(button("ls-remove", "✕", "Remove " + name, function () { li.remove(); sync(); }));
      li.appendChild(tools);
    }

    Array.prototype.forEach.call(list.children, decorate);
    add.addEventListener("change", function () {
      var option = add.options[add.selectedIndex];
      if (!option || !option.value) { return; }
      var li = document.createElement("li");
      li.dataset.id = option.value;
      var name = document.createElement("span");
      name.className = "ls-name";
      name.textContent = option.textContent;
      li.appendChild(name);
      decorate(li);
      list.appendChild(li);
      add.selectedIndex = 0;
      sync();
    });
    sync();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpCopyButtons();
    setUpConfirmations();
    setUpActionsMenu();
    document.querySelectorAll(".ls-warehouses").forEach(setUpWarehousePicker);
  });
})();
