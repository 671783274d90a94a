import ChannelKit
import ChannelKitTesting
import ChannelPipeline
import Foundation
import PostgreSQLStorage
import PostgreSQLTesting
import Synchronization
import Testing

/// The server going away under a running host: readiness says so, and a reply the platform
/// took meanwhile is recorded once the server is back, not sent again.
@Suite("PostgreSQLStore: an outage under a running host", .serialized)
struct PostgreSQLOutageTests {
    @Test("unreachableReason: nil while the server answers; stopped, the reason naming the server (not the password) within the connect timeout; nil again once it is back")
    func reachability() async throws {
        let cluster = try await Task.detached { try TestPostgreSQLCluster.start() }.value
        defer { cluster.remove() }
        let store = try await PostgreSQLStore.open(url: try await cluster.createDatabase(), poolSize: 2, connectTimeout: .seconds(1),
                                                   logger: quietLogger)
        #expect(await store.unreachableReason() == nil)

        try await Task.detached { try cluster.stopServer() }.value
        let reason = try await Self.eventually(within: .seconds(20)) { () async -> String? in
            let started = ContinuousClock.now
            let reason = await store.unreachableReason()
            #expect(ContinuousClock.now - started < .seconds(6), "a check waits no longer than the connect timeout")
            return reason
        }
        #expect(reason.contains("127.0.0.1:\(cluster.port)") && !reason.contains(cluster.password), "\(reason)")

        try await Task.detached { try cluster.startServer() }.value
        _ = try await Self.eventually(within: .seconds(60)) { () async -> Bool? in
            await store.unreachableReason() == nil ? true : nil
        }
        await store.close()
    }

    @Test("a call on a connection whose server stops answering is abandoned after four query timeouts with unavailable, instead of holding its caller for ever; the store works again once the server does")
    func hungCallIsAbandoned() async throws {
        let cluster = try await Task.detached { try TestPostgreSQLCluster.start() }.value
        defer { cluster.remove() }
        let store = try await PostgreSQLStore.open(url: try await cluster.createDatabase(), poolSize: 2, connectTimeout: .seconds(2),
                                                   queryTimeout: .seconds(1), logger: quietLogger)
        let item = try #require(try await store.accept([EventFactory.text("hello", from: "u1", id: "hung-1")], at: Date()).first)
        try cluster.freeze()
        let started = ContinuousClock.now
        let outcome = await Task { () -> (any Error)? in
            do { _ = try await store.item(item.id) } catch { return error }
            return nil
        }.value
        let took = ContinuousClock.now - started
        try cluster.thaw()
        let error = try #require(outcome as? StoreError, "the call returned \(String(describing: outcome))")
        #expect(error.code == .unavailable)
        #expect("\(error)".contains("did not answer within"), "\(error)")
        #expect(took >= .seconds(3) && took < .seconds(30), "abandoned after \(took)")
        _ = try await Self.eventually(within: .seconds(30)) { () async -> Bool? in
            (try? await store.item(item.id)) != nil ? true : nil
        }
        await store.close()
    }

    @Test("a reply the platform took while the server was down is recorded once it is back: its event is done and a later rescan sends nothing again")
    func replySentDuringOutage() async throws {
        let cluster = try await Task.detached { try TestPostgreSQLCluster.start() }.value
        defer { cluster.remove() }
        let store = try await PostgreSQLStore.open(url: try await cluster.createDatabase(), poolSize: 2, connectTimeout: .seconds(1),
                                                   logger: quietLogger)
        let channel = RecordingChannel()
        let stopped = Mutex(false)
        channel.refuseSends { _ in
            // The platform takes the reply; at that moment the server goes away.
            let first = stopped.withLock { done in
                defer { done = true }
                return !done
            }
            if first { try? cluster.stopServer() }
            return nil
        }
        let pipeline = Pipeline(channels: [channel], store: store, identities: InMemoryIdentityDirectory(),
                                assistant: ScriptedAssistant.echo(),
                                options: .init(lease: .seconds(1), workerID: "host-a", sharedStore: true), executor: TestThreads.replies, timers: TestThreads.timers, logger: quietLogger)
        try await pipeline.accept([EventFactory.text("hello", from: "u1", id: "o1")])
        _ = try await Self.eventually(within: .seconds(30)) { () async -> Bool? in stopped.withLock { $0 } ? true : nil }
        // The outage outlasts the lease.
        try await Task.sleep(for: .seconds(3))
        try await Task.detached { try cluster.startServer() }.value
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(60)))
        // Past the lease, a rescan (every host runs one) finds nothing left to do.
        try await Task.sleep(for: .seconds(1.5))
        await pipeline.rescan()
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(60)))
        #expect(channel.sentTexts(to: "u1") == ["re: hello"], "sent once")
        let done = try await store.items(in: [.done], limit: 10)
        #expect(done.map(\.event.platformMessageID) == ["o1"])
        await store.close()
    }

    /// A wait that did not end in time.
    struct TimedOut: Error {
        let limit: Duration
    }

    /// `body`'s first non-nil value, asked every 200 ms for up to `limit`.
    static func eventually<Value>(within limit: Duration, _ body: () async throws -> Value?) async throws -> Value {
        let deadline = ContinuousClock.now + limit
        while true {
            if let value = try await body() { return value }
            guard ContinuousClock.now < deadline else { throw TimedOut(limit: limit) }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
