import ChannelKit
import ChannelKitTesting
import Foundation
import PostgresNIO
@testable import PostgreSQLStorage
import PostgreSQLTesting
import Testing

/// A host that stops answering in the middle of a transaction (frozen, cut off) does not hold
/// the other hosts back: the server ends the transaction after the query timeout.
@Suite("PostgreSQLStore: a host frozen in a transaction")
struct PostgreSQLFrozenHostTests {
    @Test("a transaction left open by a host that stopped answering does not keep another host from claiming the message: the server ends it after the query timeout")
    func frozenTransactionReleasesItsLocks() async throws {
        let cluster = try await TestPostgreSQLCluster.shared()
        let url = try await cluster.createDatabase()
        let frozen = try await PostgreSQLStore.open(url: url, poolSize: 2, connectTimeout: .seconds(2), queryTimeout: .seconds(1),
                                                    logger: quietLogger)
        let other = try await PostgreSQLStore.open(url: url, poolSize: 2, connectTimeout: .seconds(2), queryTimeout: .seconds(8),
                                                   logger: quietLogger)
        let item = try #require(try await frozen.accept([EventFactory.text("hi", from: "u1", id: "frozen-1")], at: Date()).first)
        let (held, hold) = AsyncStream.makeStream(of: Void.self)
        let (locked, lockedSignal) = AsyncStream.makeStream(of: Void.self)
        // The frozen host: the message's row locked, then nothing more is said on the connection.
        let stuck = Task {
            try? await frozen.transaction("holding the message's row") { session in
                try await session.run("SELECT id FROM inbox WHERE id = \(item.id) FOR UPDATE")
                lockedSignal.yield()
                for await _ in held { break }
            }
        }
        for await _ in locked { break }
        let started = ContinuousClock.now
        let claim = try await other.claimHead(item.id, owner: "other", leaseUntil: Date().addingTimeInterval(60), at: Date())
        guard case .claimed(let claimed) = claim else {
            Issue.record("not claimed: \(claim)")
            return
        }
        #expect(claimed.leaseOwner == "other")
        #expect(ContinuousClock.now - started < .seconds(8))
        hold.finish()
        _ = await stuck.value
        await frozen.close()
        await other.close()
    }
}
