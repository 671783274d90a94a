import ChannelKit
import ChannelKitTesting
import Foundation
import SQLiteStorage
import StoreSupport
import Testing

/// Remembered events stand in for decoding only for the JSON they were stored as.
@Suite("Stored event memo")
struct StoredEventMemoTests {
    static let stored = EventFactory.text("as stored", from: "u1", id: "m1")
    static let other = EventFactory.text("something else", from: "u2", id: "m2")

    @Test("a remembered event is returned for its own JSON only; other JSON is decoded")
    func matchesJSON() throws {
        let memo = StoredEventMemo(capacity: 8)
        let json = StoredJSON.encode(Self.stored)
        // Remember a different event under this JSON: getting it back shows that no decoding happened.
        memo.remember(Self.other, json: json, id: 7)
        #expect(try memo.event(id: 7, json: json, column: "c") == Self.other)
        // The row's JSON changed (redacted, rewritten): decoded afresh, and that is remembered.
        let changed = StoredJSON.encode(Self.stored.redacted)
        #expect(try memo.event(id: 7, json: changed, column: "c") == Self.stored.redacted)
        #expect(try memo.event(id: 7, json: changed, column: "c") == Self.stored.redacted)
        // Unknown ids are decoded.
        #expect(try memo.event(id: 8, json: json, column: "c") == Self.stored)
        #expect(throws: StoreError.self) { try memo.event(id: 9, json: "{", column: "c") }
    }

    @Test("beyond its capacity the oldest events are forgotten first")
    func bounded() throws {
        let memo = StoredEventMemo(capacity: 2)
        let json = StoredJSON.encode(Self.stored)
        for id in Int64(1)...3 { memo.remember(Self.other, json: json, id: id) }
        #expect(memo.count == 2)
        #expect(try memo.event(id: 1, json: json, column: "c") == Self.stored)   // forgotten: decoded
        #expect(try memo.event(id: 3, json: json, column: "c") == Self.other)    // still remembered
    }

    @Test("through the store: a claimed item has its event, and a redacted one reads back redacted")
    func throughTheStore() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try await SQLiteStore.open(path: directory.path("memo.sqlite"), logger: quietLogger)
        let now = Date()
        let event = EventFactory.text("link me@example.com", from: "u-memo", id: "memo-\(UUID().uuidString)")
        let accepted = try await store.accept([event], at: now)
        let id = try #require(accepted.first?.id)
        let claimed = try #require(try await store.claim(id, leaseUntil: now.addingTimeInterval(60), at: now))
        #expect(claimed.event == event)
        #expect(try await store.redact(id, at: now))
        let read = try #require(try await store.item(id))
        #expect(read.event == event.redacted)
        #expect(read.event != event)
        await store.close()
    }
}
