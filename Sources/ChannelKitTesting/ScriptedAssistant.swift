import ChannelKit
import Logging
import Synchronization

/// An assistant for tests: answers with a closure and records every turn it saw.
public final class ScriptedAssistant: Assistant, Sendable {
    private let answer: @Sendable (AssistantTurn) async throws -> AssistantReply
    private let seen = Mutex<[AssistantTurn]>([])

    /// Creates an assistant.
    /// - Parameter answer: computes the reply; throw to simulate a failure.
    public init(answer: @escaping @Sendable (AssistantTurn) async throws -> AssistantReply) {
        self.answer = answer
    }

    /// An assistant that answers `"re: <text>"`.
    public static func echo() -> ScriptedAssistant {
        ScriptedAssistant { AssistantReply(markdown: "re: \($0.message.text)") }
    }

    /// Every turn so far, in the order they started.
    public var turns: [AssistantTurn] { seen.withLock { $0 } }

    public func reply(to turn: AssistantTurn, logger: Logger) async throws -> AssistantReply {
        seen.withLock { $0.append(turn) }
        return try await answer(turn)
    }
}
