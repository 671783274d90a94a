#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ChannelKit
import Synchronization

/// An advisory lock (`flock`) on a file of its own, held until ``release()``: what keeps a
/// second host off a database file that one host is serving.
///
/// The lock lives on its own file (`<database>.lock`), never on the database: SQLite locks the
/// database with POSIX record locks, which a process loses when it closes *any* descriptor of
/// that file. `flock` locks belong to the open file description, so two opens in one process
/// exclude each other as two processes do, and the kernel drops the lock when the process dies.
final class ExclusiveFileLock: Sendable {
    /// The lock file.
    let path: String
    private let descriptor: Mutex<Int32>

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    deinit { release() }

    /// Takes the lock without waiting.
    /// - Returns: the lock, or `nil` when someone else holds it.
    /// - Throws: `StoreError(.unavailable, …)` when the lock file cannot be opened.
    static func acquire(path: String) throws -> ExclusiveFileLock? {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError(.unavailable, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { return nil }
            throw StoreError(.unavailable, "cannot lock \(path): \(String(cString: strerror(code)))")
        }
        return ExclusiveFileLock(path: path, descriptor: descriptor)
    }

    /// Gives the lock up (closing its descriptor); later calls do nothing.
    func release() {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            close(descriptor)
            descriptor = -1
        }
    }
}
