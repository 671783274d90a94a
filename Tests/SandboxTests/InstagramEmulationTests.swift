import ChannelKit
import Foundation
import HTTPTypes
import InstagramChannel
import MetaPlatform
import Sandbox
import Testing

/// Wires a sandbox-mode channel to its emulator the way the host does, without a server:
/// webhook POSTs go to `channel.handle`, Graph calls to the emulator.
final class SandboxHarness: Sendable {
    let http = SandboxLoopback(name: "instagram")

    func makeChannel(_ settings: ChannelSettings = ChannelSettings([:])) throws -> (any Channel, GraphEmulator) {
        let (channel, sandbox) = try makeSandboxChannel("instagram", settings, http: http)
        http.attach(channel, sandbox)
        return (channel, sandbox)
    }

    var webhookBodies: [[UInt8]] { http.webhookBodies }
    var outcomes: [WebhookOutcome] { http.outcomes }
}

@Suite("Instagram emulator")
struct InstagramEmulationTests {
    static func post(_ sandbox: GraphEmulator, _ path: String, _ json: String, headers: HTTPFields = [:]) async -> SandboxResponse {
        await sandbox.handle(SandboxRequest(method: .post, path: path, headers: headers, body: Array(json.utf8)))
    }

    static func get(_ sandbox: GraphEmulator, _ path: String, query: [String: String] = [:]) async -> SandboxResponse {
        await sandbox.handle(SandboxRequest(method: .get, path: path, query: query))
    }

    static func json(_ response: SandboxResponse) throws -> MetaJSON {
        try MetaJSON.decode(response.body)
    }

    @Test func userMessageBecomesASignedMetaStyleWebhook() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel()
        let text = "Grüße äöå 🤘 see https://example.com/a/b \"quoted\""
        let request: MetaJSON = ["user": "2456789012345678", "text": .string(text)]
        let response = await Self.post(sandbox, "/api/send", request.encodedString())
        #expect(response.status == .ok)
        let result = try Self.json(response)
        #expect(result["status"]?.integerValue == 200)
        let mid = try #require(result["mid"]?.stringValue)
        #expect(mid.hasPrefix("sandbox."))

        let body = try #require(harness.webhookBodies.first)
        #expect(body.allSatisfy { $0 < 0x80 }, "the webhook body must be ASCII only")
        let raw = String(decoding: body, as: UTF8.self)
        #expect(raw.contains(#"Gr\u00fc\u00dfe \u00e4\u00f6\u00e5 \ud83e\udd18"#))
        #expect(raw.contains(#"https:\/\/example.com\/a\/b \"quoted\""#))
        #expect(raw.hasPrefix(#"{"object":"instagram","entry":[{"time":"#))

        // The channel's own handle() verified the signature and parsed it back to the same text.
        let events = try #require(harness.outcomes.first.flatMap { outcome -> [InboundEvent]? in
            if case .events(let events) = outcome { return events }
            return nil
        })
        #expect(events.count == 1)
        #expect(events[0].accountID == InstagramEmulation.businessAccountID)
        #expect(events[0].senderID == "2456789012345678")
        #expect(events[0].platformMessageID == mid)
        #expect(try message(of: events[0]).text == text)
    }

    @Test func quickReplyPayloadIsCarried() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel()
        _ = await Self.post(sandbox, "/api/send", #"{"user":"2456789012345678","text":"Yes","quick_reply_payload":"LINK_YES"}"#)
        guard case .events(let events) = try #require(harness.outcomes.first) else {
            Issue.record("expected events")
            return
        }
        #expect(try message(of: try #require(events.first)).quickReplyPayload == "LINK_YES")
    }

    @Test func postbackIsATappedButton() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel()
        let sent = try Self.json(await Self.post(sandbox, "/api/send", #"{"user":"2456789012345678","postback_payload":"GET_STARTED","postback_title":"Get started"}"#))
        guard case .events(let events) = try #require(harness.outcomes.first), case .postback(let postback) = events.first?.kind else {
            Issue.record("expected a postback event")
            return
        }
        #expect(postback.payload == "GET_STARTED" && postback.title == "Get started")
        #expect(events.first?.platformMessageID == sent["mid"]?.stringValue)
    }

    @Test func signatureUsesTheConfiguredAppSecret() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel(ChannelSettings(["app_secret": "configured-secret"]))
        _ = await Self.post(sandbox, "/api/send", #"{"user":"2456789012345678","text":"hi"}"#)
        let body = try #require(harness.webhookBodies.first)
        let header = try #require(harness.http.requests.first?.headers[MetaSignature.headerName])
        #expect(MetaSignature.isValid(header, body: body, secret: "configured-secret"))
        #expect(!MetaSignature.isValid(header, body: body, secret: "sandbox-app-secret"))
        #expect(harness.outcomes.count == 1)
    }

    @Test func refusedWebhookStatusIsReported() async throws {
        // A channel with another secret refuses what this sandbox signs.
        let http = SandboxLoopback(name: "instagram")
        let (channel, _) = try makeSandboxChannel("instagram", ChannelSettings(["app_secret": "the-channel's-own"]), http: http)
        let (_, sandbox) = try makeSandboxChannel("instagram", http: http)
        http.attach(channel, sandbox)
        let response = await sandbox.handle(SandboxRequest(method: .post, path: "/api/send", body: Array(#"{"user":"1","text":"hi"}"#.utf8)))
        #expect(try Self.json(response)["status"]?.integerValue == 403)
        #expect(http.requests.first?.url == "http://127.0.0.1:8080/api/channels/instagram")
        #expect(http.requests.first?.headers[MetaSignature.headerName]?.hasPrefix("sha256=") == true)
    }

    @Test func channelSendsAreRecordedByTheEmulatedGraphAPI() async throws {
        let harness = SandboxHarness()
        let (channel, sandbox) = try harness.makeChannel()
        let user = "2456789012345678"
        let recipient = Recipient(accountID: InstagramEmulation.businessAccountID, userID: user)
        let hello: MetaJSON = ["user": .string(user), "text": "hello"]
        _ = await Self.post(sandbox, "/api/send", hello.encodedString())
        try await channel.typing(to: recipient, logger: testLogger)
        let first = try await channel.send(OutboundMessage(text: "Hi there! ✨"), to: recipient, logger: testLogger)
        let second = try await channel.send(OutboundMessage(text: "Link?", quickReplies: [QuickReply(title: "Yes", payload: "Y")]), to: recipient, logger: testLogger)
        #expect(first.platformMessageID == "sandbox.out.1")
        #expect(second.platformMessageID == "sandbox.out.2")

        let outbox = try #require(try Self.json(await Self.get(sandbox, "/api/outbox")).arrayValue)
        #expect(outbox.count == 3)
        #expect(outbox.map { $0["sender_action"]?.stringValue } == ["typing_on", nil, nil])
        #expect(outbox.map { $0["text"]?.stringValue } == [nil, "Hi there! ✨", "Link?"])
        #expect(outbox.map { $0["recipient"]?.stringValue } == [user, user, user])
        #expect(outbox.map { $0["message_id"]?.stringValue } == [nil, "sandbox.out.1", "sandbox.out.2"])
        #expect(outbox[2]["quick_replies"] == [["title": "Yes", "payload": "Y"]])

        let thread = try #require(try Self.json(await Self.get(sandbox, "/api/messages", query: ["user": user]))["messages"]?.arrayValue)
        #expect(thread.map { $0["direction"]?.stringValue } == ["in", "out", "out", "out"])
        #expect(thread.map { $0["kind"]?.stringValue } == ["text", "typing", "text", "text"])
        #expect(thread.map { $0["text"]?.stringValue } == ["hello", nil, "Hi there! ✨", "Link?"])
        let seqs = thread.compactMap { $0["seq"]?.integerValue }
        #expect(seqs == seqs.sorted() && Set(seqs).count == 4)

        // Polling after a sequence number returns only what is newer.
        let newer = try Self.json(await Self.get(sandbox, "/api/messages", query: ["user": user, "after": String(seqs[1])]))["messages"]?.arrayValue
        #expect(newer?.count == 2)
        // Another user sees nothing.
        #expect(try Self.json(await Self.get(sandbox, "/api/messages", query: ["user": "999"]))["messages"]?.arrayValue == [])
    }

    @Test func graphRejectsAWrongToken() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel()
        let body = #"{"recipient":{"id":"1"},"messaging_type":"RESPONSE","message":{"text":"hi"}}"#
        for authorization in ["Bearer wrong-token", "sandbox-access-token", ""] {
            var headers = HTTPFields()
            if !authorization.isEmpty { headers[.authorization] = authorization }
            let response = await Self.post(sandbox, "/graph/v27.0/me/messages", body, headers: headers)
            #expect(response.status == .unauthorized)
            #expect(try Self.json(response)["error"]?["code"]?.integerValue == 190)
        }
        let accepted = await Self.post(sandbox, "/graph/v27.0/17841400000000000/messages", body, headers: [.authorization: "Bearer sandbox-access-token"])
        #expect(accepted.status == .ok)
        #expect(try Self.json(accepted)["message_id"]?.stringValue == "sandbox.out.1")
        #expect(try Self.json(await Self.get(sandbox, "/api/outbox")).arrayValue?.count == 1)

        // Through the channel: a channel configured with another token is unauthorized.
        let other = try makeSandboxChannel("instagram", ChannelSettings(["access_token": "stale-token"]), http: harness.http).channel
        let error = await channelError { _ = try await other.send(OutboundMessage(text: "x"), to: Recipient(accountID: "a", userID: "1"), logger: testLogger) }
        #expect(error?.code == .unauthorized)
        #expect(error?.platformCode == 190)
    }

    @Test func graphRejectsMalformedBodiesAndOverlongText() async throws {
        let harness = SandboxHarness()
        let (channel, sandbox) = try harness.makeChannel(ChannelSettings(["max_message_bytes": "10"]))
        let auth: HTTPFields = [.authorization: "Bearer sandbox-access-token"]
        for body in [
            "not json",
            #"{"message":{"text":"no recipient"}}"#,
            #"{"recipient":{"id":"1"}}"#,
            #"{"recipient":{"id":"1"},"message":{"text":"x"},"sender_action":"typing_on"}"#,
            #"{"recipient":{"id":"1"},"sender_action":"dance"}"#,
            #"{"recipient":{"id":"1"},"message":{"text":"x","quick_replies":[{"content_type":"text","title":"This title is far too long","payload":"P"}]}}"#,
        ] {
            let response = await Self.post(sandbox, "/graph/v27.0/me/messages", body, headers: auth)
            #expect(response.status == .badRequest, "\(body)")
            #expect(try Self.json(response)["error"]?["code"]?.integerValue == 100, "\(body)")
        }
        // 11 bytes over a 10-byte limit (ä is two bytes): the channel sees a permanent code 100.
        let error = await channelError { _ = try await channel.send(OutboundMessage(text: "ääääää"), to: Recipient(accountID: "a", userID: "1"), logger: testLogger) }
        #expect(error?.code == .permanent)
        #expect(error?.platformCode == 100)
        _ = try await channel.send(OutboundMessage(text: "äääää"), to: Recipient(accountID: "a", userID: "1"), logger: testLogger)
        #expect(try Self.json(await Self.get(sandbox, "/api/outbox")).arrayValue?.count == 1)
    }

    @Test func resetClearsEverything() async throws {
        let harness = SandboxHarness()
        let (channel, sandbox) = try harness.makeChannel()
        _ = await Self.post(sandbox, "/api/send", #"{"user":"1","text":"hi"}"#)
        _ = try await channel.send(OutboundMessage(text: "yo"), to: Recipient(accountID: "a", userID: "1"), logger: testLogger)
        #expect(await Self.post(sandbox, "/api/reset", "").status == .ok)
        #expect(try Self.json(await Self.get(sandbox, "/api/outbox")).arrayValue == [])
        #expect(try Self.json(await Self.get(sandbox, "/api/messages", query: ["user": "1"]))["messages"]?.arrayValue == [])
    }

    @Test func historyIsBounded() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel()
        let auth: HTTPFields = [.authorization: "Bearer sandbox-access-token"]
        for index in 0..<(GraphEmulator.historyLimit + 5) {
            _ = await Self.post(sandbox, "/graph/v27.0/me/messages", #"{"recipient":{"id":"7"},"message":{"text":"n\#(index)"}}"#, headers: auth)
        }
        let thread = try #require(try Self.json(await Self.get(sandbox, "/api/messages", query: ["user": "7"]))["messages"]?.arrayValue)
        #expect(thread.count == GraphEmulator.historyLimit)
        #expect(thread.first?["text"]?.stringValue == "n5")
    }

    @Test func badRequestsToTheUserAPI() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel()
        for body in ["nope", #"{"text":"hi"}"#, #"{"user":"1","text":""}"#, #"{"user":"17841400000000000","text":"hi"}"#] {
            #expect(await Self.post(sandbox, "/api/send", body).status == .badRequest, "\(body)")
        }
        #expect(harness.webhookBodies.isEmpty)
        #expect(await Self.get(sandbox, "/api/messages").status == .badRequest)
    }

    @Test func pageIsSelfContainedAndEscapesText() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel()
        for path in ["/", ""] {
            let response = await Self.get(sandbox, path)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let html = String(decoding: response.body, as: UTF8.self)
            #expect(html.contains("<title>Sandra — Instagram sandbox</title>"))
            #expect(html.contains("api/send") && html.contains("api/messages?user="))
            #expect(html.contains("localStorage"))
            #expect(html.contains("sandbox app secret"))
            #expect(!html.contains("innerHTML"))
            #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("@import"))
        }
    }

    @Test func unknownPathsAre404() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel()
        #expect(await Self.get(sandbox, "/nope").status == .notFound)
        #expect(await Self.post(sandbox, "/graph/v27.0/me/feed", "{}").status == .notFound)
        #expect(await Self.get(sandbox, "/api/send").status == .methodNotAllowed)
    }
}
