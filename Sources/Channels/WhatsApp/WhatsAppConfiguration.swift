import ChannelKit
import Foundation
import MetaPlatform

/// A WhatsApp channel's resolved settings: the shared Meta ones (``MetaGraphSettings``, read
/// through as `configuration.accessToken`) and WhatsApp's own — the phone number id and the
/// text limit in characters.
@dynamicMemberLookup
struct WhatsAppConfiguration: Sendable {
    /// The tokens, app secret, Graph version and host, and the sandbox switch.
    var graph: MetaGraphSettings
    /// The business phone number answered for; empty answers every number.
    var phoneNumberID: String
    /// The longest text one message may carry, in characters.
    var maxMessageCharacters: Int
    /// The template sent when a reply is due after the customer-service window closed; `nil`
    /// when none is configured (such a reply is then not sent).
    var reengagementTemplate: MessageTemplate?

    /// A shared setting: `configuration.appSecret`.
    subscript<Value>(dynamicMember keyPath: KeyPath<MetaGraphSettings, Value>) -> Value {
        graph[keyPath: keyPath]
    }

    /// Reads settings.
    /// - Throws: ``ChannelError`` `.misconfigured` for a non-positive `max_message_characters`,
    ///   an API version or phone number id that is not one path segment, or a base URL that is
    ///   not http(s).
    init(name: String, settings: ChannelSettings, context: ChannelContext) throws {
        self.graph = try MetaGraphSettings(name: name, settings: settings, context: context,
                                           defaultBaseURL: WhatsAppChannelFactory.defaultGraphBaseURL)
        let phoneNumberID = MetaGraphSettings.value(WhatsAppChannelFactory.Key.phoneNumberID.rawValue, in: settings)
        guard phoneNumberID.isEmpty || MetaGraphSettings.isPathSegment(phoneNumberID) else {
            throw ChannelError(.misconfigured, "phone_number_id must be the number's id (digits), not a phone number with spaces or slashes")
        }
        self.maxMessageCharacters = try MetaGraphSettings.positiveInteger(WhatsAppChannelFactory.Key.maxMessageCharacters.rawValue,
                                                                    default: WhatsAppChannelFactory.defaultMaxMessageCharacters, in: settings)
        self.reengagementTemplate = try Self.template(in: settings)
        self.phoneNumberID = phoneNumberID.isEmpty && graph.sandboxMode ? MetaGraphSettings.SandboxCredentials.whatsAppPhoneNumberID : phoneNumberID
    }

    /// The re-engagement template of `reengagement_template`, `_language` and `_parameters`.
    /// - Throws: ``ChannelError`` `.misconfigured` naming the key (``problem(with:forKey:)``).
    static func template(in settings: ChannelSettings) throws -> MessageTemplate? {
        typealias Key = WhatsAppChannelFactory.Key
        func value(_ key: Key) throws -> String {
            let text = MetaGraphSettings.value(key.rawValue, in: settings)
            if let problem = problem(with: text, forKey: key.rawValue) { throw ChannelError(.misconfigured, "\(key.rawValue) \(problem)") }
            return text
        }
        let name = try value(.reengagementTemplate)
        let language = try value(.reengagementTemplateLanguage)
        let list = try value(.reengagementTemplateParameters)
        guard !name.isEmpty else { return nil }
        return MessageTemplate(name: name, language: language.isEmpty ? WhatsAppChannelFactory.defaultTemplateLanguage : language,
                               parameters: parameters(list))
    }

    /// The texts of a `|`-separated parameter list, trimmed; none for an empty list.
    static func parameters(_ list: String) -> [String] {
        list.isEmpty ? [] : list.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// What is wrong with a re-engagement template setting: a name that is not WhatsApp's
    /// (lowercase letters, digits, `_`; at most 512), a language code that is not one (`en`,
    /// `en_US`, `pt_BR`), an empty parameter; `nil` for anything else.
    static func problem(with value: String, forKey key: String) -> String? {
        switch WhatsAppChannelFactory.Key(rawValue: key) {
        case .reengagementTemplate:
            let valid = value.count <= 512
                && value.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            return valid ? nil : "must be an approved template's name: lowercase letters, digits and '_'"
        case .reengagementTemplateLanguage:
            guard !value.isEmpty else { return nil }
            let parts = value.split(separator: "_", omittingEmptySubsequences: false)
            let valid = (1...2).contains(parts.count) && (2...3).contains(parts[0].count) && parts[0].allSatisfy { $0.isASCII && $0.isLowercase }
                && (parts.count == 1 || (parts[1].count == 2 && parts[1].allSatisfy { $0.isASCII && $0.isUppercase }))
            return valid ? nil : "must be a language code such as en or en_US"
        case .reengagementTemplateParameters:
            return parameters(value).contains(where: \.isEmpty) ? "must not hold an empty parameter (texts are separated by '|')" : nil
        default:
            return nil
        }
    }
}
