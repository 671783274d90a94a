/// The sandbox's chat page: one self-contained document (inline CSS and vanilla JavaScript,
/// no external resources) that looks like an Instagram Direct thread.
///
/// Every piece of data is put on the page with `textContent`, never as markup.
enum InstagramSandboxPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Sandra — Instagram sandbox</title>
    <style>
      :root { color-scheme: light; --line: #dbdbdb; --muted: #737373; }
      * { box-sizing: border-box; }
      body { margin: 0; font: 15px/1.35 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; background: #fafafa; color: #000; }
      .app { max-width: 640px; height: 100vh; margin: 0 auto; display: flex; flex-direction: column; background: #fff; border-left: 1px solid var(--line); border-right: 1px solid var(--line); }
      header { display: flex; align-items: center; gap: 12px; padding: 12px 16px; border-bottom: 1px solid var(--line); }
      .avatar { width: 40px; height: 40px; border-radius: 50%; flex: none; background: conic-gradient(from 200deg, #feda75, #fa7e1e, #d62976, #962fbf, #4f5bd5, #feda75); display: grid; place-items: center; color: #fff; font-weight: 700; }
      .who { flex: 1; min-width: 0; }
      .who h1 { font-size: 16px; margin: 0; }
      .who .sub { color: var(--muted); font-size: 12px; }
      .user { display: flex; flex-direction: column; gap: 2px; font-size: 11px; color: var(--muted); }
      .user input { width: 190px; font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; padding: 4px 6px; border: 1px solid var(--line); border-radius: 6px; }
      .user button { align-self: flex-end; font-size: 11px; border: 0; background: none; color: #0095f6; cursor: pointer; padding: 0; }
      .banner { margin: 0; padding: 8px 16px; font-size: 12px; color: #5c4400; background: #fff8e1; border-bottom: 1px solid #f3e2a9; }
      #thread { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 4px; }
      .empty { margin: auto; color: var(--muted); text-align: center; font-size: 13px; }
      .bubble { max-width: 75%; padding: 8px 12px; border-radius: 22px; white-space: pre-wrap; overflow-wrap: anywhere; }
      .me { align-self: flex-end; color: #fff; background: linear-gradient(135deg, #7638fa, #3797f0); }
      .them { align-self: flex-start; background: #efefef; }
      .chips { align-self: flex-start; display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0 8px; }
      .chips button { border: 1px solid #3797f0; color: #3797f0; background: #fff; border-radius: 16px; padding: 4px 12px; font: inherit; font-size: 13px; cursor: pointer; }
      #typing { align-self: flex-start; color: var(--muted); font-size: 13px; padding: 0 16px 6px; min-height: 22px; }
      form { display: flex; gap: 8px; padding: 12px 16px; border-top: 1px solid var(--line); }
      #text { flex: 1; border: 1px solid var(--line); border-radius: 22px; padding: 10px 16px; font: inherit; resize: none; }
      #send { border: 0; background: none; color: #0095f6; font: inherit; font-weight: 600; cursor: pointer; }
      #send:disabled { color: #b2dffc; cursor: default; }
      #status { padding: 0 16px 8px; font-size: 12px; color: #ed4956; min-height: 8px; }
      .attach { border: 0; background: none; font-size: 20px; cursor: pointer; padding: 0 4px; }
      #file { display: none; }
      #chosen { padding: 0 16px 4px; font-size: 12px; color: var(--muted); min-height: 4px; }
      #chosen button { border: 0; background: none; color: #0095f6; cursor: pointer; font-size: 12px; }
      .media { display: block; font-size: 13px; opacity: 0.9; }
    </style>
    </head>
    <body>
    <div class="app">
      <header>
        <div class="avatar" aria-hidden="true">S</div>
        <div class="who">
          <h1>Sandra</h1>
          <div class="sub">Instagram Direct · local sandbox</div>
        </div>
        <label class="user">user id
          <input id="user" autocomplete="off" spellcheck="false">
          <button type="button" id="new-user">new user</button>
        </label>
      </header>
      <p class="banner">Local emulator: nothing here reaches Instagram. Each message is posted to this host's real webhook route as a genuine Instagram payload, signed (X-Hub-Signature-256) with the sandbox app secret; replies are caught by the emulated Send API. A photo or an audio file attached with 📎 is kept in this host's memory and fetched through the real media path, as from Instagram's CDN.</p>
      <div id="thread" aria-live="polite"><div class="empty" id="empty">No messages yet. Say hello to Sandra.</div></div>
      <div id="typing"></div>
      <div id="status" role="status"></div>
      <div id="chosen"></div>
      <form id="composer">
        <button type="button" class="attach" id="attach" title="Attach a photo or an audio file" aria-label="Attach a photo or an audio file">📎</button>
        <input type="file" id="file" accept="image/*,audio/*">
        <input id="text" placeholder="Message…" autocomplete="off" maxlength="4000">
        <button id="send" type="submit">Send</button>
      </form>
    </div>
    <script>
    (function () {
      "use strict";
      var base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
      var storageKey = "sandra.instagram-sandbox.user";
      var thread = document.getElementById("thread");
      var typing = document.getElementById("typing");
      var statusLine = document.getElementById("status");
      var userInput = document.getElementById("user");
      var form = document.getElementById("composer");
      var textInput = document.getElementById("text");
      var sendButton = document.getElementById("send");
      var fileInput = document.getElementById("file");
      var chosen = document.getElementById("chosen");
      var uploadLimit = 32 * 1024 * 1024;
      var user = "";
      var after = 0;
      var generation = 0;
      var typingSince = 0;
      var chips = null;

      function randomUserID() {
        var digits = "";
        var values = new Uint8Array(16);
        crypto.getRandomValues(values);
        for (var i = 0; i < values.length; i++) { digits += String(values[i] % 10); }
        return "2" + digits;
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
        chips = null;
        thread.textContent = "";
        var empty = document.createElement("div");
        empty.className = "empty";
        empty.id = "empty";
        empty.textContent = "No messages yet. Say hello to Sandra.";
        thread.appendChild(empty);
        typing.textContent = "";
        statusLine.textContent = "";
      }

      function removeChips() {
        if (chips) { chips.remove(); chips = null; }
      }

      function addMessage(message) {
        var empty = document.getElementById("empty");
        if (empty) { empty.remove(); }
        removeChips();
        var bubble = document.createElement("div");
        bubble.className = "bubble " + (message.direction === "in" ? "me" : "them");
        bubble.textContent = message.text || "";
        (message.attachments || []).forEach(function (label) {
          var line = document.createElement("span");
          line.className = "media";
          line.textContent = "📎 " + label;
          bubble.appendChild(line);
        });
        thread.appendChild(bubble);
        if (message.direction === "out" && message.quick_replies && message.quick_replies.length) {
          chips = document.createElement("div");
          chips.className = "chips";
          message.quick_replies.forEach(function (reply) {
            var button = document.createElement("button");
            button.type = "button";
            button.textContent = reply.title;
            button.addEventListener("click", function () { send(reply.title, reply.payload); });
            chips.appendChild(button);
          });
          thread.appendChild(chips);
        }
        thread.scrollTop = thread.scrollHeight;
      }

      function renderTyping() {
        var active = typingSince && Date.now() - typingSince < 20000;
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
              } else {
                if (message.direction === "out") { typingSince = 0; }
                addMessage(message);
              }
            });
          })
          .catch(function () {})
          .then(function () { renderTyping(); setTimeout(poll, 700); });
      }

      function showChosen() {
        chosen.textContent = "";
        var file = fileInput.files && fileInput.files[0];
        if (!file) { return; }
        chosen.appendChild(document.createTextNode("📎 " + file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB) "));
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "remove";
        remove.addEventListener("click", function () { fileInput.value = ""; showChosen(); });
        chosen.appendChild(remove);
      }

      // Uploads the chosen file to the emulated CDN; resolves to an attachment (or null).
      function uploadChosen() {
        var file = fileInput.files && fileInput.files[0];
        if (!file) { return Promise.resolve(null); }
        if (file.size > uploadLimit) { return Promise.reject(new Error("The file is larger than 32 MB.")); }
        var type = file.type || "application/octet-stream";
        return fetch(base + "api/media", { method: "POST", headers: { "Content-Type": type }, body: file })
          .then(function (response) { return response.json(); })
          .then(function (result) {
            if (result.error) { throw new Error(result.error); }
            return { type: type.indexOf("image/") === 0 ? "image" : "audio", media_id: result.id };
          });
      }

      function send(text, quickReplyPayload) {
        var hasFile = !!(fileInput.files && fileInput.files[0]);
        if ((!text && !hasFile) || !user) { return; }
        sendButton.disabled = true;
        statusLine.textContent = "";
        removeChips();
        uploadChosen()
          .then(function (attachment) {
            var body = { user: user, text: text || "" };
            if (quickReplyPayload) { body.quick_reply_payload = quickReplyPayload; }
            if (attachment) { body.attachments = [attachment]; }
            fileInput.value = "";
            showChosen();
            return fetch(base + "api/send", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
          })
          .then(function (response) { return response.json(); })
          .then(function (result) {
            if (result.error) {
              statusLine.textContent = result.error;
            } else if (result.status !== 200) {
              statusLine.textContent = "The webhook answered HTTP " + result.status + ".";
            }
          })
          .catch(function (error) { statusLine.textContent = (error && error.message) || "The sandbox could not be reached."; })
          .then(function () { sendButton.disabled = false; textInput.focus(); });
      }

      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var text = textInput.value;
        var hasFile = !!(fileInput.files && fileInput.files[0]);
        if (!text.trim() && !hasFile) { return; }
        textInput.value = "";
        send(text.trim() ? text : "", null);
      });

      document.getElementById("attach").addEventListener("click", function () { fileInput.click(); });
      fileInput.addEventListener("change", showChosen);

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
