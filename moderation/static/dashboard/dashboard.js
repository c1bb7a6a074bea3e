/* Moderation dashboard: keyboard shortcuts and in-place review actions.
 *
 * Progressive enhancement only: every action is a plain form that works without this
 * script. With it, review forms are sent with fetch() (CSRF token in the X-CSRFToken
 * header as well as the form) and the server answers with the re-rendered card, which
 * replaces the old one; focus then moves to the next comment still waiting.
 * The server's HTML is parsed with DOMParser (scripts in it would never run; the CSP
 * forbids inline script anyway). No user text is ever built into HTML here.
 */
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var live = document.getElementById("live");
  var current = null;

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-card]"));
  }

  function announce(text) {
    if (live) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = text; }, 50);
    }
  }

  function setCurrent(card, focus) {
    if (!card) { return; }
    if (current && current !== card) { current.classList.remove("is-current"); }
    current = card;
    card.classList.add("is-current");
    if (focus) {
      card.focus({ preventScroll: true });
      card.scrollIntoView({ block: "nearest", behavior: "auto" });
    }
  }

  function move(step) {
    var list = cards();
    if (!list.length) { return; }
    var index = current ? list.indexOf(current) : -1;
    var next = Math.min(list.length - 1, Math.max(0, index + step));
    setCurrent(list[index === -1 ? 0 : next], true);
  }

  function nextWaiting(from) {
    var list = cards();
    var index = list.indexOf(from);
    var i;
    for (i = index + 1; i < list.length; i += 1) {
      if (list[i].dataset.status === "held") { return list[i]; }
    }
    for (i = index - 1; i >= 0; i -= 1) {
      if (list[i].dataset.status === "held") { return list[i]; }
    }
    return from;
  }

  function parseCard(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var card = doc.querySelector("[data-card]");
    return card ? document.adoptNode(card) : null;
  }

  function showError(card, text) {
    var note = document.createElement("p");
    note.className = "notice error";
    note.setAttribute("role", "alert");
    note.textContent = text;
    var old = card.querySelector(".notice.error.client");
    if (old) { old.remove(); }
    note.classList.add("client");
    card.insertBefore(note, card.children[1] || null);
  }

  function submitAsync(form) {
    var card = form.closest("[data-card]");
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    if (card) { card.classList.add("is-busy"); }
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken, "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (response.status === 401) {
        window.location.reload();  // the page's GET redirects to the sign-in form
        return null;
      }
      return response.text().then(function (body) {
        var replacement = (response.ok || response.status === 409 || response.status === 422)
          ? parseCard(body) : null;
        if (!card) { return; }
        if (!replacement) {
          card.classList.remove("is-busy");
          buttons.forEach(function (b) { b.disabled = false; });
          showError(card, body.slice(0, 300) || ("Error " + response.status));
          announce("The action failed.");
          return;
        }
        card.replaceWith(replacement);
        var done = response.ok;
        var notice = replacement.querySelector(".notice");
        announce(notice ? notice.textContent : (done ? "Done." : "Not done."));
        bindSelection(replacement);
        setCurrent(done ? nextWaiting(replacement) : replacement, true);
      });
    }).catch(function () {
      if (card) {
        card.classList.remove("is-busy");
        buttons.forEach(function (b) { b.disabled = false; });
        showError(card, "The server could not be reached; nothing was changed.");
      }
    });
  }

  function openReject(card, sanction) {
    var panel = card.querySelector("[data-reject]");
    if (!panel) { return; }
    panel.open = true;
    if (sanction) {
      var select = panel.querySelector("[data-sanction]");
      if (select) { select.value = sanction; }
    }
    var reason = panel.querySelector("[data-reason]");
    if (reason) { reason.focus(); }
  }

  function updateSelected() {
    var counter = document.querySelector("[data-selected-count]");
    if (counter) {
      var n = document.querySelectorAll("[data-select]:checked").length;
      counter.textContent = n + " selected";
    }
  }

  function bindSelection(root) {
    root.querySelectorAll("[data-select]").forEach(function (box) {
      box.addEventListener("change", updateSelected);
    });
  }

  function isField(element) {
    if (!element) { return false; }
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-async")) {
      event.preventDefault();
      submitAsync(form);
    }
  });

  document.addEventListener("click", function (event) {
    var card = event.target instanceof Element ? event.target.closest("[data-card]") : null;
    if (card) { setCurrent(card, false); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (event.key === "Escape") {
      var panel = target instanceof Element ? target.closest("[data-reject]") : null;
      if (panel) {
        panel.open = false;
        setCurrent(panel.closest("[data-card]"), true);
        event.preventDefault();
      }
      return;
    }
    if (event.key === "Enter" && target instanceof HTMLSelectElement && target.form &&
        target.form.hasAttribute("data-async")) {
      event.preventDefault();
      target.form.requestSubmit();
      return;
    }
    if (isField(target) || !cards().length) { return; }
    var card = current;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a":
        if (card) {
          var approve = card.querySelector("[data-approve]");
          if (approve) { approve.form.requestSubmit(); }
        }
        break;
      case "r": if (card) { openReject(card, ""); } break;
      case "b": if (card) { openReject(card, "block"); } break;
      case "x":
        if (card) {
          var box = card.querySelector("[data-select]");
          if (box) { box.checked = !box.checked; updateSelected(); }
        }
        break;
      case "u":
        if (card) {
          var author = card.querySelector(".author-link");
          if (author) { window.location.assign(author.href); }
        }
        break;
      case "o":
        if (card) {
          var article = card.querySelector("a.article");
          if (article) { window.open(article.href, "_blank", "noopener,noreferrer"); }
        }
        break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    bindSelection(document);
    var list = cards();
    var first = list.filter(function (c) { return c.dataset.status === "held"; })[0] || list[0];
    if (first && document.body.classList.contains("queue-page")) {
      setCurrent(first, true);
    } else if (first) {
      setCurrent(first, false);
    }
  });
}());
