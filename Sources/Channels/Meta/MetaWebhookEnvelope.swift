import ChannelKit

/// The outer shape every Meta webhook delivery shares — `{"object": "<product>", "entry": [ … ]}`
/// — and the wording of what is wrong in one.
///
/// A channel's parser reads its entries through it: the body decoded with ``MetaJSON``, the
/// `object` checked, the `entry` array returned. Places in errors name the path in the payload
/// (`entry[0].messaging[1].sender.id`), never message text.
///
/// ```swift
/// let envelope = MetaWebhookEnvelope(object: "page", label: "messenger webhook")
/// for (index, entry) in try envelope.entries(of: body).enumerated() {
///     for item in try envelope.array(entry, "messaging", "entry[\(index)]") { … }
/// }
/// ```
public struct MetaWebhookEnvelope: Sendable {
    /// The `object` value the channel takes (`instagram`, `page`, `whatsapp_business_account`).
    public let object: String
    /// What errors call the body (`instagram webhook`).
    public let label: String

    /// Creates an envelope reader.
    /// - Parameters:
    ///   - object: the `object` value the channel takes.
    ///   - label: what errors call the body.
    public init(object: String, label: String) {
        self.object = object
        self.label = label
    }

    /// The entries of a body.
    /// - Throws: ``ChannelError`` `.malformedPayload` when the body is not JSON, not an object,
    ///   not of this ``object``, or has no `entry` array.
    public func entries(of body: [UInt8]) throws -> [MetaJSON] {
        let root: MetaJSON
        do {
            root = try MetaJSON.decode(body)
        } catch {
            throw ChannelError.malformedPayload("\(label): body is not valid JSON")
        }
        guard root.objectValue != nil else { throw malformed("body", "is not a JSON object") }
        guard let found = root["object"]?.stringValue else { throw malformed("object", "is missing") }
        guard found == object else {
            throw malformed("object", "is \"\(found.prefix(40))\", not \"\(object)\"")
        }
        guard let entries = root["entry"]?.arrayValue else { throw malformed("entry", "is not an array") }
        return entries
    }

    /// The array under `key` of `value`, empty when absent or `null`.
    /// - Throws: ``ChannelError`` `.malformedPayload` when something else stands there.
    public func array(_ value: MetaJSON, _ key: String, _ place: String) throws -> [MetaJSON] {
        guard let element = value[key], !element.isNull else { return [] }
        guard let elements = element.arrayValue else { throw malformed("\(place).\(key)", "is not an array") }
        return elements
    }

    /// The error for a place in the payload: `<label>: <place> <problem>`.
    public func malformed(_ place: String, _ problem: String) -> ChannelError {
        .malformedPayload("\(label): \(place) \(problem)")
    }
}
