import Foundation

/// A conversation and who answers it, as the admin portal lists them.
public struct ControlledConversation: Sendable, Hashable {
    /// The conversation.
    public var conversation: ConversationKey
    /// Its state.
    public var control: ConversationControl
}

extension SharedStateStore {
    /// The conversation's state at `now`, or `nil` when Sandra answers it as usual.
    public func conversationControl(of conversation: ConversationKey, at now: Date) async throws -> ConversationControl? {
        guard let text = try await sharedValue(scope: ConversationControl.scope, key: conversation.storeKey, at: now) else {
            return nil
        }
        return ConversationControl.decode(text)
    }

    /// Changes the conversation's state in one atomic step across every host: `transform` is
    /// given the state (`nil`: none) and returns the new one (`nil`, or one that no longer
    /// matters: deleted). Kept until the pause ends, or for good while another app owns the
    /// thread or the person waits for a person of the business.
    /// - Returns: the state now.
    @discardableResult
    public func updateConversationControl(of conversation: ConversationKey, at now: Date,
                                          _ transform: @escaping @Sendable (ConversationControl?) -> ConversationControl?) async throws -> ConversationControl? {
        let change = try await updateSharedValue(scope: ConversationControl.scope, key: conversation.storeKey, at: now) { text in
            guard var control = transform(text.flatMap(ConversationControl.decode)), control.matters(at: now) else { return .delete }
            control.updatedAt = now
            return SharedValueUpdate(value: control.encoded, expiresAt: control.keptUntil)
        }
        return change.current.flatMap(ConversationControl.decode)
    }

    /// The conversations where Sandra is quiet or a person is waiting, the most recently
    /// changed first, at most `limit`.
    public func controlledConversations(at now: Date, limit: Int) async throws -> [ControlledConversation] {
        try await sharedValues(scope: ConversationControl.scope, at: now, limit: limit).compactMap { entry in
            guard let conversation = ConversationKey(storeKey: entry.key),
                  let control = ConversationControl.decode(entry.value) else { return nil }
            return ControlledConversation(conversation: conversation, control: control)
        }
    }
}

extension ConversationControl {
    static func decode(_ text: String) -> ConversationControl? {
        try? JSONDecoder().decode(ConversationControl.self, from: Data(text.utf8))
    }

    var encoded: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
