import ChannelKit
import Synchronization

/// Read connections, each used on the thread of the caller that took it.
///
/// A read is one short statement on an index (or a scan an operator asked for), and in WAL
/// mode readers never wait for the writer, so running it right on the caller's thread costs
/// less than handing it to another thread and back (two thread switches per read). Each
/// caller takes an idle connection — opening one when none is idle — and puts it back when
/// done; a read starts after every write its caller saw complete.
final class ReaderPool: Sendable {
    private struct State {
        var idle: [Database] = []
        var closed = false
    }

    /// Idle connections kept open; more may be open while that many reads run at once.
    private static let maximumIdle = 4

    private let path: String
    private let state = Mutex(State())

    /// Opens the first connection, so that an unusable database fails at start.
    init(path: String) throws {
        self.path = path
        let first = try Self.open(path)
        state.withLock { $0.idle.append(first) }
    }

    /// Runs `body` on a read connection, on the calling thread.
    /// - Throws: `StoreError(.unavailable, …)` once closed; what opening a connection or `body` threw.
    func read<Value>(_ body: (Database) throws -> Value) throws -> Value {
        let taken = try state.withLock { state -> Database? in
            guard !state.closed else { throw StoreError(.unavailable, "the store is closed") }
            return state.idle.popLast()
        }
        let database = try taken ?? Self.open(path)
        defer {
            state.withLock { state in
                if !state.closed && state.idle.count < Self.maximumIdle { state.idle.append(database) }
            }
        }
        return try body(database)
    }

    /// Refuses later reads and closes the idle connections (those in use close when their read ends).
    func close() {
        let idle = state.withLock { state -> [Database] in
            state.closed = true
            defer { state.idle = [] }
            return state.idle
        }
        _ = idle   // released here, outside the lock: each closes its connection
    }

    private static func open(_ path: String) throws -> Database {
        let database = try Database(path: path)
        try database.run("PRAGMA foreign_keys = ON")
        try database.run("PRAGMA query_only = ON")
        return database
    }
}
