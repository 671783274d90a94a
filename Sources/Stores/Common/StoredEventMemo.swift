import ChannelKit
import Synchronization

/// Inbox events this process wrote or read last, by row id, so that reading a row back does
/// not decode its JSON again.
///
/// An accepted message's row is read back at least once (its claim, which returns the row),
/// and decoding a stored event with `JSONDecoder` costs about 90,000 instructions: a twentieth
/// of what answering the message costs in all. An event is a pure function of its JSON, and
/// ``StoredJSON`` writes events that decode to exactly the event written (tested for every kind
/// of event), so a remembered event stands in for a decode only when the row's JSON is, byte
/// for byte, the JSON it was written as or decoded from; a row whose JSON changed (redacted,
/// erased, keyed on a person) is decoded afresh. Ids are never reused by either store, and the
/// JSON comparison keeps a remembered event right even across two stores in one process.
///
/// Bounded: beyond ``capacity`` entries the oldest is forgotten first. The stores forget an
/// event as soon as its message is finished (done, dead, dropped) or redacted, and a
/// person's events when they are erased, so what stays is mostly the events still being answered.
package final class StoredEventMemo: Sendable {
    /// The process's memo, shared by every store (see above for why that is safe).
    package static let shared = StoredEventMemo(capacity: 4_096)

    private struct Entry {
        let json: String
        let event: InboundEvent
    }

    private struct State {
        var entries: [Int64: Entry] = [:]
        /// Ids in the order they were remembered, as a ring of `capacity` slots.
        var order: [Int64] = []
        var next = 0
    }

    /// How many events are remembered at most.
    package let capacity: Int
    private let state = Mutex(State())

    /// A memo of at most `capacity` events.
    package init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Remembers `event`, stored as `json` in row `id`, while its item is open (`state` is
    /// not terminal: the event is read again when the item is claimed); a finished or
    /// ignored item's event is not kept.
    package func remember(_ event: InboundEvent, json: String, id: Int64, state itemState: InboxState) {
        guard !itemState.isTerminal else { return }
        remember(event, json: json, id: id)
    }

    private func remember(_ event: InboundEvent, json: String, id: Int64) {
        let entry = Entry(json: json, event: event)
        state.withLock { state in
            if state.entries.updateValue(entry, forKey: id) != nil { return }
            if state.order.count < capacity {
                state.order.append(id)
            } else {
                state.entries[state.order[state.next]] = nil
                state.order[state.next] = id
                state.next = (state.next + 1) % capacity
            }
        }
    }

    /// The event stored as `json` in row `id`, whose item is in `state`: remembered, or
    /// decoded (and then remembered as ``remember(_:json:id:state:)`` does).
    /// - Throws: `StoreError(.corrupt, …)` naming `column` when the JSON does not decode.
    package func event(id: Int64, json: String, state itemState: InboxState, column: String) throws -> InboundEvent {
        if let entry = state.withLock({ $0.entries[id] }), entry.json == json {
            return entry.event
        }
        let event = try StoredValues.decode(InboundEvent.self, json: json, column: column)
        remember(event, json: json, id: id, state: itemState)
        return event
    }

    /// Forgets the event of row `id` (finished, dropped, redacted: not read again, and its
    /// text should not stay in memory).
    package func forget(_ id: Int64) {
        state.withLock { _ = $0.entries.removeValue(forKey: id) }
    }

    /// Forgets the events of `people` (after an erasure: none of their text stays in memory).
    package func forget(eventsOf people: [ChannelIdentity]) {
        guard !people.isEmpty else { return }
        state.withLock { state in
            state.entries = state.entries.filter { _, entry in
                let event = entry.event
                return !people.contains { person in
                    person.channel == event.channel
                        && (person.userID == event.senderID || event.alternativeSenderIDs.contains(person.userID))
                }
            }
        }
    }

    /// Whether the event stored as `json` in row `id` is remembered.
    package func remembers(id: Int64, json: String) -> Bool {
        state.withLock { $0.entries[id]?.json == json }
    }

    /// How many events are remembered now.
    package var count: Int { state.withLock { $0.entries.count } }
}
