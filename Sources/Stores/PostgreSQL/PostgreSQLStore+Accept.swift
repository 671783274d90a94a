import ChannelKit
import Foundation
import PostgresNIO
import StoreSupport
import Synchronization

// MARK: - Accepting events: the webhooks that arrive together in one statement and one commit.

extension PostgreSQLStore {
    /// Writes the events of several ``accept(_:at:)`` calls (see ``AcceptQueue``), each keyed
    /// on its known person, deduplicated by (channel, platform message id); the items each
    /// call's events created, in order. Events naming one id each take two statements (their
    /// aliases read, then one insert, atomic by itself); any more is one transaction.
    ///
    /// When the database refuses the data (a value it cannot store, a constraint), the calls
    /// are written again one at a time, so that the one it refuses fails alone. Any other
    /// failure (no server, a timeout) fails them all and says the store is unavailable.
    func acceptTogether(_ calls: [AcceptQueue.Call]) async -> AcceptQueue.Outcome {
        let events = calls.flatMap(\.events)
        let single = events.allSatisfy { PersonAliases.ids(of: $0).count == 1 }
        let refused = Mutex(false)
        let body: @Sendable (Session) async throws -> [[InboxItem]] = { session in
            do {
                return try await Self.insert(calls, on: session)
            } catch {
                if PostgreSQLFailure.isDataRefusal(error) { refused.withLock { $0 = true } }
                throw error
            }
        }
        let action = events.count == 1 ? "accepting an event" : "accepting \(events.count) events"
        do {
            let created = try await single ? session(action, body) : transaction(action, body)
            return AcceptQueue.Outcome(results: created.map { .success($0) }, unavailable: nil)
        } catch {
            guard refused.withLock({ $0 }) else {
                return AcceptQueue.Outcome(results: calls.map { _ in .failure(error) }, unavailable: error)
            }
            guard calls.count > 1 else { return AcceptQueue.Outcome(results: [.failure(error)], unavailable: nil) }
            var results: [Result<[InboxItem], any Error>] = []
            for call in calls {
                let alone = await acceptTogether([call])
                if let unavailable = alone.unavailable {
                    results += calls.dropFirst(results.count).map { _ in .failure(unavailable) }
                    return AcceptQueue.Outcome(results: results, unavailable: unavailable)
                }
                results += alone.results
            }
            return AcceptQueue.Outcome(results: results, unavailable: nil)
        }
    }

    private static func insert(_ calls: [AcceptQueue.Call], on session: Session) async throws -> [[InboxItem]] {
        if calls.count == 1, calls[0].events.count == 1 {
            return [try await insertOne(calls[0].events[0], at: calls[0].now, traceContext: calls[0].traceContext, on: session)
                .map { [$0] } ?? []]
        }
        let batch = calls.map(\.events)
        let stamps = calls.map { StoredValues.stored($0.now) }
        let keyed = try await keyOnKnownPeople(batch.flatMap { $0 }, at: stamps.max() ?? Date(), on: session)
        let owners = batch.indices.flatMap { call in Array(repeating: call, count: batch[call].count) }
        let states = keyed.map { $0.takesTurn ? InboxState.received : .ignored }
        let json = keyed.map { StoredJSON.encode($0) }
        let received = owners.map { Rows.ms(stamps[$0]) }
        let traces = owners.map { calls[$0].traceContext }
        var created: [ChannelScopedID: Int64] = [:]
        for (channel, messageID, id) in try await session.rows("""
            INSERT INTO inbox (channel, platform_message_id, account_id, sender_id, event_timestamp_ms,
                               event_json, state, attempts, received_at, updated_at, trace_context)
            SELECT e.channel, e.message_id, e.account_id, e.sender_id, e.at, e.json, e.state, 0, e.received, e.received, NULLIF(e.trace, '')
            FROM unnest(\(keyed.map(\.channel))::text[], \(keyed.map(\.platformMessageID))::text[],
                        \(keyed.map(\.accountID))::text[], \(keyed.map(\.senderID))::text[],
                        \(keyed.map { Rows.ms($0.timestamp) })::bigint[], \(json)::text[], \(states.map(\.rawValue))::text[],
                        \(received)::bigint[], \(traces.map { $0 ?? "" })::text[]) WITH ORDINALITY
                 AS e (channel, message_id, account_id, sender_id, at, json, state, received, trace, n)
            ORDER BY e.n
            ON CONFLICT (channel, platform_message_id) DO NOTHING
            RETURNING channel, platform_message_id, id
            """, { try $0.decode((String, String, Int64).self) }) {
            created[ChannelScopedID(channel: channel, id: messageID)] = id
        }
        // An event named twice in one write was created once: by its first copy.
        var results: [[InboxItem]] = batch.map { _ in [] }
        for (index, event) in keyed.enumerated() {
            guard let id = created.removeValue(forKey: ChannelScopedID(channel: event.channel, id: event.platformMessageID)) else {
                continue
            }
            let stamp = stamps[owners[index]]
            let state = states[index]
            StoredEventMemo.shared.remember(event, json: json[index], id: id, state: state)
            results[owners[index]].append(InboxItem(id: id, event: event, state: state, receivedAt: stamp, updatedAt: stamp,
                                                    traceContext: traces[index]))
        }
        return results
    }

    /// One event alone (a webhook that arrived by itself): the same statements with single
    /// values instead of arrays, which PostgresNIO encodes for less.
    private static func insertOne(_ incoming: InboundEvent, at now: Date, traceContext: String?,
                                  on session: Session) async throws -> InboxItem? {
        let stamp = StoredValues.stored(now)
        let event = try await keyOnKnownPeople([incoming], at: stamp, on: session)[0]
        let state: InboxState = event.takesTurn ? .received : .ignored
        let json = StoredJSON.encode(event)
        guard let id = try await session.firstRow("""
            INSERT INTO inbox (channel, platform_message_id, account_id, sender_id, event_timestamp_ms,
                               event_json, state, attempts, received_at, updated_at, trace_context)
            VALUES (\(event.channel), \(event.platformMessageID), \(event.accountID), \(event.senderID),
                    \(Rows.ms(event.timestamp)), \(json), \(state.rawValue), 0, \(Rows.ms(stamp)), \(Rows.ms(stamp)),
                    \(traceContext))
            ON CONFLICT (channel, platform_message_id) DO NOTHING
            RETURNING id
            """, { try $0.decode(Int64.self) }) else { return nil }
        StoredEventMemo.shared.remember(event, json: json, id: id, state: state)
        return InboxItem(id: id, event: event, state: state, receivedAt: stamp, updatedAt: stamp, traceContext: traceContext)
    }
}
