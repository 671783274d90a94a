import ChannelKit
import Foundation
import PostgresNIO

// MARK: - ConversationStore: the turns the assistant sees, kept per conversation up to historyCapacity.

extension PostgreSQLStore {
    public func history(of conversation: ConversationKey, limit: Int) async throws -> [ConversationTurn] {
        guard limit > 0 else { return [] }
        return try await session("reading conversation history") { session in
            try await session.rows("""
                SELECT \(unescaped: Rows.turnColumns) FROM conversation_turns
                WHERE channel = \(conversation.channel) AND account_id = \(conversation.accountID)
                  AND user_id = \(conversation.userID)
                ORDER BY id DESC LIMIT \(Int64(limit))
                """, Rows.turn).reversed()
        }
    }

    public func recentConversations(limit: Int) async throws -> [ConversationActivity] {
        guard limit > 0 else { return [] }
        return try await session("listing recent conversations") { session in
            try await session.rows("""
                SELECT t.channel, t.account_id, t.user_id, t.role, t.text, t.timestamp_ms FROM conversation_turns t
                JOIN (SELECT MAX(id) AS id FROM conversation_turns GROUP BY channel, account_id, user_id
                      ORDER BY MAX(id) DESC LIMIT \(Int64(limit))) newest ON t.id = newest.id
                ORDER BY t.id DESC
                """) { row in
                let (channel, account, user, role, text, timestamp) = try row.decode((String, String, String, String, String, Int64).self)
                return ConversationActivity(conversation: ConversationKey(channel: channel, accountID: account, userID: user),
                                            lastTurn: ConversationTurn(role: ConversationTurn.Role(rawValue: role) ?? .user, text: text,
                                                                       timestamp: Rows.date(timestamp)))
            }
        }
    }

    public func sharedHistory(of people: [ChannelIdentity], limit: Int) async throws -> [ConversationTurn] {
        guard limit > 0, !people.isEmpty else { return [] }
        let unique = Array(Set(people))
        let channels = unique.map(\.channel)
        let users = unique.map(\.userID)
        return try await session("reading shared conversation history") { session in
            try await session.rows("""
                SELECT \(unescaped: Rows.turnColumns) FROM conversation_turns
                WHERE (channel, user_id) IN (SELECT * FROM unnest(\(channels)::text[], \(users)::text[]))
                ORDER BY timestamp_ms DESC, id DESC LIMIT \(Int64(limit))
                """, Rows.turn).reversed()
        }
    }

    public func append(_ turns: [ConversationTurn], to conversation: ConversationKey) async throws {
        guard !turns.isEmpty else { return }
        try await transaction("appending to conversation history") { session in
            try await Self.append(turns, to: conversation, on: session)
        }
    }

    /// Appends turns and deletes what is beyond ``historyCapacity`` for the conversation.
    static func append(_ turns: [ConversationTurn], to conversation: ConversationKey, on session: Session) async throws {
        guard !turns.isEmpty else { return }
        let roles = turns.map(\.role.rawValue)
        let texts = turns.map(\.text)
        let times = turns.map { Rows.ms($0.timestamp) }
        try await session.run("""
            INSERT INTO conversation_turns (channel, account_id, user_id, role, text, timestamp_ms)
            SELECT \(conversation.channel), \(conversation.accountID), \(conversation.userID), turn.role, turn.text, turn.at
            FROM unnest(\(roles)::text[], \(texts)::text[], \(times)::bigint[]) WITH ORDINALITY AS turn (role, text, at, n)
            ORDER BY turn.n
            """)
        try await session.run("""
            DELETE FROM conversation_turns
            WHERE channel = \(conversation.channel) AND account_id = \(conversation.accountID) AND user_id = \(conversation.userID)
              AND id <= (SELECT id FROM conversation_turns
                         WHERE channel = \(conversation.channel) AND account_id = \(conversation.accountID)
                           AND user_id = \(conversation.userID)
                         ORDER BY id DESC LIMIT 1 OFFSET \(Int64(historyCapacity)))
            """)
    }
}
