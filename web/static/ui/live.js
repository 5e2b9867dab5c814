/* Civicflow live inbox: listens on the /inbox socket and redraws from the server.
 * Pages work without this script; with it, the inbox table and counts are fetched
 * again (?fragment=1) on every task event and after every (re)connect — the server's
 * answer is the truth, the script never edits rows from its own guesses. Changes are
 * announced in the page's polite live region; presence shows who views a task.
 * Presence too comes from the server: each page and fragment carries the viewers of
 * the tasks it shows (data-viewers), which replace the script's map on every load
 * and resync; presence events keep it current in between. */
(function () {
  "use strict";
  if (typeof io !== "function") { return; }
  var announcer = document.getElementById("cf-announcer");
  var live = document.getElementById("inbox-live");
  var viewed = document.querySelector("[data-viewing]");
  var messages = JSON.parse((document.getElementById("cf-messages") || {}).textContent || "{}");
  var me = document.body.getAttribute("data-me") || "";
  var presence = {};
  var heard = {}; // task id -> number of the last presence event about it
  var events = 0; // presence events so far
  var inflight = null;

  function say(text) {
    if (!announcer || !text) { return; }
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 30);
  }

  function fill(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (_, key) {
      return values[key] == null ? "" : String(values[key]);
    });
  }

  function paintPresence() {
    document.querySelectorAll("[data-presence]").forEach(function (el) {
      var others = (presence[el.getAttribute("data-presence")] || []).filter(function (v) {
        return v.email !== me;
      });
      el.textContent = others.length
        ? fill(messages.viewing, { names: others.map(function (v) { return v.name; }).join(", ") })
        : "";
    });
  }

  /* The server's viewers of the rows shown replace the map. A presence event heard
   * after the answer was asked for may be newer than what the server read, so it
   * is kept; if it was older, a later event follows it anyway. */
  function reseed(since) {
    var fresh = {};
    Object.keys(presence).forEach(function (id) {
      if ((heard[id] || 0) > since) { fresh[id] = presence[id]; }
    });
    document.querySelectorAll("[data-presence][data-viewers]").forEach(function (el) {
      var id = el.getAttribute("data-presence");
      if ((heard[id] || 0) > since) { return; }
      try { fresh[id] = JSON.parse(el.getAttribute("data-viewers")); } catch (ignored) { /* keep none */ }
    });
    presence = fresh;
    Object.keys(heard).forEach(function (id) { if (heard[id] <= since) { delete heard[id]; } });
    paintPresence();
  }

  function resync() {
    if (!live) { return; }
    if (inflight) { inflight.abort(); }
    var controller = new AbortController();
    var since = events;
    inflight = controller;
    var url = new URL(window.location.href);
    url.searchParams.set("fragment", "1");
    fetch(url.toString(), { credentials: "same-origin", signal: controller.signal })
      .then(function (answer) { return answer.text(); })
      .then(function (html) {
        var checked = Array.prototype.map.call(
          live.querySelectorAll("input.cf-check:checked"), function (box) { return box.value; });
        var active = document.activeElement;
        var focused = active && live.contains(active) ? active.id : null;
        live.innerHTML = html;
        checked.forEach(function (value) {
          var box = document.getElementById("sel-" + value);
          if (box) { box.checked = true; }
        });
        if (focused && document.getElementById(focused)) { document.getElementById(focused).focus(); }
        reseed(since);
        live.setAttribute("data-synced", String(Date.now()));
      })
      .catch(function () { /* a newer resync replaced this one, or the server is away */ });
  }

  function staleNotice(event) {
    if (!viewed || document.getElementById("cf-stale")) { return; }
    var box = document.createElement("div");
    box.id = "cf-stale";
    box.className = "usa-alert usa-alert--info usa-alert--slim";
    var body = document.createElement("div");
    body.className = "usa-alert__body";
    var text = document.createElement("p");
    text.className = "usa-alert__text";
    var link = document.createElement("a");
    link.href = window.location.pathname;
    link.textContent = messages.reload;
    text.textContent = fill(messages.changed, { who: event.task.assignee || event.task.completed_by || "" }) + " ";
    text.appendChild(link);
    body.appendChild(text);
    box.appendChild(body);
    var main = document.getElementById("main");
    main.insertBefore(box, main.firstChild);
  }

  reseed(0); // what the server rendered with this page

  var socket = io("/inbox", {
    transports: ["websocket", "polling"],
    reconnectionDelay: 250,
    reconnectionDelayMax: 2000
  });

  socket.on("connect", function () {
    document.body.setAttribute("data-live", "connected");
    if (viewed) { socket.emit("viewing", { task_id: viewed.getAttribute("data-viewing") }); }
    resync(); // after a dropped connection, redraw from the server
  });
  socket.on("disconnect", function () { document.body.setAttribute("data-live", "disconnected"); });
  socket.on("presence", function (data) {
    events += 1;
    heard[data.task_id] = events;
    presence[data.task_id] = data.viewers;
    paintPresence();
  });
  socket.onAny(function (name, event) {
    if (name.indexOf("task.") !== 0 || !event || !event.task) { return; }
    document.body.setAttribute("data-events", String(Number(document.body.getAttribute("data-events") || 0) + 1));
    var kind = name.slice(5);
    say(fill(messages[kind] || messages.updated, {
      title: event.task.title,
      who: event.task.assignee || event.task.completed_by || "",
      outcome: event.task.outcome || ""
    }));
    if (viewed && event.task.id === viewed.getAttribute("data-viewing") && event.task.completed_by !== me && event.task.assignee !== me) {
      staleNotice(event);
    }
    resync();
  });
}());
