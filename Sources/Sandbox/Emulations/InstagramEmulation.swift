import ChannelKit
import MetaPlatform

/// Instagram Direct, as the emulator plays it: the Messenger Platform's shape
/// (``MessengerPlatformShape``) with `object: instagram` webhooks, the Send API at
/// `POST /<id|me>/messages` and texts counted in UTF-8 bytes; files served at open CDN URLs,
/// as Instagram's webhooks carry them. `POST /api/send` answers `{"status","mid"}`.
public struct InstagramEmulation: GraphEmulation {
    /// `instagram`.
    public static let channelType = "instagram"
    /// The emulated business account (the Instagram professional account id).
    public static let businessAccountID = "17841400000000000"

    /// The access token and app secret the channel uses.
    public let credentials: SandboxCredentials
    /// The longest text the Send API takes, in UTF-8 bytes (`max_message_bytes`, 1000 by default).
    public let maxMessageBytes: Int

    /// Reads `access_token`, `app_secret` and `max_message_bytes`, with the development
    /// credentials the channel uses in sandbox mode when none are set.
    public init(settings: ChannelSettings) {
        credentials = SandboxCredentials(settings: settings)
        maxMessageBytes = settings.integer("max_message_bytes", default: 1000)
    }

    /// The prefix of the message ids the emulated Send API hands out.
    public var sentMessageIDPrefix: String { "sandbox.out." }
    /// Files up to 32 MiB (above the host's default media cap, so that its refusal can be
    /// seen), 64 MiB and 32 files in all, served at open URLs.
    public var media: EmulatedMediaPolicy { EmulatedMediaPolicy(uploadLimit: 32 << 20, memoryLimit: 64 << 20, countLimit: 32, access: .openURL) }

    /// The page's wording and look.
    public var page: SandboxPageStyle {
        SandboxPageStyle(
            platform: "Instagram", subtitle: "Instagram Direct · local sandbox", userLabel: "user id", userIDPrefix: "2", userIDDigits: 16,
            banner: "Local emulator: nothing here reaches Instagram. Each message is posted to this host's real webhook route as a genuine Instagram payload, signed (X-Hub-Signature-256) with the sandbox app secret; replies are caught by the emulated Send API. A photo or an audio file attached with 📎 is kept in this host's memory and fetched through the real media path, as from Instagram's CDN.",
            css: """
              body { background: #fafafa; color: #000; }
              .app { background: #fff; border-left: 1px solid var(--line); border-right: 1px solid var(--line); }
              header { border-bottom: 1px solid var(--line); }
              .avatar { background: conic-gradient(from 200deg, #feda75, #fa7e1e, #d62976, #962fbf, #4f5bd5, #feda75); }
              .who .sub, .user { color: var(--muted); }
              .user button, #send { color: #0095f6; }
              .banner { color: #5c4400; background: #fff8e1; border-bottom: 1px solid #f3e2a9; }
              .bubble { border-radius: 22px; }
              .me.bubble { color: #fff; background: linear-gradient(135deg, #7638fa, #3797f0); }
              .them.bubble { background: #efefef; }
              .choices button { border: 1px solid #3797f0; color: #3797f0; border-radius: 16px; }
              form { border-top: 1px solid var(--line); }
              #text { border: 1px solid var(--line); border-radius: 22px; }
            """)
    }

    /// Instagram's side of the Messenger Platform: `object: instagram`, the professional
    /// account as the recipient, texts counted in UTF-8 bytes.
    var shape: MessengerPlatformShape {
        MessengerPlatformShape(object: "instagram", accountID: Self.businessAccountID, textLimit: TextLimit(maximum: max(1, maxMessageBytes), unit: .utf8Bytes))
    }

    /// The webhook delivery of what a person sent with `POST /api/send`.
    public func personSends(_ body: MetaJSON, user: String, context: PersonContext) throws(SandboxRefusal) -> EmulatedDelivery {
        try shape.personSends(body, user: user, context: context)
    }

    /// Whether a Graph id is an account the emulator answers for.
    public func isAccount(_ id: String) -> Bool { id == "me" }

    /// Graph's answer for an account id.
    public func account(_ id: String) -> MetaJSON {
        ["id": .string(Self.businessAccountID), "name": "Sandra Sandbox", "username": "sandra.sandbox"]
    }

    /// One Send API call, checked as Graph checks it.
    public func send(_ call: GraphSendCall) throws(SandboxRefusal) -> GraphSendRecord {
        try shape.send(call)
    }
}
