/// Which id a person's conversation is keyed on, when a platform names the same person by
/// more than one id (WhatsApp: a business-scoped user id and a phone number; a new id after
/// the old one changed).
///
/// Stores apply it when they accept events: an event naming several ids (its
/// ``InboundEvent/senderID`` and ``InboundEvent/alternativeSenderIDs``) is keyed on the id the
/// store already knows the person by — one an earlier event recorded as theirs, else one that
/// has conversation history or an identity link — so history and identity links stay with the
/// person; every id of the event is then recorded as theirs. An event naming one id that was
/// recorded for a person is keyed on that person's id. Replies still go to the id the person
/// wrote from (``InboundEvent/replyAddress``).
///
/// Why not move the history to the newest id instead: an alias is one small row per id, written
/// in the same transaction as the event; moving history, links, pending codes and queued
/// events of a person would touch every table, and a crash between two of those moves would
/// split the person.
public enum PersonAliases {
    /// The ids of `event`, the sender first, without repeats.
    public static func ids(of event: InboundEvent) -> [String] {
        var ids = [event.senderID]
        for id in event.alternativeSenderIDs where !id.isEmpty && !ids.contains(id) { ids.append(id) }
        return ids
    }

    /// The key for `ids`: the person an id was recorded for (`recorded`), else the first id the
    /// store knows (`known`), else the sender's id.
    public static func key(for ids: [String], recorded: (String) throws -> String?, known: (String) throws -> Bool) rethrows -> String {
        for id in ids {
            if let key = try recorded(id) { return key }
        }
        if ids.count > 1 {
            for id in ids where try known(id) { return id }
        }
        return ids[0]
    }

    /// `event` keyed on `key`: replies keep going to the id the person wrote from.
    public static func rekeyed(_ event: InboundEvent, on key: String) -> InboundEvent {
        guard key != event.senderID else { return event }
        var copy = event
        copy.replyAddress = event.replyAddress ?? event.senderID
        copy.alternativeSenderIDs = ids(of: event).filter { $0 != key }
        copy.senderID = key
        return copy
    }
}
