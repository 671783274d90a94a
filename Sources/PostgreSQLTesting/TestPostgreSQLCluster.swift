import Foundation
import Logging
import PostgresNIO
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster for tests, on a free loopback port.
///
/// ``shared()`` starts one per test process, the first time a test asks; ``start()`` starts
/// one of a test's own (to stop and start again). Each is `initdb`-ed into a temporary
/// folder (its unix socket too), runs with `fsync=off`, and is stopped
/// (`pg_ctl stop -m immediate`'s signal) and removed when the process exits.
///
/// PostgreSQL refuses to run as root: as root, `initdb`, `pg_ctl` and `postgres` run as the
/// `postgres` system user (`runuser -u postgres --`), which owns the folder. The binaries are
/// Debian's (`/usr/lib/postgresql/<version>/bin`); `make test` installs them.
public final class TestPostgreSQLCluster: Sendable {
    /// The superuser the tests connect as (over TCP, with ``password``).
    public static let user = "postgres"

    /// The port the server listens on, on 127.0.0.1.
    public let port: Int
    /// The superuser's password.
    public let password: String
    /// The cluster's folder: `data/`, the server log, the socket.
    public let directory: URL

    private let binaries: URL

    private init(port: Int, password: String, directory: URL, binaries: URL) {
        self.port = port
        self.password = password
        self.directory = directory
        self.binaries = binaries
    }

    // MARK: Starting and stopping

    private static let sharedCluster = Mutex<Task<TestPostgreSQLCluster, any Error>?>(nil)

    /// The cluster every test of the process shares, started on first use.
    /// - Throws: ``TestPostgreSQLClusterError`` when PostgreSQL is not installed or does not start.
    public static func shared() async throws -> TestPostgreSQLCluster {
        let task = sharedCluster.withLock { task in
            if let task { return task }
            let started = Task.detached { try start() }
            task = started
            return started
        }
        return try await task.value
    }

    /// Starts a cluster of the caller's own; it is stopped and removed at exit, or by ``remove()``.
    public static func start() throws -> TestPostgreSQLCluster {
        let binaries = try findBinaries()
        // As root the folder is the postgres user's: under /tmp, which it can reach (TMPDIR may not be).
        let parent = URL(fileURLWithPath: getuid() == 0 ? "/tmp" : NSTemporaryDirectory())
        removeLeftovers(in: parent)
        let directory = parent.appendingPathComponent("\(folderPrefix)\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let cluster = TestPostgreSQLCluster(port: try freePort(), password: UUID().uuidString, directory: directory,
                                            binaries: binaries)
        Registry.add(cluster)
        let passwordFile = directory.appendingPathComponent("password")
        try Data(cluster.password.utf8).write(to: passwordFile)
        if getuid() == 0 {
            try run("/bin/chown", ["-R", "postgres:postgres", directory.path])
        }
        try cluster.runAsServerUser("initdb", [
            "-D", cluster.dataDirectory, "-U", user, "--pwfile=\(passwordFile.path)", "--auth-local=trust",
            "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
        ])
        try cluster.startServer()
        return cluster
    }

    /// Starts the server (again, after ``stopServer()``), and waits until it accepts connections.
    public func startServer() throws {
        let options = [
            "-p \(port)", "-k \(directory.path)", "-c listen_addresses=127.0.0.1", "-c fsync=off",
            "-c full_page_writes=off", "-c max_connections=400", "-c shared_buffers=32MB",
        ].joined(separator: " ")
        try runAsServerUser("pg_ctl", ["-D", dataDirectory, "-l", directory.appendingPathComponent("server.log").path,
                                       "-o", options, "-w", "-t", "60", "start"])
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`), as a crash or a lost server would.
    public func stopServer() throws {
        try runAsServerUser("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
    }

    /// Freezes the server and every process of it (SIGSTOP): connections stay open and
    /// nothing answers, as a server that hangs or a network that drops everything.
    public func freeze() throws {
        for pid in try serverProcesses() { Foundation.kill(pid, SIGSTOP) }
    }

    /// Lets a frozen server go on (SIGCONT).
    public func thaw() throws {
        for pid in try serverProcesses() { Foundation.kill(pid, SIGCONT) }
    }

    /// The postmaster (from `postmaster.pid`) and its children (from `/proc`).
    private func serverProcesses() throws -> [pid_t] {
        let file = URL(fileURLWithPath: dataDirectory).appendingPathComponent("postmaster.pid")
        guard let first = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").first,
              let postmaster = pid_t(first.trimmingCharacters(in: .whitespaces)) else {
            throw TestPostgreSQLClusterError("no server process in \(file.path)")
        }
        var processes = [postmaster]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "pid (name) ": the state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == postmaster { processes.append(pid) }
        }
        return processes
    }

    /// Stops the server, if it runs, and removes the folder.
    public func remove() {
        Registry.remove(self)
        Self.kill(dataDirectory: dataDirectory)
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Databases

    /// The URL of `database` for the superuser; `password` replaces the real one (to test a wrong one).
    public func url(database: String, password: String? = nil) -> String {
        "postgres://\(Self.user):\(password ?? self.password)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// Creates an empty database with a fresh name.
    /// - Returns: its URL.
    public func createDatabase(prefix: String = "test") async throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        try await withAdminConnection { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Self.logger)
        }
        return url(database: name)
    }

    /// Runs `body` on a superuser connection to the `postgres` database.
    public func withAdminConnection<Value: Sendable>(database: String = "postgres",
                                                     _ body: (PostgresConnection) async throws -> Value) async throws -> Value {
        let configuration = PostgresConnection.Configuration(host: "127.0.0.1", port: port, username: Self.user,
                                                             password: password, database: database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Self.logger)
        do {
            let value = try await body(connection)
            try await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }

    // MARK: Internals

    private static let logger = Logger(label: "test-postgresql") { _ in SwiftLogNoOpLogHandler() }

    var dataDirectory: String { directory.appendingPathComponent("data").path }

    /// Runs a PostgreSQL program, as the `postgres` user when this process is root.
    private func runAsServerUser(_ program: String, _ arguments: [String]) throws {
        let path = binaries.appendingPathComponent(program).path
        if getuid() == 0 {
            try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments)
        } else {
            try Self.run(path, arguments)
        }
    }

    /// Runs a program to its end (`posix_spawn` and `waitpid`: Foundation's `Process` may miss
    /// the exit of a child whose own child lives on, as `pg_ctl start`'s server does). Its
    /// output goes to a file, not a pipe the server could hold open, shown when it fails.
    private static func run(_ executable: String, _ arguments: [String]) throws {
        let outputPath = NSTemporaryDirectory() + "/sandra-pg-command-\(UUID().uuidString).out"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw TestPostgreSQLClusterError("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let printed = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let program = URL(fileURLWithPath: arguments.first { $0.hasPrefix("/") } ?? executable).lastPathComponent
            throw TestPostgreSQLClusterError("\(program) failed (status \(status)): \(printed)")
        }
    }

    /// The newest installed `/usr/lib/postgresql/<version>/bin` with `initdb` and `pg_ctl`.
    private static func findBinaries() throws -> URL {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions {
            let bin = root.appendingPathComponent("\(version)/bin")
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path),
               FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("pg_ctl").path) {
                return bin
            }
        }
        throw TestPostgreSQLClusterError("""
            PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/initdb): the PostgreSQL store's tests start \
            a throwaway server. Run `make test`, which installs the Debian package postgresql.
            """)
    }

    /// A port nothing listens on now, on 127.0.0.1.
    public static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestPostgreSQLClusterError("cannot open a socket to find a free port") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        guard bound else { throw TestPostgreSQLClusterError("cannot bind a socket to find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Sends the postmaster the signal of `pg_ctl stop -m immediate` (SIGQUIT) and waits up
    /// to five seconds for it to go. No process is started: this runs at exit too.
    static func kill(dataDirectory: String) {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
              let line = text.split(separator: "\n").first, let pid = pid_t(line.trimmingCharacters(in: .whitespaces)),
              pid > 0 else { return }
        // Only that server: a pid left in a stale file may belong to another process by now.
        guard let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
              String(decoding: command, as: UTF8.self).contains(dataDirectory) else { return }
        guard Glibc.kill(pid, SIGQUIT) == 0 else { return }
        for _ in 0..<500 where Glibc.kill(pid, 0) == 0 {
            usleep(10_000)
        }
    }

    /// The start of a cluster folder's name; the test process's id follows.
    private static let folderPrefix = "sandra-postgres-"

    /// Stops and removes the clusters of test processes that are gone: one killed by a signal
    /// (a watchdog, a timeout) never ran its exit handler.
    private static func removeLeftovers(in parent: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        for name in names where name.hasPrefix(folderPrefix) {
            guard let owner = pid_t(name.dropFirst(folderPrefix.count).prefix { $0 != "-" }), owner != getpid(),
                  Glibc.kill(owner, 0) != 0, errno == ESRCH else { continue }
            let folder = parent.appendingPathComponent(name)
            kill(dataDirectory: folder.appendingPathComponent("data").path)
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// The clusters to stop and remove when the process exits.
    private enum Registry {
        private static let clusters = Mutex<[URL: String]>([:])
        private static let installed = Mutex(false)

        static func add(_ cluster: TestPostgreSQLCluster) {
            clusters.withLock { $0[cluster.directory] = cluster.dataDirectory }
            installed.withLock { done in
                guard !done else { return }
                done = true
                atexit {
                    TestPostgreSQLCluster.Registry.removeAll()
                }
            }
        }

        static func remove(_ cluster: TestPostgreSQLCluster) {
            _ = clusters.withLock { $0.removeValue(forKey: cluster.directory) }
        }

        static func removeAll() {
            let all = clusters.withLock { clusters in
                defer { clusters = [:] }
                return clusters
            }
            for (directory, data) in all {
                TestPostgreSQLCluster.kill(dataDirectory: data)
                try? FileManager.default.removeItem(at: directory)
            }
        }
    }
}

/// The throwaway cluster could not be set up; the message says why and what to do.
public struct TestPostgreSQLClusterError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
