import ChannelKit
import Foundation
import Synchronization

/// Accepts that arrive together, written together (group commit): the events of every
/// webhook waiting when a write starts go to the database in one write, one commit, and
/// each caller returns once that commit is done.
///
/// A write starts at once when fewer than `writers` are running, so a lone webhook waits
/// for nothing (and writes its own events, on its own task); under load, the webhooks that
/// arrive while the writes run make the next one. What a write refuses is the writer's to say
/// per call (``Outcome``): one webhook the database refuses fails alone. A write that finds
/// the store unavailable fails the callers waiting behind it too, at once: they came while it
/// waited for the server, and each waiting its own turn for a server that is down would make
/// the last of them wait several connect timeouts for its 503.
final class AcceptQueue: Sendable {
    /// One caller's accept: its events, its time, the trace they arrived in.
    struct Call: Sendable {
        var events: [InboundEvent]
        var now: Date
        var traceContext: String?
    }

    /// What a write did: per call, in the calls' order, the items its events created or why
    /// it failed; and, when the store could not be used at all, that error.
    struct Outcome: Sendable {
        var results: [Result<[InboxItem], any Error>]
        var unavailable: (any Error)?
    }

    /// Writes the events of several calls at once.
    typealias Write = @Sendable (_ calls: [Call]) async -> Outcome

    private struct Waiting {
        var call: Call
        var continuation: CheckedContinuation<[InboxItem], any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var running = 0
        var unanswered = 0
    }

    private let state = Mutex(State())
    private let writers: Int
    private let mostEventsPerWrite: Int

    /// - Parameters:
    ///   - writers: the most writes running at once.
    ///   - mostEventsPerWrite: a write takes waiting callers until their events reach this.
    init(writers: Int, mostEventsPerWrite: Int = 500) {
        self.writers = max(1, writers)
        self.mostEventsPerWrite = max(1, mostEventsPerWrite)
    }

    /// Callers that have not returned yet: waiting, or in a write.
    var unanswered: Int { state.withLock { $0.unanswered } }

    /// Accepts the call's events in the next write; returns when it is committed. A caller that
    /// starts a writer lends it `write` (every caller passes the same).
    func accept(_ call: Call, write: @escaping Write) async throws -> [InboxItem] {
        // Nobody writing or waiting: this caller writes its own events itself, and hands the
        // writer's work on to a task only if others came meanwhile.
        let alone = state.withLock { state -> Bool in
            guard state.running < writers, state.waiting.isEmpty else { return false }
            state.running += 1
            state.unanswered += 1
            return true
        }
        if alone {
            let outcome = await write([call])
            if let error = outcome.unavailable { failWaiting(error) }
            let more = state.withLock { state -> Bool in
                state.unanswered -= 1
                guard !state.waiting.isEmpty else {
                    state.running -= 1
                    return false
                }
                return true
            }
            if more { Task { await self.drain(write) } }
            guard let result = outcome.results.first else {
                throw StoreError(.unavailable, "accepting events: a write returned no result")
            }
            return try result.get()
        }
        return try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.waiting.append(Waiting(call: call, continuation: continuation))
                state.unanswered += 1
                guard state.running < writers else { return false }
                state.running += 1
                return true
            }
            if start {
                Task { await self.drain(write) }
            }
        }
    }

    /// Writes batches until nobody is waiting.
    private func drain(_ write: Write) async {
        while let batch = next() {
            await run(batch, write)
        }
    }

    /// The callers of the next write, or `nil` (and one writer fewer) when nobody waits.
    private func next() -> [Waiting]? {
        state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            var count = 0
            var taken = 0
            for waiting in state.waiting {
                if taken > 0 && count + waiting.call.events.count > mostEventsPerWrite { break }
                count += waiting.call.events.count
                taken += 1
            }
            let batch = Array(state.waiting.prefix(taken))
            state.waiting.removeFirst(taken)
            return batch
        }
    }

    private func run(_ batch: [Waiting], _ write: Write) async {
        let outcome = await write(batch.map(\.call))
        state.withLock { $0.unanswered -= batch.count }
        for (index, waiting) in batch.enumerated() {
            // Every caller is resumed exactly once, whatever `write` returned.
            waiting.continuation.resume(with: index < outcome.results.count
                ? outcome.results[index]
                : .failure(StoreError(.unavailable, "accepting events: a write returned no result")))
        }
        if let error = outcome.unavailable { failWaiting(error) }
    }

    /// Fails every caller waiting now with `error` (the store could not be used).
    private func failWaiting(_ error: any Error) {
        let waiting = state.withLock { state -> [Waiting] in
            defer {
                state.unanswered -= state.waiting.count
                state.waiting = []
            }
            return state.waiting
        }
        for waiting in waiting { waiting.continuation.resume(throwing: error) }
    }
}
