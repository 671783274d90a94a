import ChannelKit
import ChannelKitTesting
import Foundation
import SQLiteStorage
import Testing

@Suite("SQLiteStore outbox")
struct SQLiteOutboxTests {
    @Test("a refused part's replacement is kept across a reopen, in order, with ids that follow the index")
    func replacementSurvivesReopen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("replace.sqlite")
        let event = EventFactory.text("long question", from: "u1", id: "m1")

        let first = try await SQLiteStore.open(path: path, logger: quietLogger)
        let item = try #require(try await first.accept([event], at: now).first)
        _ = try await first.claim(item.id, leaseUntil: now.addingTimeInterval(60), at: now)
        let parts = try await first.recordReply(for: item.id, parts: (0..<12).map { OutboundMessage(text: "part \($0)") },
                                                conversation: event.conversation, turns: [], at: now)
        try await first.markSent(parts[0].id, platformMessageID: "mid.0", at: now)
        let replaced = try await first.replaceRefusedPart(parts[1].id, with: [OutboundMessage(text: "part 1a"), OutboundMessage(text: "part 1b")],
                                                          reason: "permanent: (#100) Invalid parameter", abandoningRest: false, at: now)
        await first.close()

        let second = try await SQLiteStore.open(path: path, logger: quietLogger)
        let reopened = try await second.parts(for: item.id)
        #expect(reopened == replaced)
        #expect(reopened.map(\.message.text) == ["part 0", "part 1", "part 1a", "part 1b"] + (2..<12).map { "part \($0)" })
        #expect(reopened.map(\.id) == (0..<14).map { "\(item.id).\($0)" })
        #expect(reopened.filter { $0.state == .pending }.count == 12)
        await second.close()
    }
}
