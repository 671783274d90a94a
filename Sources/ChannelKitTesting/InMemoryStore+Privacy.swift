import ChannelKit
import Foundation

// MARK: - PrivacyStore

extension InMemoryStore {
    public func erase(_ identities: [ChannelIdentity], recording record: ErasureRecord, at now: Date) -> ErasureRecord {
        var record = record
        // Every id each person is known by (see `PersonAliases`): the key and each alias of it.
        var keys = Set(identities)
        for person in identities {
            if let key = personKeys[person] { keys.insert(ChannelIdentity(channel: person.channel, userID: key)) }
        }
        var people = keys
        for (alias, key) in personKeys where keys.contains(ChannelIdentity(channel: alias.channel, userID: key)) {
            people.insert(alias)
        }
        personKeys = personKeys.filter { alias, key in
            !people.contains(alias) && !people.contains(ChannelIdentity(channel: alias.channel, userID: key))
        }
        for (id, var item) in items where people.contains(ChannelIdentity(channel: item.event.channel, userID: item.event.senderID)) {
            item.event = item.event.erased
            // Nothing erased may be answered again, even by an operator's retry (which takes
            // dead and expired items): only what was answered or never answerable keeps its state.
            if ![.done, .ignored, .dropped].contains(item.state) {
                item.state = .dropped
                item.leaseExpiresAt = nil
                item.nextAttemptAt = nil
            }
            item.updatedAt = now
            items[id] = item
            record.inboxItems += 1
            record.outboxParts += removeContent(ofPartsOf: id)
        }
        for conversation in turns.keys where people.contains(ChannelIdentity(channel: conversation.channel, userID: conversation.userID)) {
            record.turns += turns.removeValue(forKey: conversation)?.count ?? 0
        }
        for identity in people {
            record.identityRecords += identityTables.erase(identity)
        }
        erasures[record.confirmationCode] = record
        return record
    }

    public func erasure(confirmationCode: String) -> ErasureRecord? {
        erasures[confirmationCode]
    }

    public func sweepRetention(textBefore: Date, keysBefore: Date, at now: Date) -> RetentionSweep {
        var sweep = RetentionSweep()
        let oldest = max(textBefore, keysBefore)
        for (id, var item) in items where item.state.isTerminal && item.receivedAt < oldest {
            if item.receivedAt < keysBefore {
                items[id] = nil
                keys[Key(channel: item.event.channel, platformMessageID: item.event.platformMessageID)] = nil
                outbox[id] = nil
                sweep.inboxItemsDeleted += 1
                continue
            }
            guard item.receivedAt < textBefore else { continue }
            let stripped = item.event.withoutContent
            if stripped != item.event {
                item.event = stripped
                item.updatedAt = now
                items[id] = item
                sweep.inboxItemsRedacted += 1
            }
            sweep.outboxPartsRedacted += removeContent(ofPartsOf: id)
        }
        for (conversation, list) in turns {
            let kept = list.filter { $0.turn.timestamp >= textBefore }
            guard kept.count != list.count else { continue }
            sweep.turnsDeleted += list.count - kept.count
            turns[conversation] = kept.isEmpty ? nil : kept
        }
        return sweep
    }

    /// Replaces the text of an item's outbox parts.
    /// - Returns: how many parts changed.
    private func removeContent(ofPartsOf id: Int64) -> Int {
        guard var parts = outbox[id] else { return 0 }
        var changed = 0
        for index in parts.indices where parts[index].message != parts[index].message.withoutContent {
            parts[index].message = parts[index].message.withoutContent
            changed += 1
        }
        outbox[id] = parts
        return changed
    }
}
