import ChannelKit
import Foundation
import Testing
@testable import ChannelHost

/// Every inbound WhatsApp message gets an answer, whoever it is from: messages Sandra cannot
/// read, people known only by a business-scoped user id (BSUID), people known by phone who
/// now also have a BSUID, and deliveries holding an item the parser does not understand.
/// The real host on loopback, signed webhooks in the Cloud API's shapes, the WhatsApp emulator
/// as the Cloud API.
@Suite("WhatsApp identities and unreadable messages end to end", .serialized)
struct WhatsAppIdentityEndToEndTests {
    typealias E2E = WhatsAppEndToEndTests

    static let bsuid = "US.13491208655302741918"

    /// A `messages` change with `items` (JSON objects) and `contacts`.
    static func body(contacts: String = "", _ items: String...) -> [UInt8] {
        WhatsAppFixtures.envelope(#""contacts":[\#(contacts)],"messages":[\#(items.joined(separator: ","))]"#)
    }

    static func item(from: String?, userID: String?, id: String, text: String, timestamp: Int64 = WhatsAppFixtures.baseSeconds) -> String {
        let phone = from.map { #""from":"\#($0)","# } ?? ""
        let user = userID.map { #""from_user_id":"\#($0)","# } ?? ""
        return #"{\#(phone)\#(user)"id":"\#(id)","timestamp":"\#(timestamp)","type":"text","text":{"body":"\#(text)"}}"#
    }

    @Test("an unsupported message and an order are answered with what Sandra can read, not with silence")
    func unreadableMessagesAreAnswered() async throws {
        try await withHost(yaml: E2E.yaml()) { host in
            let unsupported = #"{"from":"15551230101","id":"wamid.unsup.1","timestamp":"\#(WhatsAppFixtures.baseSeconds)","type":"unsupported","errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown","error_data":{"details":"Message type is currently not supported."}}],"unsupported":{"type":"edit"}}"#
            let order = #"{"from":"15551230102","id":"wamid.order.1","timestamp":"\#(WhatsAppFixtures.baseSeconds)","type":"order","order":{"catalog_id":"cat-1","product_items":[{"product_retailer_id":"sku-1","quantity":1,"item_price":10000,"currency":"EUR"}]}}"#
            #expect(try await E2E.post(host, body: Self.body(unsupported, order)).status == 200)
            await host.waitUntilIdle()
            let texts = try await E2E.outbox(host).filter { $0.text != nil }
            #expect(Set(texts.map(\.recipient)) == ["15551230101", "15551230102"])
            for call in texts {
                let text = call.text ?? ""
                #expect(text.contains("I can read text, photos and voice messages"), "\(text)")
                #expect(!text.contains("You sent"), "the assistant is not asked: \(text)")
            }
        }
    }

    @Test("assistant.unreadable_reply sets what a message with nothing readable is answered with")
    func unreadableReplyIsConfigurable() async throws {
        try await withHost(yaml: E2E.yaml(assistant: "type: echo\nunreadable_reply: \"Only *text*, photos and voice notes, please.\"")) { host in
            let document = #"{"from":"15551230106","id":"wamid.document.1","timestamp":"\#(WhatsAppFixtures.baseSeconds)","type":"document","document":{"filename":"menu.pdf","mime_type":"application\/pdf","sha256":"x","id":"9001"}}"#
            let reply = try await E2E.post(host, body: Self.body(document))
            #expect(reply.status == 200)
            await host.waitUntilIdle()
            let texts = try await E2E.outbox(host).compactMap(\.text)
            #expect(texts == ["Only _text_, photos and voice notes, please."])
        }
    }

    @Test("a person known only by a BSUID gets the answer sent with the recipient field")
    func bsuidOnlyPersonIsAnswered() async throws {
        try await withHost(yaml: E2E.yaml()) { host in
            let contacts = #"{"profile":{"name":"Kerry","username":"@kerry"},"user_id":"\#(Self.bsuid)"}"#
            let body = Self.body(contacts: contacts, Self.item(from: nil, userID: Self.bsuid, id: "wamid.bsuid.1", text: "hello from a username"))
            #expect(try await E2E.post(host, body: body).status == 200)
            await host.waitUntilIdle()
            let reply = try await Self.outboxJSON(host).first { $0["text"] is String }
            #expect(reply?["recipient"] as? String == Self.bsuid)
            #expect(reply?["address_field"] as? String == "recipient")
            #expect((reply?["text"] as? String)?.contains("hello from a username") == true)
        }
    }

    @Test("a person known by phone who arrives with a BSUID keeps their history, and later with the BSUID only too")
    func phoneKnownPersonKeepsHistory() async throws {
        let openAI = try await FakeOpenAIServer.start { received in .init(content: "answer to: \(received.lastUserText)") }
        defer { Task { try? await openAI.stop() } }
        try await withHost(yaml: E2E.yaml(assistant: "type: openai\nbase_url: \(openAI.baseURL)\nmodel: test-model")) { host in
            let phone = "15551230103"
            // 1. Before usernames: phone only.
            #expect(try await E2E.post(host, body: Self.body(Self.item(from: phone, userID: nil, id: "wamid.h.1", text: "my favourite colour is teal"))).status == 200)
            await host.waitUntilIdle()
            // 2. Both ids, as webhooks carry them since 2026.
            let contacts = #"{"profile":{"name":"Kerry"},"wa_id":"\#(phone)","user_id":"\#(Self.bsuid)"}"#
            #expect(try await E2E.post(host, body: Self.body(contacts: contacts, Self.item(from: phone, userID: Self.bsuid, id: "wamid.h.2", text: "what colour?", timestamp: WhatsAppFixtures.baseSeconds + 10))).status == 200)
            await host.waitUntilIdle()
            // 3. The person adopted a username: BSUID only.
            #expect(try await E2E.post(host, body: Self.body(Self.item(from: nil, userID: Self.bsuid, id: "wamid.h.3", text: "and again?", timestamp: WhatsAppFixtures.baseSeconds + 20))).status == 200)
            await host.waitUntilIdle()

            let requests = openAI.requests
            #expect(requests.count == 3)
            for request in requests.dropFirst() {
                #expect(request.messages.contains { $0.role == "user" && $0.content.contains("my favourite colour is teal") },
                        "the earlier turns are the same person's history")
            }
            let third = try #require(requests.last)
            #expect(third.messages.contains { $0.content.contains("what colour?") })
            let replies = try await Self.outboxJSON(host).filter { $0["text"] is String }
            #expect(replies.map { $0["recipient"] as? String } == [phone, phone, Self.bsuid],
                    "to the phone number while it is known, then to the BSUID")
            #expect(replies.map { $0["address_field"] as? String } == ["to", "to", "recipient"])
        }
    }

    @Test("a delivery with a user_changed_user_id system message and a good message is answered 200, and the message is answered")
    func mixedDeliveryIsAccepted() async throws {
        try await withHost(yaml: E2E.yaml()) { host in
            let system = #"{"id":"wamid.sys.1","timestamp":"\#(WhatsAppFixtures.baseSeconds)","type":"system","system":{"body":"User Kerry changed from US.111 to US.222","user_id":"US.222","type":"user_changed_user_id"}}"#
            let broken = #"{"id":"wamid.broken.1","timestamp":"\#(WhatsAppFixtures.baseSeconds)","type":"text","text":{"body":"no sender at all"}}"#
            let good = Self.item(from: "15551230104", userID: nil, id: "wamid.good.1", text: "still here")
            let reply = try await E2E.post(host, body: Self.body(system, broken, good))
            #expect(reply.status == 200)
            await host.waitUntilIdle()
            let texts = try await E2E.outbox(host).compactMap(\.text)
            #expect(texts.count == 1)
            #expect(texts.first?.contains("still here") == true)
            // Meta retries nothing: the same delivery again creates nothing new.
            #expect(try await E2E.post(host, body: Self.body(system, broken, good)).status == 200)
            await host.waitUntilIdle()
            #expect(try await E2E.outbox(host).compactMap(\.text).count == 1)
        }
    }

    @Test("a list reply reaches the assistant with its title and its id")
    func listReplyCarriesItsID() async throws {
        let openAI = try await FakeOpenAIServer.start { _ in .init(content: "Booked.") }
        defer { Task { try? await openAI.stop() } }
        try await withHost(yaml: E2E.yaml(assistant: "type: openai\nbase_url: \(openAI.baseURL)\nmodel: test-model")) { host in
            let item = #"{"from":"15551230105","id":"wamid.list.1","timestamp":"\#(WhatsAppFixtures.baseSeconds)","context":{"from":"15550100001","id":"wamid.sandbox.out.1"},"type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"slot-tue-10","title":"Tuesday","description":"10am"}}}"#
            let reply = try await E2E.post(host, body: Self.body(item))
            #expect(reply.status == 200)
            await host.waitUntilIdle()
            let text = openAI.requests.last?.lastUserText ?? ""
            #expect(text.contains("Tuesday"))
            #expect(text.contains("slot-tue-10"), "the assistant sees which row was tapped: \(text)")
        }
    }

    /// The emulator's outbox as JSON objects.
    static func outboxJSON(_ host: TestHost) async throws -> [[String: Any]] {
        let reply = try await TestHTTP.get("\(host.baseURL)/sandbox/whatsapp/api/outbox")
        return try #require(try reply.json() as? [[String: Any]])
    }
}
