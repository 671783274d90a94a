import ChannelKit
import Foundation
import HTTPTypes
import MetaPlatform
import Sandbox
import Testing

/// The engine every platform's emulator runs on: what it records of the wire, how it is made
/// and how a reconfigured channel's emulator takes over.
@Suite("Graph emulator engine")
struct GraphEmulatorTests {
    static let bearer: HTTPFields = [.authorization: "Bearer sandbox-access-token"]

    @Test("the registry makes an emulator for registered channel types only, from the channel's settings")
    func registry() throws {
        let context = ChannelContext(http: SandboxLoopback(name: "unattached"), logger: testLogger, localBaseURL: localBaseURL, sandboxMode: true)
        #expect(testSandboxes.types == ["instagram", "whatsapp"])
        #expect(testSandboxes.makeSandbox(type: "webhook", name: "hook", settings: ChannelSettings([:]), context: context) == nil)
        let made = try #require(testSandboxes.makeSandbox(type: "whatsapp", name: "wa", settings: ChannelSettings(["phone_number_id": "42"]),
                                                          context: context) as? GraphEmulator)
        #expect((made.emulation as? WhatsAppEmulation)?.phoneNumberID == "42")
    }

    @Test("a platform that is not Meta's registers its own ChannelSandbox, made with the channel's name and settings")
    func registryTakesAnySandbox() throws {
        struct HookSandbox: ChannelSandbox {
            let name: String
            let secret: String
            func handle(_ request: SandboxRequest) async -> SandboxResponse { .text("\(name) \(secret)") }
        }
        var registry = SandboxRegistry()
        registry.register(type: "webhook") { name, settings, _ in HookSandbox(name: name, secret: settings.string("signing_secret")) }
        let context = ChannelContext(http: SandboxLoopback(name: "unattached"), logger: testLogger, localBaseURL: localBaseURL, sandboxMode: true)
        #expect(registry.types == ["webhook"])
        let made = try #require(registry.makeSandbox(type: "webhook", name: "hook", settings: ChannelSettings(["signing_secret": "s3"]),
                                                     context: context) as? HookSandbox)
        #expect(made.name == "hook" && made.secret == "s3")
        #expect(registry.makeSandbox(type: "instagram", name: "instagram", settings: ChannelSettings([:]), context: context) == nil)
    }

    @Test("a message of several lines reaches the channel with its line breaks; the thread keeps the webhook request that carried it")
    func multiLineMessage() async throws {
        for (type, body) in [("instagram", #"{"user":"2456","text":"first line\nsecond line\n\nlast"}"#),
                             ("whatsapp", #"{"user":"15551234567","text":"first line\nsecond line\n\nlast"}"#)] {
            let loopback = SandboxLoopback(name: type)
            let (channel, sandbox) = try makeSandboxChannel(type, http: loopback)
            loopback.attach(channel, sandbox)
            let sent = try await sandboxCall(sandbox, .post, "/api/send", body: Array(body.utf8))
            #expect(sent.json?["status"] == 200, "\(type)")
            guard case .events(let events) = try #require(loopback.outcomes.first) else {
                Issue.record("\(type): no events")
                continue
            }
            #expect(try message(of: try #require(events.first)).text == "first line\nsecond line\n\nlast", "\(type)")

            let user = type == "instagram" ? "2456" : "15551234567"
            let thread = try #require(try await sandboxCall(sandbox, .get, "/api/messages", query: ["user": user]).json?["messages"]?.arrayValue)
            #expect(thread.first?["text"] == "first line\nsecond line\n\nlast")
            let webhook = try #require(loopback.webhookBodies.first)
            #expect(thread.first?["raw"]?.stringValue == "POST /api/channels/\(type)\n\n" + String(decoding: webhook, as: UTF8.self), "\(type)")
        }
    }

    @Test("a Graph call's entries keep the request body exactly as the business sent it")
    func rawGraphRequest() async throws {
        let (_, sandbox) = try makeSandboxChannel("instagram", http: SandboxLoopback(name: "unattached"))
        let body = #"{"recipient":{"id":"7"},"messaging_type":"RESPONSE","message":{"text":"two\nlines"}}"#
        let typing = #"{"recipient":{"id":"7"},"sender_action":"typing_on"}"#
        #expect(try await sandboxCall(sandbox, .post, "/graph/v27.0/me/messages", headers: Self.bearer, body: Array(typing.utf8)).status == 200)
        #expect(try await sandboxCall(sandbox, .post, "/graph/v27.0/me/messages", headers: Self.bearer, body: Array(body.utf8)).status == 200)
        let thread = try #require(try await sandboxCall(sandbox, .get, "/api/messages", query: ["user": "7"]).json?["messages"]?.arrayValue)
        #expect(thread.map { $0["kind"]?.stringValue } == ["typing", "text"])
        #expect(thread.map { $0["raw"]?.stringValue } == ["POST /graph/v27.0/me/messages\n\n" + typing, "POST /graph/v27.0/me/messages\n\n" + body])
        #expect(thread.last?["text"] == "two\nlines")
        // A refused call is not recorded.
        #expect(try await sandboxCall(sandbox, .post, "/graph/v27.0/me/messages", body: Array(body.utf8)).status == 401)
        #expect(try await sandboxCall(sandbox, .get, "/api/outbox").json?.arrayValue?.count == 2)
    }

    @Test("a reconfigured channel's emulator takes over the conversations, numbering and media; the old one forwards to it")
    func adoption() async throws {
        let http = SandboxLoopback(name: "unattached")
        let (_, old) = try makeSandboxChannel("instagram", http: http)
        let upload = try await sandboxCall(old, .post, "/api/media", headers: [.contentType: "image/png"], body: Array("png".utf8))
        let media = try #require(upload.json?["id"]?.stringValue)
        _ = try await sandboxCall(old, .post, "/graph/v27.0/me/messages", headers: Self.bearer,
                                  body: Array(#"{"recipient":{"id":"7"},"message":{"text":"before"}}"#.utf8))
        let (_, new) = try makeSandboxChannel("instagram", ChannelSettings(["access_token": "rotated"]), http: http)
        await new.adopt(old)

        let after = try await sandboxCall(old, .post, "/graph/v27.0/me/messages", headers: [.authorization: "Bearer rotated"],
                                          body: Array(#"{"recipient":{"id":"7"},"message":{"text":"after"}}"#.utf8))
        #expect(after.json?["message_id"] == "sandbox.out.2", "the old emulator forwards to the new one, which goes on numbering")
        let thread = try #require(try await sandboxCall(new, .get, "/api/messages", query: ["user": "7"]).json?["messages"]?.arrayValue)
        #expect(thread.map { $0["text"]?.stringValue } == ["before", "after"])
        #expect(try await sandboxCall(new, .get, "/media/\(media)").status == 200)

        // Another platform's emulator takes nothing.
        let (_, other) = try makeSandboxChannel("whatsapp", http: http)
        await other.adopt(new)
        #expect(try await sandboxCall(other, .get, "/api/outbox").json?.arrayValue == [])
        #expect(try await sandboxCall(new, .get, "/api/outbox").json?.arrayValue?.count == 2)
    }
}
