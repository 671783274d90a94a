import Foundation
import MetaPlatform

/// The sandbox's chat page, one skeleton for every platform: one self-contained document
/// (inline CSS and vanilla JavaScript, no external resources) dressed by a
/// ``SandboxPageStyle``.
///
/// The text box takes several lines (Shift+Enter starts a new line, Enter sends, as in the
/// apps); under each message a fold shows the request that really carried it: the webhook
/// body delivered to the channel, or the Graph request the host sent. Every piece of data is
/// put on the page with `textContent`, never as markup.
enum SandboxPage {
    /// The page for `style`.
    /// - Parameters:
    ///   - style: the platform's wording and look.
    ///   - uploadLimit: the largest file the emulator takes, in bytes.
    static func html(_ style: SandboxPageStyle, uploadLimit: Int) -> String {
        let config: MetaJSON = [
            "storageKey": .string("sandra.\(style.platform.lowercased())-sandbox.user"),
            "userIDPrefix": .string(style.userIDPrefix), "userIDDigits": .integer(Int64(style.userIDDigits)),
            "choice": .string(style.choice.rawValue), "upload": .string(style.upload.rawValue),
            "whatsAppFormatting": .bool(style.whatsAppFormatting), "readTicks": .bool(style.readTicks),
            "typingMillis": .integer(Int64(style.typingSeconds) * 1000), "uploadLimit": .integer(Int64(uploadLimit)),
        ]
        // `<` escaped, so that nothing in the configuration can close the script element.
        let script = String(decoding: config.encoded(), as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
        return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Sandra — \(escape(style.platform)) sandbox</title>
        <style>
        \(skeletonCSS)
        \(style.css)
        </style>
        </head>
        <body>
        <div class="app">
          <header>
            <div class="avatar" aria-hidden="true">S</div>
            <div class="who">
              <h1>Sandra</h1>
              <div class="sub">\(escape(style.subtitle))</div>
            </div>
            <label class="user">\(escape(style.userLabel))
              <input id="user" autocomplete="off" spellcheck="false">
              <button type="button" id="new-user">new user</button>
            </label>
          </header>
          <p class="banner">\(escape(style.banner)) Under each message, “webhook delivered” and “Graph request” show the exact bodies that crossed the wire.</p>
          <div id="thread" aria-live="polite"><div class="empty" id="empty">No messages yet. Say hello to Sandra.</div></div>
          <div id="typing"></div>
          <div id="status" role="status"></div>
          <div id="chosen"></div>
          <form id="composer">
            <button type="button" class="attach" id="attach" title="Attach a photo or an audio file" aria-label="Attach a photo or an audio file">📎</button>
            <input type="file" id="file" accept="image/*,audio/*">
            <textarea id="text" rows="1" placeholder="Message… (Shift+Enter: new line)" autocomplete="off" maxlength="\(style.textLimit)"></textarea>
            <button id="send" type="submit" aria-label="Send">\(escape(style.sendLabel))</button>
          </form>
        </div>
        <script>
        var sandboxConfig = \(script);
        \(SandboxPage.script)
        </script>
        </body>
        </html>
        """
    }

    /// What every platform's page shares; a style's CSS overrides it.
    static let skeletonCSS = """
      :root { color-scheme: light; --line: #dbdbdb; --muted: #737373; }
      * { box-sizing: border-box; }
      body { margin: 0; font: 15px/1.35 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
      .app { max-width: 640px; height: 100vh; margin: 0 auto; display: flex; flex-direction: column; }
      header { display: flex; align-items: center; gap: 12px; padding: 12px 16px; }
      .avatar { width: 40px; height: 40px; border-radius: 50%; flex: none; display: grid; place-items: center; color: #fff; font-weight: 700; }
      .who { flex: 1; min-width: 0; }
      .who h1 { font-size: 16px; margin: 0; }
      .who .sub { font-size: 12px; }
      .user { display: flex; flex-direction: column; gap: 2px; font-size: 11px; }
      .user input { width: 190px; font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; padding: 4px 6px; border: 1px solid var(--line); border-radius: 6px; }
      .user button { align-self: flex-end; font-size: 11px; border: 0; background: none; cursor: pointer; padding: 0; }
      .banner { margin: 0; padding: 8px 16px; font-size: 12px; }
      #thread { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 4px; }
      .empty { margin: auto; color: var(--muted); text-align: center; font-size: 13px; }
      .bubble { max-width: 75%; padding: 8px 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
      .me { align-self: flex-end; }
      .them { align-self: flex-start; }
      .bubble code, .bubble pre, .raw pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
      .bubble pre { margin: 2px 0; white-space: pre-wrap; }
      .raw { max-width: 90%; font-size: 11px; color: var(--muted); }
      .raw.me { align-self: flex-end; }
      .raw pre { margin: 2px 0 6px; padding: 6px; max-height: 240px; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; border-radius: 6px; color: #333; }
      .raw summary { cursor: pointer; }
      .choices { align-self: flex-start; display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0 8px; }
      .choices button { background: #fff; padding: 4px 12px; font: inherit; font-size: 13px; cursor: pointer; }
      .ticks { float: right; margin: 6px 0 0 8px; font-size: 11px; color: var(--muted); }
      .ticks.read { color: #53bdeb; }
      .note { align-self: center; font-size: 12px; color: var(--muted); background: #fff; border-radius: 8px; padding: 3px 8px; }
      #typing { color: var(--muted); font-size: 13px; padding: 0 16px 6px; min-height: 22px; }
      form { display: flex; align-items: flex-end; gap: 8px; padding: 12px 16px; }
      #text { flex: 1; padding: 10px 16px; font: inherit; resize: none; max-height: 140px; }
      #send { border: 0; background: none; font: inherit; font-weight: 600; cursor: pointer; }
      #send:disabled { opacity: .5; cursor: default; }
      #status { padding: 0 16px 8px; font-size: 12px; color: #ed4956; min-height: 8px; }
      .attach { border: 0; background: none; font-size: 20px; cursor: pointer; padding: 0 4px; }
      #file { display: none; }
      #chosen { padding: 0 16px 4px; font-size: 12px; color: var(--muted); min-height: 4px; }
      #chosen button { border: 0; background: none; color: #0095f6; cursor: pointer; font-size: 12px; }
      .media { display: block; font-size: 13px; opacity: 0.9; }
    """

    /// `&`, `<`, `>` and `"` as entities.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
