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
    /// - Throws: ``ChannelError`` `.misconfigured` naming the key, for a name that is not
    ///   WhatsApp's (lowercase letters, digits, `_`; at most 512) or a language code that is
    ///   not one (`en`, `en_US`, `pt_BR`).
    static func template(in settings: ChannelSettings) throws -> MessageTemplate? {
        typealias Key = WhatsAppChannelFactory.Key
        let name = MetaGraphSettings.value(Key.reengagementTemplate.rawValue, in: settings)
        guard !name.isEmpty else { return nil }
        guard name.count <= 512, name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }) else {
            throw ChannelError(.misconfigured, "\(Key.reengagementTemplate.rawValue) must be an approved template's name: lowercase letters, digits and '_'")
        }
        let configured = MetaGraphSettings.value(Key.reengagementTemplateLanguage.rawValue, in: settings)
        let language = configured.isEmpty ? WhatsAppChannelFactory.defaultTemplateLanguage : configured
        let parts = language.split(separator: "_", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), (2...3).contains(parts[0].count), parts[0].allSatisfy({ $0.isASCII && $0.isLowercase }),
              parts.count == 1 || (parts[1].count == 2 && parts[1].allSatisfy { $0.isASCII && $0.isUppercase })
        else {
            throw ChannelError(.misconfigured, "\(Key.reengagementTemplateLanguage.rawValue) must be a language code such as en or en_US")
        }
        let list = MetaGraphSettings.value(Key.reengagementTemplateParameters.rawValue, in: settings)
        let parameters = list.isEmpty ? [] : list.split(separator: "|", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parameters.contains(where: \.isEmpty) else {
            throw ChannelError(.misconfigured, "\(Key.reengagementTemplateParameters.rawValue) must not hold an empty parameter (texts are separated by '|')")
        }
        return MessageTemplate(name: name, language: language, parameters: parameters)
    }
}
