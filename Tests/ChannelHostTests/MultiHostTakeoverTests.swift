import Foundation
import Testing
@testable import ChannelHost

extension ProcessHeavyTests {
    /// A pause lives in the store: a person of the business's reply taken in by one host keeps
    /// every host quiet in that conversation, and an operator's resume on another host ends it
    /// for all.
    @Suite("Human takeover across hosts on one PostgreSQL", .serialized)
    struct MultiHostTakeoverTests {
        typealias Hosts = MultiHostTests

        static func conversation(on host: ChildHost, person: String) async throws -> [String: Any]? {
            let reply = try await TestHTTP.request("GET", "\(host.baseURL)/admin/api/conversations",
                                                   headers: ["Authorization": "Bearer \(Hosts.apiToken)"])
            let list = try #require(try reply.json() as? [String: Any])
            return (list["conversations"] as? [[String: Any]])?.first { $0["user_id"] as? String == person }
        }

        /// Asks `host` until the conversation of `person` is as `expected` says, for up to 20 s.
        static func awaitConversation(on host: ChildHost, person: String,
                                      _ expected: ([String: Any]) -> Bool) async throws -> [String: Any]? {
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                if let row = try await conversation(on: host, person: person), expected(row) { return row }
                try await Task.sleep(for: .milliseconds(50))
            }
            return try await conversation(on: host, person: person)
        }

        @Test("a person of the business's reply taken by host A pauses host B; the message meanwhile is kept, not answered; resumed on B, A answers",
              .timeLimit(.minutes(5)))
        func pauseHoldsOnEveryHost() async throws {
            let (emulator, hosts) = try await Hosts.launchGroup(count: 2)
            defer {
                emulator.terminateInBackground()
                for host in hosts { host.killInBackground() }
            }
            let person = "takeover-person"
            let base = InstagramFixtures.baseMs
            #expect(await Hosts.deliver(InstagramFixtures.body(sender: person, mid: "tk.1", text: "first question", timestamp: base), to: hosts[0]) == 200)
            let first = try await DurabilityTests.sentTexts(emulator: emulator.baseURL, minimum: 1)
            #expect(first.count == 1)

            // Ana answers from the Instagram app; host A takes the echo.
            #expect(await Hosts.deliver(InstagramFixtures.echo(to: person, mid: "tk.human.1", text: "Ana here, I'll take it", timestamp: base + 10),
                                        to: hosts[0]) == 200)
            let paused = try await Self.awaitConversation(on: hosts[1], person: person) { $0["state"] as? String == "paused" }
            #expect(paused?["state"] as? String == "paused", "host B sees the pause host A recorded: \(paused ?? [:])")

            // The person writes to host B: kept in the conversation, not answered.
            #expect(await Hosts.deliver(InstagramFixtures.body(sender: person, mid: "tk.2", text: "thanks Ana", timestamp: base + 20), to: hosts[1]) == 200)
            let kept = try await Self.awaitConversation(on: hosts[0], person: person) { $0["last_speaker"] as? String == "person" }
            #expect(kept?["last_speaker"] as? String == "person", "the message is recorded: \(kept ?? [:])")

            // Resumed through host B; the next message, taken by host A, is answered.
            let resume = try await TestHTTP.request("POST", "\(hosts[1].baseURL)/admin/api/conversations/resume",
                                                    headers: ["Authorization": "Bearer \(Hosts.apiToken)", "Content-Type": "application/json"],
                                                    body: Array(#"{"channel":"instagram","account_id":"\#(InstagramFixtures.account)","user_id":"\#(person)"}"#.utf8))
            #expect(resume.status == 200)
            #expect(await Hosts.deliver(InstagramFixtures.body(sender: person, mid: "tk.3", text: "one more", timestamp: base + 30), to: hosts[0]) == 200)
            let after = try await DurabilityTests.sentTexts(emulator: emulator.baseURL, minimum: 2)
            let texts = after.filter { $0.recipient == person }.map(\.text)
            #expect(texts.count == 2, "answered before the pause and after the resume, never in between: \(texts)")
            #expect(texts.last?.contains("one more") == true)
            #expect(!texts.contains { $0.contains("thanks Ana") })
            #expect(texts.last?.contains("earlier turns I can see: 4") == true, "the reply and the message kept during the pause are in the history")
        }
    }
}
