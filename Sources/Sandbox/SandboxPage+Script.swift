extension SandboxPage {
    /// The page's behaviour; `sandboxConfig` (set just before it) carries the style's choices.
    static let script = #"""
    (function () {
      "use strict";
      var config = sandboxConfig;
      var base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
      var thread = document.getElementById("thread");
      var typing = document.getElementById("typing");
      var statusLine = document.getElementById("status");
      var userInput = document.getElementById("user");
      var form = document.getElementById("composer");
      var textInput = document.getElementById("text");
      var sendButton = document.getElementById("send");
      var fileInput = document.getElementById("file");
      var chosen = document.getElementById("chosen");
      var user = "", after = 0, generation = 0, typingSince = 0, choices = null, ticks = {};

      function randomUserID() {
        var digits = "", values = new Uint8Array(config.userIDDigits);
        crypto.getRandomValues(values);
        for (var i = 0; i < values.length; i++) { digits += String(values[i] % 10); }
        return config.userIDPrefix + digits;
      }

      function storedUser() {
        try { return localStorage.getItem(config.storageKey); } catch (e) { return null; }
      }

      function setUser(id) {
        user = id;
        userInput.value = id;
        try { localStorage.setItem(config.storageKey, id); } catch (e) {}
        generation += 1;
        after = 0;
        typingSince = 0;
        choices = null;
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

      // The request that carried a message, folded under it; a JSON body is indented.
      function addRaw(message) {
        if (!message.raw) { return; }
        var split = message.raw.indexOf("\n\n");
        var head = split < 0 ? message.raw : message.raw.slice(0, split);
        var body = split < 0 ? "" : message.raw.slice(split + 2);
        try { body = JSON.stringify(JSON.parse(body), null, 2); } catch (e) {}
        var details = document.createElement("details");
        details.className = "raw " + (message.direction === "in" ? "me" : "them");
        var summary = document.createElement("summary");
        summary.textContent = message.direction === "in" ? "webhook delivered" : "Graph request";
        var pre = document.createElement("pre");
        pre.textContent = head + "\n\n" + body;
        details.appendChild(summary);
        details.appendChild(pre);
        thread.appendChild(details);
      }

      function removeChoices() {
        if (choices) { choices.remove(); choices = null; }
      }

      function addMessage(message) {
        var empty = document.getElementById("empty");
        if (empty) { empty.remove(); }
        removeChoices();
        var bubble = document.createElement("div");
        bubble.className = "bubble " + (message.direction === "in" ? "me" : "them");
        if (message.direction === "out" && config.whatsAppFormatting) {
          appendFormatted(bubble, message.text || "");
        } else {
          bubble.textContent = message.text || "";
        }
        (message.attachments || []).forEach(function (label) {
          var line = document.createElement("span");
          line.className = "media";
          line.textContent = "📎 " + label;
          bubble.appendChild(line);
        });
        if (message.direction === "in" && config.readTicks) {
          var tick = document.createElement("span");
          tick.className = "ticks";
          tick.textContent = "✓";
          bubble.appendChild(tick);
          if (message.message_id) { ticks[message.message_id] = tick; }
        }
        thread.appendChild(bubble);
        addRaw(message);
        if (message.direction === "out" && message.choices && message.choices.length) {
          choices = document.createElement("div");
          choices.className = "choices";
          message.choices.forEach(function (choice) {
            var button = document.createElement("button");
            button.type = "button";
            button.textContent = choice.title;
            button.addEventListener("click", function () {
              if (config.choice === "button") {
                send({ reply_id: choice.payload, reply_title: choice.title, context_id: message.message_id });
              } else {
                send({ text: choice.title, quick_reply_payload: choice.payload });
              }
            });
            choices.appendChild(button);
          });
          thread.appendChild(choices);
        }
        thread.scrollTop = thread.scrollHeight;
      }

      function addNote(message) {
        var note = document.createElement("div");
        note.className = "note";
        note.textContent = "status delivered to Sandra: " + message.text;
        thread.appendChild(note);
        addRaw(message);
      }

      function renderTyping() {
        var active = typingSince && Date.now() - typingSince < config.typingMillis;
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
                addNote(message);
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

      // Uploads the chosen file to the emulated CDN; resolves to its id and kind (or null).
      function uploadChosen() {
        var file = fileInput.files && fileInput.files[0];
        if (!file) { return Promise.resolve(null); }
        if (file.size > config.uploadLimit) { return Promise.reject(new Error("The file is too large for the sandbox.")); }
        var type = file.type || "application/octet-stream";
        return fetch(base + "api/media", { method: "POST", headers: { "Content-Type": type }, body: file })
          .then(function (response) { return response.json(); })
          .then(function (result) {
            if (result.error) { throw new Error(result.error); }
            return { type: type.indexOf("image/") === 0 ? "image" : "audio", media_id: result.id };
          });
      }

      function send(fields) {
        var hasFile = !!(fileInput.files && fileInput.files[0]);
        if ((!fields.text && !fields.reply_id && !hasFile) || !user) { return; }
        sendButton.disabled = true;
        statusLine.textContent = "";
        removeChoices();
        uploadChosen()
          .then(function (upload) {
            var body = { user: user };
            Object.keys(fields).forEach(function (key) { if (fields[key]) { body[key] = fields[key]; } });
            if (upload && config.upload === "media_id") {
              body.media_id = upload.media_id;
              body.media_type = upload.type;
              if (body.text) { body.caption = body.text; delete body.text; }
            } else if (upload) {
              body.attachments = [upload];
            }
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

      function submit() {
        var text = textInput.value;
        var hasFile = !!(fileInput.files && fileInput.files[0]);
        if (!text.trim() && !hasFile) { return; }
        textInput.value = "";
        fitText();
        send({ text: text.trim() ? text : "" });
      }

      // The box grows with its lines, up to its CSS maximum.
      function fitText() {
        textInput.style.height = "auto";
        textInput.style.height = textInput.scrollHeight + "px";
      }

      form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });
      // Enter sends, Shift+Enter starts a new line, as in the apps; Enter that ends an
      // input method's composition does neither.
      textInput.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          if (!sendButton.disabled) { submit(); }
        }
      });
      textInput.addEventListener("input", fitText);
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
    """#
}
