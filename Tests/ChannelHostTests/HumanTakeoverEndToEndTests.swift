import ChannelKit
import Foundation
import MetaPlatform
import Testing
@testable import ChannelHost

/// People and Sandra share the inbox, end to end through the real host with a live Messenger
/// channel against the fake Graph API: echoes of this host's own replies change nothing; a
/// person of the business's reply (an echo from Meta's apps or another app) pauses Sandra in
/// that conversation, the person's messages meanwhile are kept in its history and not
/// answered; the pause ends (by time or by an operator) and Sandra answers with everything
/// that was said; a person can ask for a person; Conversation Routing keeps Sandra quiet
/// while another app owns the thread.
@Suite("Human takeover end to end", .serialized)
struct HumanTakeoverEndToEndTests {
    static let appSecret = "takeover-e2e-app-secret"
    static let psid = "6743128539099999"
    static let apiToken = "api-token-takeover-0123456789"
    static let adminPassword = "correct horse battery staple"
    /// The Page inbox's app id, as Meta puts it on echoes of replies typed in Meta Business Suite.
    static let pageInboxAppID = "263902037430900"
    static let ownAppID = "1517776481860111"
    static var conversation: ConversationKey {
        ConversationKey(channel: "messenger", accountID: FakeGraphServer.Tokens.pageID, userID: psid)
    }

    static func yaml(appID: String? = nil, handover: String = "") -> (FakeGraphServer) -> String {
        { graph in
            """
            server: { host: 127.0.0.1, port: {{PORT}}, shutdown_timeout_seconds: 5 }
            storage: { path: {{DATA}}/sandra.sqlite }
            assistant: { type: echo }
            identity: { enabled: false }
            pipeline: { send_attempts: 1 }
            admin: { password: \(adminPassword), api_token: \(apiToken) }
            \(handover)
            channels:
              messenger:
                type: messenger
                sandbox: false
                access_token: \(FakeGraphServer.Tokens.page)
                page_id: "\(FakeGraphServer.Tokens.pageID)"
                app_secret: \(appSecret)
                verify_token: takeover-verify
                graph_api_base_url: \(graph.baseURL)
            \(appID.map { "    app_id: \"\($0)\"" } ?? "")
            """
        }
    }

    static var nowMillis: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// A Page webhook with one messaging item, as Meta serializes it.
    static func delivery(_ item: String, key: String = "messaging") -> [UInt8] {
        Array(#"{"object":"page","entry":[{"id":"\#(FakeGraphServer.Tokens.pageID)","time":\#(nowMillis),"\#(key)":[\#(item)]}]}"#.utf8)
    }

    /// The person's text message.
    static func message(_ mid: String, _ text: String) -> [UInt8] {
        delivery(#"{"sender":{"id":"\#(psid)"},"recipient":{"id":"\#(FakeGraphServer.Tokens.pageID)"},"timestamp":\#(nowMillis),"#
                 + #""message":{"mid":"\#(mid)","text":\#(MetaJSON.string(text).encodedString(style: .metaWebhook))}}"#)
    }

    /// An echo of a message the Page sent (`message_echoes`): by `appID`, or by none.
    static func echo(_ mid: String, _ text: String, appID: String?, at millis: Int64 = nowMillis) -> [UInt8] {
        let app = appID.map { #""app_id":\#($0),"# } ?? ""
        return delivery(#"{"sender":{"id":"\#(FakeGraphServer.Tokens.pageID)"},"recipient":{"id":"\#(psid)"},"timestamp":\#(millis),"#
                        + #""message":{"is_echo":true,\#(app)"mid":"\#(mid)","text":\#(MetaJSON.string(text).encodedString(style: .metaWebhook))}}"#)
    }

    static func post(_ host: TestHost, _ body: [UInt8]) async throws {
        let reply = try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/messenger",
                                               headers: ["Content-Type": "application/json",
                                                         "X-Hub-Signature-256": MetaSignature.sign(body: body, secret: appSecret)],
                                               body: body)
        #expect(reply.status == 200)
        await host.waitUntilIdle()
    }

    /// The texts Sandra sent, in order.
    static func sentTexts(_ graph: FakeGraphServer) throws -> [String] {
        try graph.requests(to: "/\(FakeGraphServer.Tokens.pageID)/messages").compactMap {
            let json = try #require(JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any])
            return (json["message"] as? [String: Any])?["text"] as? String
        }
    }

    static func api(_ host: TestHost, _ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let reply = try await TestHTTP.request(method, "\(host.baseURL)\(path)",
                                               headers: ["Authorization": "Bearer \(apiToken)", "Content-Type": "application/json"],
                                               body: data.map { Array($0) })
        #expect(reply.status == 200, "\(method) \(path): \(reply.text)")
        return try #require(try reply.json() as? [String: Any])
    }

    static func listed(_ host: TestHost) async throws -> [String: Any]? {
        let list = try await api(host, "GET", "/admin/api/conversations")
        return (list["conversations"] as? [[String: Any]])?.first { $0["user_id"] as? String == psid }
    }

    @Test("an echo of this host's own reply changes nothing; a reply from the Page inbox pauses Sandra, and an operator resumes her with everything said in her history")
    func humanReplyPausesUntilResumed() async throws {
        try await FakeGraphServer.withHost(yaml: Self.yaml()) { graph, host in
            try await Self.post(host, Self.message("m_1", "hello"))
            #expect(try Self.sentTexts(graph).count == 1)
            // Meta echoes the reply with the message id the send got back.
            try await Self.post(host, Self.echo("mid.fake.1", try Self.sentTexts(graph)[0], appID: Self.ownAppID))
            try await Self.post(host, Self.message("m_2", "still there?"))
            #expect(try Self.sentTexts(graph).count == 2, "this host's own echo does not pause")
            #expect(try await Self.listed(host)?["state"] as? String == "sandra")

            try await Self.post(host, Self.echo("m_human_1", "Hi, Ana from the shop here. Your order ships today.", appID: Self.pageInboxAppID))
            try await Self.post(host, Self.message("m_3", "great, thanks Ana"))
            #expect(try Self.sentTexts(graph).count == 2, "paused: the person's message is left to Ana")
            let paused = try #require(try await Self.listed(host))
            #expect(paused["state"] as? String == "paused")
            #expect(paused["reason"] as? String == "human_reply")
            #expect(paused["can_resume"] as? Bool == true)
            #expect(paused["last_speaker"] as? String == "person")

            let history = try await host.runtime.store.history(of: Self.conversation, limit: 50)
            #expect(history.map(\.role) == [.user, .assistant, .user, .assistant, .assistant, .user])
            #expect(history[4].text == "Hi, Ana from the shop here. Your order ships today.")
            #expect(history[5].text == "great, thanks Ana")

            let resumed = try await Self.api(host, "POST", "/admin/api/conversations/resume",
                                             ["channel": "messenger", "account_id": FakeGraphServer.Tokens.pageID, "user_id": Self.psid])
            #expect(resumed["resumed"] as? Bool == true)
            try await Self.post(host, Self.message("m_4", "one more question"))
            let texts = try Self.sentTexts(graph)
            #expect(texts.count == 3, "answered again once resumed")
            #expect(texts.last?.contains("one more question") == true)
            #expect(texts.last?.contains("earlier turns I can see: 6") == true, "Ana's reply and the message she answered are in the history")
        }
    }

    @Test("the pause runs from the person of the business's reply: one older than pause_minutes has ended, and Sandra answers with it in her history")
    func pauseExpires() async throws {
        try await FakeGraphServer.withHost(yaml: Self.yaml(handover: "handover: { channels: { messenger: { pause_minutes: 10 } } }")) { graph, host in
            let elevenMinutesAgo = Self.nowMillis - 11 * 60 * 1000
            try await Self.post(host, Self.echo("m_human_old", "We're closed today.", appID: nil, at: elevenMinutesAgo))
            #expect(try await Self.listed(host)?["state"] as? String != "paused")
            try await Self.post(host, Self.message("m_1", "hello?"))
            let texts = try Self.sentTexts(graph)
            #expect(texts.count == 1)
            #expect(texts.first?.contains("earlier turns I can see: 1") == true)

            // A fresh reply pauses for the channel's 10 minutes.
            try await Self.post(host, Self.echo("m_human_new", "Back now!", appID: nil))
            try await Self.post(host, Self.message("m_2", "ok"))
            #expect(try Self.sentTexts(graph).count == 1)
            let paused = try #require(try await Self.listed(host))
            #expect(paused["state"] as? String == "paused")
        }
    }

    @Test("with app_id configured, an echo carrying it is this host's own even with a message id it never got back")
    func ownAppIDEchoIgnored() async throws {
        try await FakeGraphServer.withHost(yaml: Self.yaml(appID: Self.ownAppID)) { graph, host in
            try await Self.post(host, Self.echo("m_unknown_own", "sent by this app", appID: Self.ownAppID))
            try await Self.post(host, Self.message("m_1", "hello"))
            #expect(try Self.sentTexts(graph).count == 1)
            let counts = try await host.runtime.store.counts()
            #expect(counts[.ignored] == 1, "the echo is recorded, nothing more")
        }
    }

    @Test("a person who asks for a person is told so, Sandra pauses, the conversation waits in the list until a person of the business answers")
    func personAsksForPerson() async throws {
        let handover = #"handover: { request_phrases: ["talk to a person", "agente humano"], request_reply: "Sure, a colleague will answer here." }"#
        try await FakeGraphServer.withHost(yaml: Self.yaml(handover: handover)) { graph, host in
            try await Self.post(host, Self.message("m_1", "Can I TALK to a person, please?"))
            #expect(try Self.sentTexts(graph) == ["Sure, a colleague will answer here."])
            try await Self.post(host, Self.message("m_2", "hello??"))
            #expect(try Self.sentTexts(graph).count == 1, "quiet while waiting for a person")
            let waiting = try #require(try await Self.listed(host))
            #expect(waiting["state"] as? String == "waiting")
            #expect(waiting["reason"] as? String == "person_asked")

            // The admin portal's page lists it, with a resume button.
            let admin = AdminClient(baseURL: host.baseURL)
            try await admin.logIn(Self.adminPassword)
            let page = try await admin.get("/admin/conversations")
            #expect(page.status == 200)
            #expect(page.text.contains(Self.psid) && page.text.contains("waiting") && page.text.contains("Resume Sandra"))

            try await Self.post(host, Self.echo("m_human_1", "Hi, I'm Ana. How can I help?", appID: Self.pageInboxAppID))
            #expect(try await Self.listed(host)?["state"] as? String == "paused", "answered by a person: no longer waiting")

            // The page's resume button: the form names the conversation; without it, a clear 400.
            let lacking = try await admin.post("/admin/conversations/resume", [("channel", "messenger")])
            #expect(lacking.status == 400)
            _ = try await admin.get("/admin/conversations")
            let resumed = try await admin.post("/admin/conversations/resume", [("channel", "messenger"),
                                                                               ("account_id", FakeGraphServer.Tokens.pageID), ("user_id", Self.psid)])
            #expect(resumed.status == 303)
            #expect(try await Self.listed(host)?["state"] as? String == "sandra", "resumed from the page")
        }
    }

    @Test("an operator takes a thread another app owns, where this app may: Sandra answers there again at once")
    func operatorTakesThread() async throws {
        try await FakeGraphServer.withHost(yaml: Self.yaml()) { graph, host in
            let base = #"{"sender":{"id":"\#(Self.psid)"},"recipient":{"id":"\#(FakeGraphServer.Tokens.pageID)"},"timestamp":\#(Self.nowMillis),"#
            try await Self.post(host, Self.delivery(base + #""take_thread_control":{"previous_owner_app_id":"\#(Self.ownAppID)","new_owner_app_id":"777"}}"#))
            #expect(try await Self.listed(host)?["can_request_control"] as? Bool == true)
            let conversation: [String: Any] = ["channel": "messenger", "account_id": FakeGraphServer.Tokens.pageID, "user_id": Self.psid]
            let taken = try await Self.api(host, "POST", "/admin/api/conversations/control", conversation)
            #expect(taken["outcome"] as? String == "taken")
            #expect(graph.requests(to: "/request_thread_control").isEmpty)
            let after = try await Self.listed(host)
            #expect(after == nil || after?["state"] as? String == "sandra", "no longer another app's: \(after ?? [:])")
            try await Self.post(host, Self.message("m_1", "hello"))
            #expect(try Self.sentTexts(graph).count == 1)
        }
    }

    @Test("Conversation Routing: while another app owns the thread Sandra stays quiet and standby copies are recorded only; passed back, she answers")
    func threadControl() async throws {
        try await FakeGraphServer.withHost(yaml: Self.yaml()) { graph, host in
            let base = #"{"sender":{"id":"\#(Self.psid)"},"recipient":{"id":"\#(FakeGraphServer.Tokens.pageID)"},"timestamp":\#(Self.nowMillis),"#
            try await Self.post(host, Self.delivery(base + #""take_thread_control":{"previous_owner_app_id":"\#(Self.ownAppID)","new_owner_app_id":"777","metadata":"helpdesk"}}"#))
            let owned = try #require(try await Self.listed(host))
            #expect(owned["state"] as? String == "other_app")
            #expect(owned["thread_owner"] as? String == "777")

            try await Self.post(host, Self.delivery(base + #""message":{"mid":"m_standby","text":"for the helpdesk"}}"#, key: "standby"))
            try await Self.post(host, Self.message("m_1", "anyone?"))
            #expect(try Self.sentTexts(graph).isEmpty, "another app owns the thread")
            let metrics = try await TestHTTP.get("\(host.baseURL)/metrics").text
            #expect(metrics.contains(#"sandra_webhook_events_total{channel="messenger",result="standby"} 1"#), "the standby copy is counted as such")
            #expect(metrics.contains(#"sandra_webhook_events_total{channel="messenger",result="accepted"} 2"#),
                    "the thread-control change and the message are the new events")

            // An operator asks for the thread: this app may not take it, so its owner is asked.
            graph.refuseTakingThreads()
            let conversation: [String: Any] = ["channel": "messenger", "account_id": FakeGraphServer.Tokens.pageID, "user_id": Self.psid]
            let asked = try await Self.api(host, "POST", "/admin/api/conversations/control", conversation)
            #expect(asked["outcome"] as? String == "requested")
            #expect(graph.requests(to: "/take_thread_control").count == 1 && graph.requests(to: "/request_thread_control").count == 1)
            let request = try #require(graph.requests(to: "/request_thread_control").first)
            #expect(request.path == "/v27.0/\(FakeGraphServer.Tokens.pageID)/request_thread_control")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
            #expect((body["recipient"] as? [String: Any])?["id"] as? String == Self.psid)
            #expect(try await Self.listed(host)?["state"] as? String == "other_app", "still the other app's until it passes the thread")

            try await Self.post(host, Self.delivery(base + #""pass_thread_control":{"previous_owner_app_id":"777","new_owner_app_id":"\#(Self.ownAppID)","metadata":"back to you"}}"#))
            try await Self.post(host, Self.message("m_2", "hello again"))
            let texts = try Self.sentTexts(graph)
            #expect(texts.count == 1)
            #expect(texts.first?.contains("hello again") == true)
        }
    }
}
