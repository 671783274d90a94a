import ChannelKit
import ChannelKitTesting
import Foundation
import Logging
import PostgreSQLStorage
import PostgreSQLTesting
import Synchronization
import Testing

let quietLogger = Logger(label: "postgresql-store-tests") { _ in SwiftLogNoOpLogHandler() }

/// Stores on fresh databases of the shared cluster, one after another: making the next closes
/// the one before (the conformance suites run their scenarios in turn), ``closeAll()`` the last.
final class FreshStores: Sendable {
    private let stores = Mutex<[PostgreSQLStore]>([])

    func next() async throws -> PostgreSQLStore {
        await closeAll()
        let cluster = try await TestPostgreSQLCluster.shared()
        let store = try await PostgreSQLStore.open(url: try await cluster.createDatabase(), poolSize: 4, logger: quietLogger)
        stores.withLock { $0.append(store) }
        return store
    }

    func closeAll() async {
        let open = stores.withLock { stores in
            defer { stores = [] }
            return stores
        }
        for store in open { await store.close() }
    }
}

@Suite("PostgreSQLStore")
struct PostgreSQLStoreTests {
    @Test("passes the store conformance suite (privacy and person aliases included), a fresh database per scenario")
    func conformance() async throws {
        let stores = FreshStores()
        do {
            try await StoreConformance.run { try await stores.next() }
        } catch {
            await stores.closeAll()
            throw error
        }
        await stores.closeAll()
    }

    @Test("passes the identity store conformance suite")
    func identityConformance() async throws {
        let stores = FreshStores()
        do {
            try await IdentityStoreConformance.run { try await stores.next() }
        } catch {
            await stores.closeAll()
            throw error
        }
        await stores.closeAll()
    }

    @Test("passes the operator store conformance suite")
    func operatorConformance() async throws {
        let stores = FreshStores()
        do {
            try await OperatorStoreConformance.run { try await stores.next() }
        } catch {
            await stores.closeAll()
            throw error
        }
        await stores.closeAll()
    }

    @Test("passes the shared state conformance suite")
    func sharedStateConformance() async throws {
        let stores = FreshStores()
        do {
            try await SharedStateStoreConformance.run { try await stores.next() }
        } catch {
            await stores.closeAll()
            throw error
        }
        await stores.closeAll()
    }

    @Test("two stores on one database see each other's writes: one host accepts, another claims")
    func twoStoresShareOneDatabase() async throws {
        let cluster = try await TestPostgreSQLCluster.shared()
        let url = try await cluster.createDatabase()
        let first = try await PostgreSQLStore.open(url: url, logger: quietLogger)
        let second = try await PostgreSQLStore.open(url: url, logger: quietLogger)
        let now = Date(timeIntervalSince1970: 1_760_000_100)
        let event = EventFactory.text("hello", from: "u1", id: "shared-1")
        let created = try await first.accept([event], at: now)
        #expect(created.count == 1)
        #expect(try await second.accept([event], at: now).isEmpty, "the other host's redelivery is a duplicate")
        let id = try #require(created.first?.id)
        let claims = try await withThrowingTaskGroup(of: Bool.self) { group in
            for store in [first, second, first, second] {
                group.addTask { try await store.claim(id, leaseUntil: now.addingTimeInterval(60), at: now) != nil }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(claims == 1, "exactly one host claims the item")
        #expect(try await second.item(id)?.state == .processing)
        await first.close()
        await second.close()
    }

    @Test("closed: calls fail with unavailable, and closing twice is harmless")
    func closedStore() async throws {
        let cluster = try await TestPostgreSQLCluster.shared()
        let store = try await PostgreSQLStore.open(url: try await cluster.createDatabase(), logger: quietLogger)
        await store.close()
        await store.close()
        await expectUnavailable("counting on a closed store") { _ = try await store.counts() }
    }
}

/// Expects `body` to throw `StoreError(.unavailable, …)`.
/// - Returns: the error's message, for more checks.
@discardableResult
func expectUnavailable(_ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        Issue.record("\(what): expected StoreError(.unavailable)", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        #expect(error.code == .unavailable, "\(what): \(error)", sourceLocation: sourceLocation)
        return error.message
    } catch {
        Issue.record("\(what): expected StoreError(.unavailable), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
