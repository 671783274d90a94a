import PostgresNIO
import Synchronization

/// Leasing a connection from the pool, with a bound on the wait.
///
/// postgres-nio's pool queues a request until a connection is free or a new one is made, and
/// keeps retrying to connect while the server is down: a request could wait for minutes. A
/// request still waiting after the bound is cancelled (the pool drops it), and the caller
/// gets ``Timeout``. Once leased, the work is not cancelled: statements are bounded by the
/// server's `statement_timeout` instead, and a connection lost mid-way fails at once.
enum ConnectionLease {
    /// No connection was leased within the bound.
    struct Timeout: Error {}

    private enum Outcome<Value: Sendable>: Sendable {
        case value(Value)
        case timerFired
    }

    /// Whether the connection was leased; shared by the work and the timer.
    private final class Leased: Sendable {
        private let flag = Mutex(false)
        func set() { flag.withLock { $0 = true } }
        var isSet: Bool { flag.withLock { $0 } }
    }

    static func run<Value: Sendable>(_ client: PostgresClient, waitingAtMost bound: Duration,
                                     _ body: @escaping @Sendable (PostgresConnection) async throws -> Value) async throws -> Value {
        let leased = Leased()
        return try await withThrowingTaskGroup(of: Outcome<Value>.self) { group in
            group.addTask {
                let value = try await client.withConnection { connection in
                    leased.set()
                    return try await body(connection)
                }
                return .value(value)
            }
            group.addTask {
                try? await Task.sleep(for: bound)
                return .timerFired
            }
            var timedOut = false
            while let result = await group.nextResult() {
                switch result {
                case .success(.value(let value)):
                    group.cancelAll()
                    return value
                case .success(.timerFired):
                    if !leased.isSet {
                        timedOut = true
                        group.cancelAll()
                    }
                case .failure(let error):
                    group.cancelAll()
                    throw timedOut ? Timeout() : error
                }
            }
            throw Timeout()
        }
    }
}
