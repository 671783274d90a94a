import ChannelKit
import ChannelKitTesting
import Testing

@Suite("InMemoryStore")
struct InMemoryStoreConformanceTests {
    @Test("passes the store conformance suite")
    func conformance() async throws {
        try await StoreConformance.run { InMemoryStore() }
    }

    @Test("passes the identity store conformance suite")
    func identityConformance() async throws {
        try await IdentityStoreConformance.run { InMemoryStore() }
    }

    @Test("passes the operator store conformance suite")
    func operatorConformance() async throws {
        try await OperatorStoreConformance.run { InMemoryStore() }
    }
}
