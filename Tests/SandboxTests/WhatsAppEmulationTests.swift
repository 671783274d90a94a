import ChannelKit
import Foundation
import HTTPTypes
import MetaPlatform
import Sandbox
import Testing
import WhatsAppChannel

/// The WhatsApp emulator, in process: its user side posts signed webhooks the channel
/// accepts, and its Cloud API validates like Graph does.
@Suite("WhatsApp emulator")
struct WhatsAppEmulationTests {
    static let bearer: HTTPFields = [.authorization: "Bearer sandbox-access-token", .contentType: "application/json"]
    static let sendPath = "/graph/v24.0/\(WhatsAppEmulation.defaultPhoneNumberID)/messages"

    @Test("the user side posts a webhook the channel verifies and accepts")
    func userSends() async throws {
        let (_, sandbox) = try sandboxChannel()
        let sent = try await sandboxCall(sandbox, .post, "/api/send", body: Array(#"{"user":"15551234567","text":"héllo / there"}"#.utf8))
        #expect(sent.status == 200)
        #expect(sent.json?["status"] == 200)
        let page = try await sandboxCall(sandbox, .get, "/")
        #expect(page.status == 200)
        #expect(String(decoding: page.body, as: UTF8.self).contains("WhatsApp sandbox"))
    }

    @Test("the Cloud API: a text within 4096 characters is recorded; over it, code 100; a bad token, 190; another number, 100/33")
    func cloudAPI() async throws {
        let (_, sandbox) = try sandboxChannel()
        func send(_ text: String, headers: HTTPFields = WhatsAppEmulationTests.bearer, path: String = WhatsAppEmulationTests.sendPath) async throws -> (status: Int, json: MetaJSON?, body: [UInt8]) {
            let body: MetaJSON = ["messaging_product": "whatsapp", "to": "15551234567", "type": "text", "text": ["body": .string(text)]]
            return try await sandboxCall(sandbox, .post, path, headers: headers, body: body.encoded())
        }
        let ok = try await send(String(repeating: "é", count: 4096))
        #expect(ok.status == 200)
        #expect(ok.json?["messages"]?.arrayValue?.first?["id"]?.stringValue?.hasPrefix("wamid.") == true)
        let long = try await send(String(repeating: "a", count: 4097))
        #expect(long.status == 400)
        #expect(long.json?["error"]?["code"] == 100)
        let unauthorized = try await send("hi", headers: [.authorization: "Bearer nope"])
        #expect(unauthorized.status == 401 && unauthorized.json?["error"]?["code"] == 190)
        let otherNumber = try await send("hi", path: "/graph/v24.0/123/messages")
        #expect(otherNumber.json?["error"]?["error_subcode"] == 33)
        let noProduct = try await sandboxCall(sandbox, .post, Self.sendPath, headers: Self.bearer, body: Array(#"{"to":"1","type":"text","text":{"body":"x"}}"#.utf8))
        #expect(noProduct.status == 400)

        let outbox = try await sandboxCall(sandbox, .get, "/api/outbox", query: ["min_texts": "1", "timeout_ms": "1000"])
        let items = try #require(outbox.json?.arrayValue)
        #expect(items.count == 1)
        #expect(items.first?["recipient"] == "15551234567")
    }

    @Test("the Cloud API counts a text as Graph does, in code points and UTF-16 units; an injected max_text_length refuses longer ones")
    func textLengthAsGraphCounts() async throws {
        let (_, sandbox) = try sandboxChannel()
        func send(_ text: String) async throws -> (status: Int, json: MetaJSON?, body: [UInt8]) {
            let body: MetaJSON = ["messaging_product": "whatsapp", "to": "15551234567", "type": "text", "text": ["body": .string(text)]]
            return try await sandboxCall(sandbox, .post, Self.sendPath, headers: Self.bearer, body: body.encoded())
        }
        let family = "👨‍👩‍👧‍👦"   // 7 code points, 11 UTF-16 units
        #expect(try await send(String(repeating: family, count: 372)).status == 200, "4,092 UTF-16 units")
        let over = try await send(String(repeating: family, count: 373))   // 373 characters, 4,103 UTF-16 units
        #expect(over.status == 400)
        #expect(over.json?["error"]?["code"] == 100)
        #expect(over.json?["error"]?["message"] == "(#100) Invalid parameter")
        #expect(over.json?["error"]?["error_data"]?["details"]?.stringValue?.contains("4096") == true)

        let configured = try await sandboxCall(sandbox, .post, "/api/faults", body: Array(#"{"max_text_length":10}"#.utf8))
        #expect(configured.status == 200)
        #expect(try await send("0123456789").status == 200)
        let refused = try await send("0123456789a")
        #expect(refused.status == 400 && refused.json?["error"]?["code"] == 100)
        let bad = try await sandboxCall(sandbox, .post, "/api/faults", body: Array(#"{"max_text_length":0}"#.utf8))
        #expect(bad.status == 400)
    }

    @Test("read receipts with the typing indicator are recorded against the user's message")
    func readReceipt() async throws {
        let (_, sandbox) = try sandboxChannel()
        let sent = try await sandboxCall(sandbox, .post, "/api/send", body: Array(#"{"user":"15551234567","text":"hi"}"#.utf8))
        let wamid = try #require(sent.json?["id"]?.stringValue)
        let read: MetaJSON = ["messaging_product": "whatsapp", "status": "read", "message_id": .string(wamid), "typing_indicator": ["type": "text"]]
        let reply = try await sandboxCall(sandbox, .post, Self.sendPath, headers: Self.bearer, body: read.encoded())
        #expect(reply.json == ["success": true])
        let outbox = try #require(try await sandboxCall(sandbox, .get, "/api/outbox").json?.arrayValue)
        #expect(outbox.first?["type"] == "read")
        #expect(outbox.first?["recipient"] == "15551234567")
        #expect(outbox.first?["typing_indicator"] == true)
    }

    @Test("faults are injected the way Graph fails")
    func faults() async throws {
        let (_, sandbox) = try sandboxChannel()
        let configured = try await sandboxCall(sandbox, .post, "/api/faults", body: Array(#"{"failure_rate":1,"kinds":["500"]}"#.utf8))
        #expect(configured.status == 200)
        let body: MetaJSON = ["messaging_product": "whatsapp", "to": "1", "type": "text", "text": ["body": "x"]]
        let failed = try await sandboxCall(sandbox, .post, Self.sendPath, headers: Self.bearer, body: body.encoded())
        #expect(failed.status == 500 && failed.json?["error"]?["code"] == 2)
        let refused = try await sandboxCall(sandbox, .post, "/api/faults", body: Array(#"{"failure_rate":2}"#.utf8))
        #expect(refused.status == 400)
    }
}
