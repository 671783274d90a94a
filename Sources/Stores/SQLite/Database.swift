import ChannelKit
// The SQLite amalgamation sqlite-nio vendors and builds (symbols prefixed `sqlite_nio_`). It
// is a target of the sqlite-nio package rather than a product; it is visible here because
// `SQLiteNIO`, which this target depends on, is built on it.
import VaporCSQLite

/// A value bound to a statement's parameter.
enum SQLValue {
    case integer(Int64)
    case text(String)
    case null
}

/// An SQLite call failed: the extended result code and SQLite's message.
struct SQLiteFailure: Error, CustomStringConvertible {
    /// The extended result code (`SQLITE_FULL`, `SQLITE_IOERR_FSYNC`, …).
    var code: Int32
    /// What SQLite said.
    var message: String

    /// The primary result code (the low byte of the extended one).
    var primaryCode: Int32 { code & 0xFF }

    var description: String { "SQLite error \(code): \(message)" }
}

/// One SQLite connection, with its prepared statements cached by SQL text.
///
/// Every call blocks the calling thread until SQLite is done. The connection is opened with
/// `SQLITE_OPEN_NOMUTEX`: it must never be used by two threads at once.
///
/// `@unchecked Sendable` because ownership moves between threads in a controlled way: the
/// writer's connection stays on the ``DatabaseWorker`` thread that opened it, and a read
/// connection belongs to whoever took it out of the ``ReaderPool`` (under the pool's lock)
/// until it is put back.
final class Database: @unchecked Sendable {
    private let handle: OpaquePointer
    private var statements: [StatementKey: OpaquePointer] = [:]

    /// Statements kept prepared; past this (SQL built with a varying number of parameters),
    /// the cache is emptied and refilled.
    private static let cacheLimit = 256

    /// `SQLITE_TRANSIENT`: SQLite copies a bound text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Opens (creating when needed) the database file at `path`.
    init(path: String) throws {
        Self.initializeLibrary
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let status = sqlite_nio_sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            let message = opened.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open"
            if let opened { sqlite_nio_sqlite3_close_v2(opened) }
            throw SQLiteFailure(code: status, message: "\(message) (\(path))")
        }
        handle = opened
        sqlite_nio_sqlite3_busy_timeout(handle, 5000)
    }

    deinit {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        sqlite_nio_sqlite3_close_v2(handle)
    }

    /// `sqlite3_initialize` once per process, before the first connection opens.
    private static let initializeLibrary: Void = { _ = sqlite_nio_sqlite3_initialize() }()

    // MARK: Running statements

    /// Runs one statement to completion, ignoring any rows it returns.
    func run(_ sql: String, _ binds: [SQLValue] = []) throws {
        let statement = try prepared(sql, binds)
        defer { sqlite_nio_sqlite3_reset(statement) }
        while try step(statement) {}
    }

    /// Runs one statement and reads every row it returns with `read`.
    func rows<Value>(_ sql: String, _ binds: [SQLValue] = [], _ read: (Columns) throws -> Value) throws -> [Value] {
        let statement = try prepared(sql, binds)
        defer { sqlite_nio_sqlite3_reset(statement) }
        var values: [Value] = []
        while try step(statement) {
            values.append(try read(Columns(statement: statement)))
        }
        return values
    }

    /// Runs one statement and reads its first row with `read`, or returns `nil` when it
    /// returns none. The statement always runs to completion.
    func firstRow<Value>(_ sql: String, _ binds: [SQLValue] = [], _ read: (Columns) throws -> Value) throws -> Value? {
        let statement = try prepared(sql, binds)
        defer { sqlite_nio_sqlite3_reset(statement) }
        var first: Value?
        while try step(statement) {
            if first == nil { first = try read(Columns(statement: statement)) }
        }
        return first
    }

    // MARK: Connection state

    /// Rows inserted, updated or deleted by completed statements since the connection opened.
    var totalChanges: Int64 { sqlite_nio_sqlite3_total_changes64(handle) }

    /// Rows the last completed `INSERT`, `UPDATE` or `DELETE` inserted, updated or deleted.
    ///
    /// Where one statement's effect is all a caller needs, this rather than a `RETURNING`
    /// clause: SQLite buffers `RETURNING` rows in a temporary table it builds for every run.
    var changes: Int64 { sqlite_nio_sqlite3_changes64(handle) }

    /// The rowid of the last row an `INSERT` added on this connection.
    var lastInsertRowID: Int64 { sqlite_nio_sqlite3_last_insert_rowid(handle) }

    /// Whether a transaction is open (SQLite may roll one back by itself after some errors).
    var isInTransaction: Bool { sqlite_nio_sqlite3_get_autocommit(handle) == 0 }

    // MARK: Internals

    private func prepared(_ sql: String, _ binds: [SQLValue]) throws -> OpaquePointer {
        let statement: OpaquePointer
        let key = StatementKey(sql)
        if let cached = statements[key] {
            statement = cached
        } else {
            var made: OpaquePointer?
            let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &made, nil)
            guard status == SQLITE_OK, let made else { throw failure(status) }
            if statements.count >= Self.cacheLimit {
                for old in statements.values { sqlite_nio_sqlite3_finalize(old) }
                statements.removeAll(keepingCapacity: true)
            }
            statements[key] = made
            statement = made
        }
        let expected = Int(sqlite_nio_sqlite3_bind_parameter_count(statement))
        guard expected == binds.count else {
            throw SQLiteFailure(code: SQLITE_MISUSE, message: "\(binds.count) values for \(expected) parameters in \(sql)")
        }
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .integer(let number):
                status = sqlite_nio_sqlite3_bind_int64(statement, index, number)
            case .null:
                status = sqlite_nio_sqlite3_bind_null(statement, index)
            case .text(let text):
                var text = text
                status = text.withUTF8 { bytes in
                    // An empty buffer may have no address; SQLite would bind NULL for a nil pointer.
                    guard let base = bytes.baseAddress, !bytes.isEmpty else {
                        return sqlite_nio_sqlite3_bind_text(statement, index, "", 0, Self.transient)
                    }
                    return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                        sqlite_nio_sqlite3_bind_text(statement, index, $0, Int32(bytes.count), Self.transient)
                    }
                }
            }
            guard status == SQLITE_OK else { throw failure(status) }
        }
        return statement
    }

    /// Steps once: `true` when a row is ready, `false` when the statement is done.
    private func step(_ statement: OpaquePointer) throws -> Bool {
        switch sqlite_nio_sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let status: throw failure(status)
        }
    }

    private func failure(_ status: Int32) -> SQLiteFailure {
        let code = sqlite_nio_sqlite3_extended_errcode(handle)
        let message = sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "unknown error"
        return SQLiteFailure(code: code == SQLITE_OK ? status : code, message: message)
    }
}

/// The current row of a statement, read by column position (the order of the `SELECT` or
/// `RETURNING` list); only valid inside the `read` closure it is handed to.
struct Columns {
    fileprivate let statement: OpaquePointer

    func integer(_ column: Int32) throws -> Int64 {
        guard sqlite_nio_sqlite3_column_type(statement, column) == SQLITE_INTEGER else {
            throw StoreError(.corrupt, "column \(name(column)) is not an integer")
        }
        return sqlite_nio_sqlite3_column_int64(statement, column)
    }

    func optionalInteger(_ column: Int32) throws -> Int64? {
        sqlite_nio_sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : try integer(column)
    }

    func text(_ column: Int32) throws -> String {
        guard sqlite_nio_sqlite3_column_type(statement, column) == SQLITE_TEXT else {
            throw StoreError(.corrupt, "column \(name(column)) is not text")
        }
        guard let bytes = sqlite_nio_sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func optionalText(_ column: Int32) throws -> String? {
        sqlite_nio_sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : try text(column)
    }

    private func name(_ column: Int32) -> String {
        sqlite_nio_sqlite3_column_name(statement, column).map { String(cString: $0) } ?? "#\(column)"
    }
}
