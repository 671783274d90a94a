import ChannelKit
import Logging

extension MetaGraphSettings {
    /// What a factory says when it makes a channel: an aging Graph version, and, live, each
    /// missing secret and what it costs; in sandbox mode, where Graph calls go. Secrets are
    /// never logged, only whether they are set.
    /// - Parameters:
    ///   - channelType: the `type:` value (`messenger`), which starts each message.
    ///   - name: the configured channel name, set as the logger's `channel` metadata.
    ///   - context: what the host lends, its logger among it.
    /// - Returns: the channel's logger when the channel is live, for the caller's own live-only
    ///   checks; `nil` in sandbox mode.
    @discardableResult
    public func logStartup(channelType: String, name: String, context: ChannelContext) -> Logger? {
        var logger = context.logger
        logger[metadataKey: "channel"] = "\(name)"
        GraphAPIVersions.warnIfAging(apiVersion, channelType: channelType, logger: logger)
        guard !sandboxMode else {
            logger.info("\(channelType): sandbox mode; Graph calls go to the local emulator", metadata: ["graph.base_url": "\(graphBaseURL)"])
            return nil
        }
        if appSecret.isEmpty {
            logger.warning("\(channelType): app_secret is empty; every webhook delivery will be refused (403)")
        }
        if verifyToken.isEmpty {
            logger.warning("\(channelType): verify_token is empty; the webhook handshake will be refused")
        }
        if accessToken.isEmpty {
            logger.warning("\(channelType): access_token is empty; replies cannot be sent")
        }
        return logger
    }

    /// Logs a reply part longer than the channel's limit, with its length in each unit the
    /// limit is counted in (never the text). It is sent anyway: the platform's answer (code 100)
    /// is the authority, and the sandbox reports it so a renderer bug is visible.
    public static func warnIfOverLimit(_ text: String, profile: ChannelProfile, channelType: String, logger: Logger) {
        let limit = profile.textLimit
        guard !limit.fits(text) else { return }
        var metadata: Logger.Metadata = ["limit": "\(limit.maximum)"]
        for unit in limit.units {
            metadata[Self.logField(unit)] = "\(limit.length(of: text, in: unit))"
        }
        logger.warning("\(channelType): reply part exceeds the text limit", metadata: metadata)
    }

    /// The log field a length in `unit` is reported under: the names operators' queries know
    /// (`bytes` as Instagram logged it, `code_points` and `utf16_units` as WhatsApp did).
    static func logField(_ unit: TextLimit.Unit) -> String {
        switch unit {
        case .utf8Bytes: "bytes"
        case .unicodeScalars: "code_points"
        case .utf16CodeUnits: "utf16_units"
        case .characters: "characters"
        }
    }
}
