import ChannelKit
import Foundation
import PostgresNIO

/// The ids a person is known by (see ``PersonAliases``), applied as events are accepted.
extension PostgreSQLStore {
    /// The events keyed on the ids the store knows their senders by, in order, each event's
    /// ids recorded as its sender's (`INSERT … ON CONFLICT DO NOTHING`: an id keeps the person
    /// it was first recorded for). An event sees the ids the events before it recorded.
    ///
    /// One lookup of every event's aliases; for events naming several ids none of which is
    /// recorded, one lookup of which ids the store knows; one insert of the new aliases.
    /// Events naming one id each need the first statement only, and record nothing.
    static func keyOnKnownPeople(_ events: [InboundEvent], at now: Date, on session: Session) async throws -> [InboundEvent] {
        let ids = events.map { PersonAliases.ids(of: $0) }
        let pairs = Set(zip(events, ids).flatMap { event, ids in ids.map { ChannelScopedID(channel: event.channel, id: $0) } })
        var recorded: [ChannelScopedID: String] = [:]
        if events.count == 1, ids[0].count == 1 {
            // One id: a primary-key lookup with single values, which PostgresNIO encodes for less.
            let channel = events[0].channel
            if let user = try await session.firstRow("""
                SELECT user_id FROM person_aliases WHERE channel = \(channel) AND alias_id = \(ids[0][0])
                """, { try $0.decode(String.self) }) {
                return [PersonAliases.rekeyed(events[0], on: user)]
            }
            return events
        }
        for (channel, alias, user) in try await session.rows("""
            SELECT a.channel, a.alias_id, a.user_id FROM person_aliases a
            JOIN unnest(\(pairs.map(\.channel))::text[], \(pairs.map(\.id))::text[]) AS wanted (channel, id)
              ON a.channel = wanted.channel AND a.alias_id = wanted.id
            """, { try $0.decode((String, String, String).self) }) {
            recorded[ChannelScopedID(channel: channel, id: alias)] = user
        }
        let unknown = Set(zip(events, ids).flatMap { event, ids -> [ChannelScopedID] in
            guard ids.count > 1, !ids.contains(where: { recorded[ChannelScopedID(channel: event.channel, id: $0)] != nil }) else {
                return []
            }
            return ids.map { ChannelScopedID(channel: event.channel, id: $0) }
        })
        var known: Set<ChannelScopedID> = []
        if !unknown.isEmpty {
            for (channel, id) in try await session.rows("""
                SELECT candidate.channel, candidate.id
                FROM unnest(\(unknown.map(\.channel))::text[], \(unknown.map(\.id))::text[]) AS candidate (channel, id)
                WHERE EXISTS (SELECT 1 FROM identity_links WHERE channel = candidate.channel AND user_id = candidate.id)
                   OR EXISTS (SELECT 1 FROM conversation_turns WHERE channel = candidate.channel AND user_id = candidate.id)
                """, { try $0.decode((String, String).self) }) {
                known.insert(ChannelScopedID(channel: channel, id: id))
            }
        }
        var keyed: [InboundEvent] = []
        var added: [(key: ChannelScopedID, person: String)] = []
        for (event, ids) in zip(events, ids) {
            let channel = event.channel
            let person = PersonAliases.key(for: ids, recorded: { recorded[ChannelScopedID(channel: channel, id: $0)] },
                                           known: { known.contains(ChannelScopedID(channel: channel, id: $0)) })
            if ids.count > 1 {
                for id in ids where recorded[ChannelScopedID(channel: channel, id: id)] == nil {
                    recorded[ChannelScopedID(channel: channel, id: id)] = person
                    added.append((ChannelScopedID(channel: channel, id: id), person))
                }
            }
            keyed.append(PersonAliases.rekeyed(event, on: person))
        }
        if !added.isEmpty {
            try await session.run("""
                INSERT INTO person_aliases (channel, alias_id, user_id, created_at)
                SELECT alias.channel, alias.id, alias.person, \(Rows.ms(now))
                FROM unnest(\(added.map(\.key.channel))::text[], \(added.map(\.key.id))::text[],
                            \(added.map(\.person))::text[]) WITH ORDINALITY AS alias (channel, id, person, n)
                ORDER BY alias.n
                ON CONFLICT (channel, alias_id) DO NOTHING
                """)
        }
        return keyed
    }

    /// An id on a channel: a person's alias, or a message's platform id (the inbox's key).
    struct ChannelScopedID: Hashable {
        var channel: String
        var id: String
    }
}
