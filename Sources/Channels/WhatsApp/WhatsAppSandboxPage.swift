/// The sandbox's chat page: one self-contained document (inline CSS and vanilla JavaScript,
/// no external resources) that looks like a WhatsApp chat.
///
/// Replies are shown with WhatsApp's formatting (`*bold*`, `_italic_`, `~strike~`,
/// ```` ``` ```` monospace) applied the way the app applies it; every piece of data is put on
/// the page with `textContent`, never as markup.
enum WhatsAppSandboxPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Sandra — WhatsApp sandbox</title>
    <style>
      :root { color-scheme: light; --green: #008069; --muted: #667781; }
      * { box-sizing: border-box; }
      body { margin: 0; font: 15px/1.35 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; background: #d1d7db; color: #111b21; }
      .app { max-width: 640px; height: 100vh; margin: 0 auto; display: flex; flex-direction: column; background: #efeae2; }
      header { display: flex; align-items: center; gap: 12px; padding: 10px 16px; background: var(--green); color: #fff; }
      .avatar { width: 40px; height: 40px; border-radius: 50%; flex: none; background: #25d366; display: grid; place-items: center; font-weight: 700; }
      .who { flex: 1; min-width: 0; }
      .who h1 { font-size: 16px; margin: 0; }
      .who .sub { font-size: 12px; opacity: .85; }
      .user { display: flex; flex-direction: column; gap: 2px; font-size: 11px; }
      .user input { width: 170px; font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; padding: 4px 6px; border: 0; border-radius: 6px; }
      .user button { align-self: flex-end; font-size: 11px; border: 0; background: none; color: #fff; text-decoration: underline; cursor: pointer; padding: 0; }
      .banner { margin: 0; padding: 8px 16px; font-size: 12px; color: #54656f; background: #fff8c4; }
      #thread { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 4px; }
      .empty { margin: auto; color: var(--muted); text-align: center; font-size: 13px; }
      .bubble { max-width: 78%; padding: 6px 9px 8px; border-radius: 8px; white-space: pre-wrap; overflow-wrap: anywhere; box-shadow: 0 1px .5px rgba(11,20,26,.13); }
      .me { align-self: flex-end; background: #d9fdd3; }
      .them { align-self: flex-start; background: #fff; }
      .bubble code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
      .bubble pre { margin: 2px 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; white-space: pre-wrap; }
      .ticks { float: right; margin: 6px 0 0 8px; font-size: 11px; color: var(--muted); }
      .ticks.read { color: #53bdeb; }
      .buttons { align-self: flex-start; display: flex; flex-direction: column; gap: 4px; margin: 2px 0 8px; min-width: 200px; }
      .buttons button { border: 0; background: #fff; color: #027eb5; border-radius: 8px; padding: 8px 12px; font: inherit; cursor: pointer; box-shadow: 0 1px .5px rgba(11,20,26,.13); }
      .note { align-self: center; font-size: 12px; color: var(--muted); background: #fff; border-radius: 8px; padding: 3px 8px; }
      #typing { color: var(--muted); font-size: 13px; padding: 0 16px 6px; min-height: 22px; }
      form { display: flex; gap: 8px; padding: 10px 16px; background: #f0f2f5; }
      #text { flex: 1; border: 0; border-radius: 8px; padding: 10px 14px; font: inherit; }
      #send { border: 0; border-radius: 50%; width: 42px; background: var(--green); color: #fff; font: inherit; font-weight: 700; cursor: pointer; }
      #send:disabled { opacity: .5; cursor: default; }
      #status { padding: 0 16px 6px; font-size: 12px; color: #ea0038; min-height: 8px; }
    </style>
    </head>
    <body>
    <div class="app">
      <header>
        <div class="avatar" aria-hidden="true">S</div>
        <div class="who">
          <h1>Sandra</h1>
          <div class="sub">WhatsApp · local sandbox</div>
        </div>
        <label class="user">your number
          <input id="user" autocomplete="off" spellcheck="false">
          <button type="button" id="new-user">new user</button>
        </label>
      </header>
      <p class="banner">Local emulator: nothing here reaches WhatsApp. Each message is posted to this host's real webhook route as a genuine WhatsApp Cloud API payload, signed (X-Hub-Signature-256) with the sandbox app secret; replies are caught by the emulated Cloud API.</p>
      <div id="thread" aria-live="polite"><div class="empty" id="empty">No messages yet. Say hello to Sandra.</div></div>
      <div id="typing"></div>
      <div id="status" role="status"></div>
      <form id="composer">
        <input id="text" placeholder="Message" autocomplete="off" maxlength="4000">
        <button id="send" type="submit" aria-label="Send">➤</button>
      </form>
    </div>
    <script>
    (function () {
      "use strict";
      var base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
      var storageKey = "sandra.whatsapp-sandbox.user";
      var thread = document.getElementById("thread");
      var typing = document.getElementById("typing");
      var statusLine = document.getElementById("status");
      var userInput = document.getElementById("user");
      var form = document.getElementById("composer");
      var textInput = document.getElementById("text");
      var sendButton = document.getElementById("send");
      var user = "";
      var after = 0;
      var generation = 0;
      var typingSince = 0;
      var buttons = null;
      var ticks = {};

      function randomUserID() {
        var digits = "";
        var values = new Uint8Array(7);
        crypto.getRandomValues(values);
        for (var i = 0; i < values.length; i++) { digits += String(values[i] % 10); }
        return "1555" + digits;
      }

      function storedUser() {
        try { return localStorage.getItem(storageKey); } catch (e) { return null; }
      }

      function setUser(id) {
        user = id;
        userInput.value = id;
        try { localStorage.setItem(storageKey, id); } catch (e) {}
        generation += 1;
        after = 0;
        typingSince = 0;
        buttons = null;
        ticks = {};
        thread.textContent = "";
        var empty = document.createElement("div");
        empty.className = "empty";
        empty.id = "empty";
        empty.textContent = "No messages yet. Say hello to Sandra.";
        thread.appendChild(empty);
        typing.textContent = "";
        statusLine.textContent = "";
      }

      // WhatsApp's formatting: ```code``` blocks, then *bold*, _italic_, ~strike~ and `code`
      // spans, each only where the markers touch text. Built with DOM nodes, never markup.
      var spanPattern = /(^|[\s(\[{"'.,;:!?-])([*_~`])(?!\s)([^\n]*?[^\s])\2(?=$|[\s)\]}"'.,;:!?-])/;
      var tags = { "*": "strong", "_": "em", "~": "s", "`": "code" };
      function appendInline(parent, text) {
        while (text) {
          var match = spanPattern.exec(text);
          if (!match) { parent.appendChild(document.createTextNode(text)); return; }
          var start = match.index + match[1].length;
          parent.appendChild(document.createTextNode(text.slice(0, start)));
          var element = document.createElement(tags[match[2]]);
          if (match[2] === "`") { element.textContent = match[3]; } else { appendInline(element, match[3]); }
          parent.appendChild(element);
          text = text.slice(start + match[3].length + 2);
        }
      }
      function appendFormatted(parent, text) {
        var pieces = text.split("```");
        pieces.forEach(function (piece, index) {
          if (index % 2 === 1 && index < pieces.length - 1) {
            var pre = document.createElement("pre");
            pre.textContent = piece.replace(/^\n/, "").replace(/\n$/, "");
            parent.appendChild(pre);
          } else {
            appendInline(parent, index % 2 === 1 ? "```" + piece : piece);
          }
        });
      }

      function removeButtons() {
        if (buttons) { buttons.remove(); buttons = null; }
      }

      function addMessage(message) {
        var empty = document.getElementById("empty");
        if (empty) { empty.remove(); }
        removeButtons();
        var bubble = document.createElement("div");
        bubble.className = "bubble " + (message.direction === "in" ? "me" : "them");
        if (message.direction === "in") {
          bubble.textContent = message.text || "";
          var tick = document.createElement("span");
          tick.className = "ticks";
          tick.textContent = "✓";
          bubble.appendChild(tick);
          if (message.message_id) { ticks[message.message_id] = tick; }
        } else {
          appendFormatted(bubble, message.text || "");
        }
        thread.appendChild(bubble);
        if (message.direction === "out" && message.buttons && message.buttons.length) {
          buttons = document.createElement("div");
          buttons.className = "buttons";
          message.buttons.forEach(function (reply) {
            var button = document.createElement("button");
            button.type = "button";
            button.textContent = reply.title;
            button.addEventListener("click", function () {
              send({ reply_id: reply.id, reply_title: reply.title, context_id: message.message_id });
            });
            buttons.appendChild(button);
          });
          thread.appendChild(buttons);
        }
        thread.scrollTop = thread.scrollHeight;
      }

      function addNote(text) {
        var note = document.createElement("div");
        note.className = "note";
        note.textContent = text;
        thread.appendChild(note);
      }

      function renderTyping() {
        var active = typingSince && Date.now() - typingSince < 25000;
        typing.textContent = active ? "Sandra is typing…" : "";
      }

      function poll() {
        var asked = generation;
        fetch(base + "api/messages?user=" + encodeURIComponent(user) + "&after=" + after, { cache: "no-store" })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (data) {
            if (!data || asked !== generation) { return; }
            data.messages.forEach(function (message) {
              after = Math.max(after, message.seq);
              if (message.kind === "typing") {
                typingSince = Date.now();
              } else if (message.kind === "read") {
                var tick = ticks[message.message_id];
                if (tick) { tick.textContent = "✓✓"; tick.className = "ticks read"; }
              } else if (message.kind === "status") {
                addNote("status delivered to Sandra: " + message.text);
              } else {
                if (message.direction === "out") { typingSince = 0; }
                addMessage(message);
              }
            });
          })
          .catch(function () {})
          .then(function () { renderTyping(); setTimeout(poll, 700); });
      }

      function send(fields) {
        if (!user) { return; }
        var body = { user: user };
        Object.keys(fields).forEach(function (key) { if (fields[key]) { body[key] = fields[key]; } });
        sendButton.disabled = true;
        statusLine.textContent = "";
        removeButtons();
        fetch(base + "api/send", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
          .then(function (response) { return response.json(); })
          .then(function (result) {
            if (result.error) {
              statusLine.textContent = result.error;
            } else if (result.status !== 200) {
              statusLine.textContent = "The webhook answered HTTP " + result.status + ".";
            }
          })
          .catch(function () { statusLine.textContent = "The sandbox could not be reached."; })
          .then(function () { sendButton.disabled = false; textInput.focus(); });
      }

      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var text = textInput.value;
        if (!text.trim()) { return; }
        textInput.value = "";
        send({ text: text });
      });

      userInput.addEventListener("change", function () {
        var id = userInput.value.trim();
        if (id && id !== user) { setUser(id); } else { userInput.value = user; }
      });

      document.getElementById("new-user").addEventListener("click", function () { setUser(randomUserID()); });

      setUser(storedUser() || randomUserID());
      poll();
      textInput.focus();
    })();
    </script>
    </body>
    </html>
    """#
}
