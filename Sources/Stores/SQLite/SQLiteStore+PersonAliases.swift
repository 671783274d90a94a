import ChannelKit
import Foundation

/// The ids a person is known by (see ``PersonAliases``), applied as events are accepted.
extension SQLiteStore {
    /// The event keyed on the id the store knows its sender by; the event's ids recorded as
    /// theirs. Runs inside the accepting transaction: one primary-key lookup for an event with
    /// one id, a few more for an event naming several.
    static func keyOnKnownPerson(_ event: InboundEvent, at now: Date, on database: Database) throws -> InboundEvent {
        let ids = PersonAliases.ids(of: event)
        let person = try PersonAliases.key(
            for: ids,
            recorded: { id in
                try database.firstRow("SELECT user_id FROM person_aliases WHERE channel = ? AND alias_id = ?",
                                      [Row.bind(event.channel), Row.bind(id)]) { try $0.text(0) }
            },
            known: { id in
                let binds = [Row.bind(event.channel), Row.bind(id)]
                if try database.firstRow("SELECT 1 FROM identity_links WHERE channel = ? AND user_id = ?", binds, { try $0.integer(0) }) != nil {
                    return true
                }
                return try database.firstRow("SELECT 1 FROM conversation_turns WHERE channel = ? AND user_id = ? LIMIT 1",
                                             binds) { try $0.integer(0) } != nil
            })
        if ids.count > 1 {
            for id in ids {
                try database.run("""
                    INSERT INTO person_aliases (channel, alias_id, user_id, created_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (channel, alias_id) DO NOTHING
                    """, [Row.bind(event.channel), Row.bind(id), Row.bind(person), Row.bind(now)])
            }
        }
        return PersonAliases.rekeyed(event, on: person)
    }
}
