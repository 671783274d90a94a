import ChannelKit
import Foundation
import PostgresNIO

/// The ids a person is known by (see ``PersonAliases``), applied as events are accepted.
extension PostgreSQLStore {
    /// The event keyed on the id the store knows its sender by; the event's ids recorded as
    /// theirs. One primary-key lookup for an event with one id; for an event naming several,
    /// one lookup of all their aliases, one of which ids are known, and one insert.
    static func keyOnKnownPerson(_ event: InboundEvent, at now: Date, on session: Session) async throws -> InboundEvent {
        let ids = PersonAliases.ids(of: event)
        let channel = event.channel
        let recorded = Dictionary(try await session.rows("""
            SELECT alias_id, user_id FROM person_aliases WHERE channel = \(channel) AND alias_id = ANY(\(ids))
            """) { try $0.decode((String, String).self) }, uniquingKeysWith: { first, _ in first })
        var known: Set<String> = []
        if ids.count > 1, !ids.contains(where: { recorded[$0] != nil }) {
            known = Set(try await session.rows("""
                SELECT candidate.id FROM unnest(\(ids)::text[]) AS candidate (id)
                WHERE EXISTS (SELECT 1 FROM identity_links WHERE channel = \(channel) AND user_id = candidate.id)
                   OR EXISTS (SELECT 1 FROM conversation_turns WHERE channel = \(channel) AND user_id = candidate.id)
                """) { try $0.decode(String.self) })
        }
        let person = PersonAliases.key(for: ids, recorded: { recorded[$0] }, known: { known.contains($0) })
        if ids.count > 1 {
            try await session.run("""
                INSERT INTO person_aliases (channel, alias_id, user_id, created_at)
                SELECT \(channel), alias.id, \(person), \(Rows.ms(now)) FROM unnest(\(ids)::text[]) AS alias (id)
                ON CONFLICT (channel, alias_id) DO NOTHING
                """)
        }
        return PersonAliases.rekeyed(event, on: person)
    }
}
