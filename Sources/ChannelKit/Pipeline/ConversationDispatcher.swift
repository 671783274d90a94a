/// Runs work one event at a time per conversation, in platform-timestamp order, with at most
/// `limit` conversations in flight; conversations take turns so that one busy sender cannot
/// hold up the others.
actor ConversationDispatcher {
    typealias Work = @Sendable (InboundEvent) async -> Void

    private let limit: Int
    private let work: Work
    /// Events waiting, per conversation, sorted by platform timestamp.
    private var pending: [ConversationKey: [InboundEvent]] = [:]
    /// Conversations with an event in flight.
    private var active: Set<ConversationKey> = []
    /// Conversations with waiting events and no event in flight, in the order they became ready.
    private var ready: [ConversationKey] = []
    private var readyHead = 0
    private var running: [Int: Task<Void, Never>] = [:]
    private var nextTaskID = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var timedWaiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    private var nextWaiterID = 0

    init(limit: Int, work: @escaping Work) {
        self.limit = max(1, limit)
        self.work = work
    }

    /// Number of events waiting or in flight.
    var backlog: Int { pending.values.reduce(0) { $0 + $1.count } + running.count }

    /// Queues events.
    func enqueue(_ events: [InboundEvent]) {
        for event in events {
            let key = event.conversation
            var queue = pending[key] ?? []
            // Insert after every event with an earlier or equal timestamp: stable, ordered.
            let index = queue.lastIndex { $0.timestamp <= event.timestamp }.map { $0 + 1 } ?? 0
            queue.insert(event, at: index)
            let wasEmpty = pending[key] == nil
            pending[key] = queue
            if wasEmpty && !active.contains(key) { ready.append(key) }
        }
        pump()
    }

    private func pump() {
        while running.count < limit, readyHead < ready.count {
            let key = ready[readyHead]
            readyHead += 1
            guard var queue = pending[key], !queue.isEmpty else { continue }
            let event = queue.removeFirst()
            pending[key] = queue.isEmpty ? nil : queue
            active.insert(key)
            let id = nextTaskID
            nextTaskID += 1
            let work = self.work
            running[id] = Task {
                await work(event)
                self.finished(key, taskID: id)
            }
        }
        if readyHead > 1024 && readyHead * 2 > ready.count {
            ready.removeFirst(readyHead)
            readyHead = 0
        }
    }

    private func finished(_ key: ConversationKey, taskID: Int) {
        running[taskID] = nil
        active.remove(key)
        if pending[key] != nil { ready.append(key) }
        pump()
        if running.isEmpty && pending.isEmpty {
            let waiters = idleWaiters
            idleWaiters.removeAll()
            for waiter in waiters { waiter.resume() }
            let timed = timedWaiters
            timedWaiters.removeAll()
            for waiter in timed.values { waiter.resume(returning: true) }
        }
    }

    /// Returns `true` once nothing is waiting or in flight, or `false` when `timeout` passes first.
    func waitUntilIdle(timeout: Duration) async -> Bool {
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

    /// Returns once nothing is waiting or in flight.
    func waitUntilIdle() async {
        if running.isEmpty && pending.isEmpty { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// Drops waiting events and cancels those in flight. Returns how many were dropped or cancelled.
    func cancelAll() -> Int {
        let dropped = pending.values.reduce(0) { $0 + $1.count } + running.count
        pending.removeAll()
        ready.removeAll()
        readyHead = 0
        for task in running.values { task.cancel() }
        return dropped
    }
}
