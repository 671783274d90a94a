import ChannelKit
import MetaPlatform

/// Facebook Messenger, as the emulator plays it: the Messenger Platform's shape
/// (``MessengerPlatformShape``) with `object: page` webhooks addressed to the emulated Page,
/// the Send API at `POST /<page-id|me>/messages` and texts of 2,000 characters, counted in code
/// points and UTF-16 units as the channel counts them; files served at open CDN URLs, as
/// Messenger's webhooks carry them. `POST /api/send` answers `{"status","mid"}`.
public struct MessengerEmulation: GraphEmulation {
    /// `messenger`.
    public static let channelType = "messenger"
    /// The emulated Facebook Page, when the channel names none.
    public static let emulatedPageID = "100000000000002"

    /// The access token and app secret the channel uses.
    public let credentials: SandboxCredentials
    /// The Page: the channel's `page_id`, or the emulated one.
    public let pageID: String
    /// The longest text the Send API takes (`max_message_characters`, 2000 by default).
    public let maxMessageCharacters: Int

    /// Reads `access_token`, `app_secret`, `page_id` and `max_message_characters`, with the
    /// development credentials the channel uses in sandbox mode when none are set.
    public init(settings: ChannelSettings) {
        credentials = SandboxCredentials(settings: settings)
        pageID = settings.sandboxValue("page_id", default: Self.emulatedPageID)
        maxMessageCharacters = settings.integer("max_message_characters", default: 2000)
    }

    /// The prefix of the message ids the emulated Send API hands out.
    public var sentMessageIDPrefix: String { "m_sandbox.out." }
    /// Files up to 25 MiB (Messenger's attachment limit), 64 MiB and 32 files in all, served at
    /// open URLs.
    public var media: EmulatedMediaPolicy { EmulatedMediaPolicy(uploadLimit: 25 << 20, memoryLimit: 64 << 20, countLimit: 32, access: .openURL) }

    /// The page's wording and look.
    public var page: SandboxPageStyle {
        SandboxPageStyle(
            platform: "Messenger", subtitle: "Facebook Messenger · local sandbox", userLabel: "PSID", userIDPrefix: "3", userIDDigits: 16,
            banner: "Local emulator: nothing here reaches Facebook. Each message is posted to this host's real webhook route as a genuine Messenger payload (object: page), signed (X-Hub-Signature-256) with the sandbox app secret; replies are caught by the emulated Send API. A photo or an audio file attached with 📎 is kept in this host's memory and fetched through the real media path, as from Messenger's CDN.",
            css: """
              body { background: #f0f2f5; color: #050505; }
              .app { background: #fff; border-left: 1px solid var(--line); border-right: 1px solid var(--line); }
              header { border-bottom: 1px solid var(--line); }
              .avatar { background: radial-gradient(circle at 30% 110%, #0099ff, #a033ff 60%, #ff5280 90%); }
              .who .sub, .user { color: var(--muted); }
              .user button, #send { color: #0084ff; }
              .banner { color: #5c4400; background: #fff8e1; border-bottom: 1px solid #f3e2a9; }
              .bubble { border-radius: 18px; }
              .me.bubble { color: #fff; background: #0084ff; }
              .them.bubble { background: #e4e6eb; }
              .choices button { border: 1px solid #0084ff; color: #0084ff; border-radius: 16px; }
              form { border-top: 1px solid var(--line); }
              #text { border: none; background: #f0f2f5; border-radius: 20px; }
            """)
    }

    /// Messenger's side of the Messenger Platform: `object: page`, the Page as the recipient,
    /// texts counted in UTF-16 units (never fewer than code points, so a text within them fits
    /// both).
    var shape: MessengerPlatformShape {
        MessengerPlatformShape(object: "page", accountID: pageID, textLimit: TextLimit(maximum: max(1, maxMessageCharacters), unit: .utf16CodeUnits))
    }

    /// The webhook delivery of what a person sent with `POST /api/send`.
    public func personSends(_ body: MetaJSON, user: String, context: PersonContext) throws(SandboxRefusal) -> EmulatedDelivery {
        try shape.personSends(body, user: user, context: context)
    }

    /// Whether a Graph id is an account the emulator answers for: `me` or the Page's id.
    public func isAccount(_ id: String) -> Bool { id == "me" || id == pageID }

    /// Graph's answer for an account id: the Page.
    public func account(_ id: String) -> MetaJSON {
        ["id": .string(pageID), "name": "Sandra Sandbox"]
    }

    /// One Send API call, checked as Graph checks it.
    public func send(_ call: GraphSendCall) throws(SandboxRefusal) -> GraphSendRecord {
        try shape.send(call)
    }
}
