import ChannelKit
import Foundation

// MARK: - ConversationStore: the turns the assistant sees, kept per conversation up to historyCapacity.

extension SQLiteStore {
    public func history(of conversation: ConversationKey, limit: Int) async throws -> [ConversationTurn] {
        guard limit > 0 else { return [] }
        return try read("reading conversation history") { database in
            try database.rows("""
                SELECT \(Row.turnColumns) FROM conversation_turns
                WHERE channel = ? AND account_id = ? AND user_id = ?
                ORDER BY id DESC LIMIT ?
                """, [Row.bind(conversation.channel), Row.bind(conversation.accountID), Row.bind(conversation.userID),
                      Row.bind(limit)], Row.turn
            ).reversed()
        }
    }

    public func recentConversations(limit: Int) async throws -> [ConversationActivity] {
        guard limit > 0 else { return [] }
        return try read("listing recent conversations") { database in
            try database.rows("""
                SELECT t.channel, t.account_id, t.user_id, t.role, t.text, t.timestamp_ms FROM conversation_turns t
                JOIN (SELECT MAX(id) AS id FROM conversation_turns GROUP BY channel, account_id, user_id
                      ORDER BY MAX(id) DESC LIMIT ?) newest ON t.id = newest.id
                ORDER BY t.id DESC
                """, [Row.bind(limit)]) { row in
                let role = ConversationTurn.Role(rawValue: try row.text(3)) ?? .user
                return ConversationActivity(
                    conversation: ConversationKey(channel: try row.text(0), accountID: try row.text(1), userID: try row.text(2)),
                    lastTurn: ConversationTurn(role: role, text: try row.text(4), timestamp: Row.date(milliseconds: try row.integer(5))))
            }
        }
    }

    public func sharedHistory(of people: [ChannelIdentity], limit: Int) async throws -> [ConversationTurn] {
        guard limit > 0, !people.isEmpty else { return [] }
        let unique = Array(Set(people))
        let condition = Array(repeating: "(channel = ? AND user_id = ?)", count: unique.count).joined(separator: " OR ")
        let binds = unique.flatMap { [Row.bind($0.channel), Row.bind($0.userID)] } + [Row.bind(limit)]
        return try read("reading shared conversation history") { database in
            try database.rows("""
                SELECT \(Row.turnColumns) FROM conversation_turns
                WHERE \(condition)
                ORDER BY timestamp_ms DESC, id DESC LIMIT ?
                """, binds, Row.turn).reversed()
        }
    }

    public func append(_ turns: [ConversationTurn], to conversation: ConversationKey) async throws {
        guard !turns.isEmpty else { return }
        try await write("appending to conversation history") { database in
            try Self.append(turns, to: conversation, on: database)
        }
    }

    /// Appends turns and deletes what is beyond ``historyCapacity`` for the conversation.
    static func append(_ turns: [ConversationTurn], to conversation: ConversationKey, on database: Database) throws {
        guard !turns.isEmpty else { return }
        let key = [Row.bind(conversation.channel), Row.bind(conversation.accountID), Row.bind(conversation.userID)]
        for turn in turns {
            try database.run("""
                INSERT INTO conversation_turns (channel, account_id, user_id, role, text, timestamp_ms)
                VALUES (?, ?, ?, ?, ?, ?)
                """, key + [Row.bind(turn.role.rawValue), Row.bind(turn.text), Row.bind(turn.timestamp)])
        }
        try database.run("""
            DELETE FROM conversation_turns
            WHERE channel = ?1 AND account_id = ?2 AND user_id = ?3
              AND id <= (SELECT id FROM conversation_turns WHERE channel = ?1 AND account_id = ?2 AND user_id = ?3
                         ORDER BY id DESC LIMIT 1 OFFSET \(historyCapacity))
            """, key)
    }
}
