import ChannelKit
import Foundation

/// Turns a verified Messenger Platform webhook body — Messenger's `object: page`, Instagram's
/// `object: instagram` — into normalized events.
///
/// Walks every `entry`, every item of its `messaging` and `standby` arrays, and `changes`
/// entries (the App Dashboard's test button sends a `messages` change shaped like a messaging
/// item). An item that cannot be read is recorded as ignored with the reason (the place in
/// the payload that is wrong, never message text), and the rest of the delivery is accepted;
/// only a body that is not a webhook of the channel's `object` at all is refused.
///
/// What differs between the products is passed in: the `object`, the attachment types, and
/// how a message of a product's own kind is answered (Instagram's story mentions).
///
/// ```swift
/// let parser = MessagingWebhookParser(channel: "messenger", envelope: MetaWebhookEnvelope(object: "page", label: "messenger webhook"),
///                                     attachmentKinds: ["image": .image])
/// let events = try parser.parse(body)
/// ```
public struct MessagingWebhookParser: Sendable {
    /// How a product answers a message of its own kind: the event's kind, or `nil` for an
    /// ordinary message. Given the message and its `mid`.
    public typealias MessageKind = @Sendable (_ message: InboundMessage, _ mid: String) -> InboundEvent.Kind?

    /// The configured channel name put on every event.
    public let channel: String
    /// The product's envelope (`object`, and what errors call the body).
    public let envelope: MetaWebhookEnvelope
    /// The product's attachment types and their normalized kinds; others are `.other`.
    public let attachmentKinds: [String: Attachment.Kind]
    /// The product's own message kinds; `nil`: every message is answered as it is.
    let messageKind: MessageKind?
    /// The Meta app this host sends as (`app_id`), when configured: echoes carrying it are this
    /// host's own sends, recorded and nothing more. Others are left for the pipeline to decide.
    public var ownAppID: String?

    /// Creates a parser.
    /// - Parameters:
    ///   - channel: the configured channel name.
    ///   - envelope: the product's envelope.
    ///   - attachmentKinds: the product's attachment types.
    ///   - messageKind: how a message of the product's own kind is answered.
    ///   - ownAppID: the Meta app this host sends as, when configured.
    public init(channel: String, envelope: MetaWebhookEnvelope, attachmentKinds: [String: Attachment.Kind], messageKind: MessageKind? = nil,
                ownAppID: String? = nil) {
        self.ownAppID = ownAppID
        self.channel = channel
        self.envelope = envelope
        self.attachmentKinds = attachmentKinds
        self.messageKind = messageKind
    }

    /// Parses a body.
    /// - Throws: ``ChannelError`` `.malformedPayload` when the body is not JSON, not an object,
    ///   not of the envelope's `object`, or has no `entry` array.
    public func parse(_ body: [UInt8]) throws -> [InboundEvent] {
        var events: [InboundEvent] = []
        for (entryIndex, entry) in try envelope.entries(of: body).enumerated() {
            let place = "entry[\(entryIndex)]"
            let accountID = entry["id"]?.idValue ?? ""
            let entryTime = entry["time"].flatMap(Self.milliseconds)
            func unreadable(_ item: MetaJSON, _ error: any Error) -> InboundEvent {
                UnreadableItem.event(channel: channel, accountID: accountID, senderID: item["sender"]?["id"]?.idValue,
                                     itemID: item["message"]?["mid"]?.idValue ?? item["mid"]?.idValue, item: item,
                                     timestamp: (item["timestamp"].flatMap(Self.milliseconds) ?? entryTime).map(Self.date), error: error)
            }
            do {
                guard entry.objectValue != nil else { throw envelope.malformed(place, "is not an object") }
                guard !accountID.isEmpty else { throw envelope.malformed(place + ".id", "is missing") }
                let context = EntryContext(accountID: accountID, entryTime: entryTime)
                for (index, item) in try envelope.array(entry, "messaging", place).enumerated() {
                    do { events.append(try event(item, context, "\(place).messaging[\(index)]")) } catch { events.append(unreadable(item, error)) }
                }
                for (index, item) in try envelope.array(entry, "standby", place).enumerated() {
                    do {
                        events.append(standby(try event(item, context, "\(place).standby[\(index)]")))
                    } catch {
                        events.append(unreadable(item, error))
                    }
                }
                for (index, change) in try envelope.array(entry, "changes", place).enumerated() {
                    do { events.append(try changeEvent(change, context, "\(place).changes[\(index)]")) } catch { events.append(unreadable(change, error)) }
                }
            } catch {
                events.append(unreadable(entry, error))
            }
        }
        return events
    }

    // MARK: Entries

    struct EntryContext {
        var accountID: String
        var entryTime: Int64?
    }

    private func standby(_ event: InboundEvent) -> InboundEvent {
        var result = event
        result.platformMessageID = "standby:" + event.platformMessageID
        result.kind = .ignored(IgnoredEvent(reason: .standby, targetMessageID: Self.targetMessageID(of: event), detail: Self.kindName(event.kind)))
        return result
    }

    private func changeEvent(_ change: MetaJSON, _ context: EntryContext, _ place: String) throws -> InboundEvent {
        guard change.objectValue != nil else { throw envelope.malformed(place, "is not an object") }
        let field = change["field"]?.stringValue ?? ""
        guard let value = change["value"], value.objectValue != nil else { throw envelope.malformed(place + ".value", "is not an object") }
        if field == "messages" {
            return try event(value, context, place + ".value")
        }
        // Comments, mentions, feed changes and other fields: recorded, never answered.
        let senderID = value["from"]?["id"]?.idValue ?? value["sender"]?["id"]?.idValue ?? context.accountID
        let millis = value["timestamp"].flatMap(Self.milliseconds) ?? context.entryTime ?? 0
        let itemID = value["id"]?.idValue ?? value["mid"]?.idValue ?? "\(senderID):\(millis)"
        return InboundEvent(channel: channel, accountID: context.accountID, senderID: senderID,
                            platformMessageID: "change:\(field):\(itemID)", timestamp: Self.date(millis),
                            kind: .ignored(IgnoredEvent(reason: .unknown, targetMessageID: nil, detail: "change:\(field.prefix(60))")))
    }
}
