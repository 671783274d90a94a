import ChannelKit
import Foundation
import Synchronization

/// Runs work one item at a time per conversation, in the store's order (platform timestamp,
/// then id), with at most `limit` conversations in flight; conversations take turns so that
/// one busy sender cannot hold up the others.
///
/// An item whose work asks to be retried later keeps its place: the conversation waits (later
/// messages must not overtake it) while the others go on. A message with an earlier timestamp
/// that arrives meanwhile goes before it, as the store's claim (``InboxStore/claimHead(_:owner:leaseUntil:at:)``) wants.
actor ConversationDispatcher {
    /// What the work decided about an item.
    enum Verdict: Sendable {
        /// Finished, one way or another; the conversation moves on.
        case finished
        /// Try again at this time; the conversation waits until then.
        case retry(at: Date)
        /// The item waits for its channel (paused: its credentials were refused) until this
        /// time at the latest; the store already holds it as claimable, so waking the channel's
        /// conversations (``wakeParked(channel:releasing:)``) may let it go at once.
        case waitForChannel(until: Date)
    }

    /// The work for one item; `found` is true for an item the store pointed to (a rescan, a
    /// conversation's next message) rather than one this host accepted or resumed at start.
    typealias Work = @Sendable (_ item: InboxItem, _ found: Bool) async -> Verdict

    private struct Entry {
        var item: InboxItem
        var notBefore: Date?
        /// Pointed to by the store (see ``Work``).
        var found = false
        /// Waits for its channel, and may be woken with it (see ``Verdict/waitForChannel(until:)``).
        var waitsForChannel = false
    }

    private let limit: Int
    private let executor: (any TaskExecutor)?
    private let work: Work
    private let now: @Sendable () -> Date
    /// Items waiting, per conversation, in the store's order (platform timestamp, then id).
    private var pending: [ConversationKey: [Entry]] = [:]
    /// Conversations with an item in flight.
    private var active: Set<ConversationKey> = []
    /// Conversations with waiting items and none in flight, in the order they became ready.
    private var ready: [ConversationKey] = []
    private var readyHead = 0
    /// Conversations whose head waits for a retry time.
    private var parked: Set<ConversationKey> = []
    /// Ids of every item waiting or in flight, so a rescan cannot queue one twice.
    private var known: Set<Int64> = []
    /// How many times each channel's waiting conversations were woken: a wait for the channel
    /// decided by work that started before the latest wake-up is over already.
    private var wakeUps: [String: Int] = [:]
    private var running: [Int: Task<Void, Never>] = [:]
    private var nextTaskID = 0
    private var wakeTimer: Task<Void, Never>?
    private var wakeAt: Date?
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var timedWaiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    private var nextWaiterID = 0
    private var stopped = false
    /// Items handed over by ``submit(_:)`` and not queued yet.
    private nonisolated let handoff = Mutex(Handoff())

    private struct Handoff {
        var items: [InboxItem] = []
        /// A task that will queue `items` has been started.
        var scheduled = false
    }

    /// - Parameter executor: where the work runs (the tasks' executor preference); `nil`: the default.
    init(limit: Int, executor: (any TaskExecutor)? = nil, now: @escaping @Sendable () -> Date, work: @escaping Work) {
        self.limit = max(1, limit)
        self.executor = executor
        self.now = now
        self.work = work
    }

    /// Items waiting (parked ones included) or in flight.
    var backlog: Int {
        takeHandoff()
        return known.count
    }

    /// Hands items over to be queued, without waiting for the dispatcher: the acknowledgement
    /// of a webhook must never wait for the threads that make replies (they run at a lower
    /// priority, and one may be in the middle of the dispatcher's work). A task on the
    /// dispatcher's executor queues them; everything that looks at the queue takes them first.
    nonisolated func submit(_ items: [InboxItem]) {
        guard !items.isEmpty else { return }
        let start = handoff.withLock { handoff -> Bool in
            handoff.items.append(contentsOf: items)
            defer { handoff.scheduled = true }
            return !handoff.scheduled
        }
        if start {
            Task(executorPreference: executor) { await self.takeHandoff() }
        }
    }

    /// Queues what ``submit(_:)`` handed over.
    private func takeHandoff() {
        let items = handoff.withLock { handoff -> [InboxItem] in
            handoff.scheduled = false
            defer { handoff.items = [] }
            return handoff.items
        }
        if !items.isEmpty { enqueue(items) }
    }

    /// The ids among `ids` of items neither waiting nor in flight.
    func unqueued(_ ids: [Int64]) -> [Int64] {
        takeHandoff()
        return ids.filter { !known.contains($0) }
    }

    /// Queues items; ones already waiting or in flight are ignored.
    /// - Parameter found: the store pointed to them (see ``Work``).
    func enqueue(_ items: [InboxItem], found: Bool = false) {
        guard !stopped else { return }
        let clock = now()
        for item in items where known.insert(item.id).inserted {
            let key = item.event.conversation
            let notBefore = item.state == .failed ? item.nextAttemptAt.flatMap { $0 > clock ? $0 : nil } : nil
            let entry = Entry(item: item, notBefore: notBefore, found: found)
            let wasEmpty = pending[key] == nil
            // In place: a copy of the conversation's queue per item would make a burst quadratic.
            Self.insert(entry, into: &pending[key, default: []])
            if wasEmpty && !active.contains(key) {
                ready.append(key)
            } else if parked.contains(key), pending[key]?.first?.item.id == item.id, (notBefore ?? clock) <= clock {
                // It goes before the message the conversation was waiting to ask about again (an
                // earlier one, left by a host that stopped and found by a rescan): the
                // conversation goes on now, not when that wait ends — nor never, since the wake
                // timer follows the conversations' heads.
                parked.remove(key)
                ready.append(key)
            }
        }
        pump()
    }

    /// Puts `entry` in the store's order: after every entry with an earlier timestamp, or an
    /// equal one and a lower id.
    private static func insert(_ entry: Entry, into queue: inout [Entry]) {
        let key = (entry.item.event.timestamp, entry.item.id)
        let index = queue.lastIndex { ($0.item.event.timestamp, $0.item.id) < key }.map { $0 + 1 } ?? 0
        queue.insert(entry, at: index)
    }

    private func pump() {
        let clock = now()
        while running.count < limit, readyHead < ready.count {
            let key = ready[readyHead]
            readyHead += 1
            guard let head = pending[key]?.first, !active.contains(key) else { continue }
            if let notBefore = head.notBefore, notBefore > clock {
                parked.insert(key)
                continue
            }
            parked.remove(key)
            let entry = Self.removeHead(of: key, from: &pending)
            active.insert(key)
            let id = nextTaskID
            nextTaskID += 1
            let work = self.work
            let wakeUp = wakeUps[key.channel, default: 0]
            running[id] = Task(executorPreference: executor) {
                let verdict = await work(entry.item, entry.found)
                await self.finished(entry.item, found: entry.found, key: key, verdict: verdict, taskID: id, startedAtWakeUp: wakeUp)
            }
        }
        if readyHead > 1024 && readyHead * 2 > ready.count {
            ready.removeFirst(readyHead)
            readyHead = 0
        }
        scheduleWake()
        resumeIdleWaitersIfIdle()
    }

    /// Takes the first entry of a conversation's queue in place, and the queue with it when it was the last.
    private static func removeHead(of key: ConversationKey, from pending: inout [ConversationKey: [Entry]]) -> Entry {
        let entry = pending[key]!.removeFirst()
        if pending[key]!.isEmpty { pending[key] = nil }
        return entry
    }

    private func finished(_ item: InboxItem, found: Bool, key: ConversationKey, verdict: Verdict, taskID: Int, startedAtWakeUp: Int) {
        running[taskID] = nil
        active.remove(key)
        switch verdict {
        case .finished:
            known.remove(item.id)
            // The next message may have been waiting for this one (held by another host until
            // this one took it over): it asks again now; the store says if it must still wait.
            if let next = pending[key]?.first?.notBefore, next > now() { pending[key]![0].notBefore = now() }
        case .retry(let at), .waitForChannel(until: let at):
            if stopped {
                known.remove(item.id)
            } else {
                var waitsForChannel = false
                var notBefore = at
                if case .waitForChannel = verdict {
                    waitsForChannel = true
                    // The channel was woken (replaced) while this item was deciding to wait for it.
                    if wakeUps[key.channel, default: 0] != startedAtWakeUp { notBefore = min(at, now()) }
                }
                var retried = item
                retried.state = .failed
                retried.nextAttemptAt = notBefore
                Self.insert(Entry(item: retried, notBefore: notBefore, found: found, waitsForChannel: waitsForChannel),
                            into: &pending[key, default: []])
            }
        }
        if pending[key] != nil { ready.append(key) }
        pump()
    }

    /// Wakes the dispatcher when the earliest parked conversation may go on.
    private func scheduleWake() {
        let earliest = parked.compactMap { pending[$0]?.first?.notBefore }.min()
        guard let earliest else {
            wakeTimer?.cancel()
            wakeTimer = nil
            wakeAt = nil
            return
        }
        if let wakeAt, wakeAt <= earliest, wakeTimer != nil { return }
        wakeTimer?.cancel()
        wakeAt = earliest
        let delay = max(0, earliest.timeIntervalSince(now()))
        wakeTimer = Task {
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000) + 1))
            guard !Task.isCancelled else { return }
            self.wake()
        }
    }

    /// The ids of the items heading one channel's conversations that wait for a retry time
    /// (parked, or about to be).
    func parkedItemIDs(channel: String) -> [Int64] {
        let clock = now()
        return pending.compactMap { key, queue in
            guard key.channel == channel, let head = queue.first, let notBefore = head.notBefore, notBefore > clock else { return nil }
            return head.item.id
        }
    }

    /// Lets one channel's waiting conversations go on now: those headed by an item of
    /// `released` (made claimable again in the store) or by one waiting for the channel. Work
    /// of the channel in flight now that decides to wait for it goes on at once too.
    func wakeParked(channel: String, releasing released: Set<Int64>) {
        wakeUps[channel, default: 0] += 1
        let clock = now()
        for (key, queue) in pending where key.channel == channel {
            guard let head = queue.first, let notBefore = head.notBefore, notBefore > clock,
                  head.waitsForChannel || released.contains(head.item.id) else { continue }
            pending[key]![0].notBefore = clock
            if parked.remove(key) != nil { ready.append(key) }
        }
        scheduleWake()
        pump()
    }

    private func wake() {
        wakeTimer = nil
        wakeAt = nil
        let clock = now()
        for key in parked where (pending[key]?.first?.notBefore ?? clock) <= clock {
            parked.remove(key)
            ready.append(key)
        }
        pump()
    }

    private func resumeIdleWaitersIfIdle() {
        guard running.isEmpty && pending.isEmpty else { return }
        let waiters = idleWaiters
        idleWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
        let timed = timedWaiters
        timedWaiters.removeAll()
        for waiter in timed.values { waiter.resume(returning: true) }
    }

    /// Returns once nothing is waiting or in flight.
    func waitUntilIdle() async {
        takeHandoff()
        if running.isEmpty && pending.isEmpty { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// Returns once nothing is in flight and nothing can start before a retry time, or `false` when `timeout` passes first.
    func waitUntilIdle(timeout: Duration) async -> Bool {
        takeHandoff()
        if running.isEmpty && pending.isEmpty { return true }
        let id = nextWaiterID
        nextWaiterID += 1
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.timedOut(waiter: id)
        }
        let idle = await withCheckedContinuation { timedWaiters[id] = $0 }
        timer.cancel()
        return idle
    }

    private func timedOut(waiter id: Int) {
        timedWaiters.removeValue(forKey: id)?.resume(returning: false)
    }

    /// Stops starting work: waiting items are forgotten (they stay in the store) and
    /// in-flight work is cancelled. Returns how many items were forgotten or cancelled.
    func stop() -> Int {
        takeHandoff()
        stopped = true
        let count = known.count
        pending.removeAll()
        ready.removeAll()
        readyHead = 0
        parked.removeAll()
        known.removeAll()
        wakeTimer?.cancel()
        wakeTimer = nil
        for task in running.values { task.cancel() }
        resumeIdleWaitersIfIdle()
        return count
    }

    /// Stops taking new items but lets waiting ones — those handed over already included —
    /// run; used while draining at shutdown.
    func stopTakingNew() {
        takeHandoff()
        stopped = true
    }

    /// Parked items (waiting for a retry time) are dropped from memory; they stay in the store.
    func forgetParked() {
        for key in parked {
            for entry in pending[key] ?? [] { known.remove(entry.item.id) }
            pending[key] = nil
        }
        parked.removeAll()
        resumeIdleWaitersIfIdle()
    }
}
