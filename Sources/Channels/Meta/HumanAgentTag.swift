import ChannelKit

/// The Messenger Platform's reply window for Instagram and Messenger: replies within 24 hours
/// of the person's last message; after that, for an app with the Human Agent permission, replies
/// tagged `HUMAN_AGENT` for up to 7 days (`human_agent_tag: true`).
public enum HumanAgentTag {
    /// The setting key: `human_agent_tag`.
    public static let key = "human_agent_tag"
    /// The tag's name on the wire (`"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT"`).
    public static let tag = "HUMAN_AGENT"
    /// How long after the person's last message a tagged reply is taken: 7 days.
    public static let window: Duration = .seconds(7 * 24 * 3600)

    /// The `human_agent_tag` setting field, off by default.
    public static var field: SettingField {
        SettingField(key: key, label: "Human Agent Tag", kind: .boolean, defaultValue: "false",
                     help: "true when the app has Meta's Human Agent permission: replies due 24 hours to 7 days after the person's last message go tagged HUMAN_AGENT. Otherwise (false) such replies are not sent.")
    }

    /// Whether `settings` turn the tag on.
    public static func isEnabled(in settings: ChannelSettings) -> Bool {
        settings.boolean(key, default: false)
    }

    /// The reply window: 24 hours, then tagged replies up to 7 days when `enabled`.
    public static func replyWindow(enabled: Bool) -> ReplyWindow {
        ReplyWindow(outside: enabled ? .tagged(tag: tag, until: window) : .nothing)
    }
}
