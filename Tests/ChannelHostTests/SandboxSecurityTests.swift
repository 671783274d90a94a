import ChannelKit
import ChannelKitTesting
import Foundation
import SQLiteStorage
import Testing
@testable import ChannelHost

/// The sandbox shares the admin portal's origin, so what it serves and accepts is held to a
/// browser's threats, over real HTTP: uploads come back as inert downloads, pages stay out of
/// frames, and other sites' pages cannot post.
@Suite("Sandbox security")
struct SandboxSecurityTests {
    static let script = Array(#"<!doctype html><script>fetch("/admin/settings")</script>"#.utf8)

    static func upload(_ host: TestHost, _ bytes: [UInt8], contentType: String, channel: String = "instagram") async throws -> String {
        let reply = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/\(channel)/api/media",
                                               headers: ["Content-Type": contentType], body: bytes)
        #expect(reply.status == 200, "\(reply.text)")
        return try #require((try reply.json() as? [String: Any])?["id"] as? String)
    }

    static func send(_ host: TestHost, headers: [String: String], user: String, path: String = "api/send") async throws -> TestHTTP.Reply {
        try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/\(path)", headers: headers,
                                   body: Array(#"{"user":"\#(user)","text":"injected"}"#.utf8))
    }

    /// The sandbox's record of one user's conversation.
    static func thread(_ host: TestHost, user: String) async throws -> [[String: Any]] {
        let reply = try await TestHTTP.get("\(host.baseURL)/sandbox/instagram/api/messages?user=\(user)&after=0")
        return try #require(try reply.json() as? [String: Any])["messages"] as? [[String: Any]] ?? []
    }

    @Test("an uploaded HTML or SVG file is served as an inert download, never as a page of the host's origin; real media keep their type")
    func uploadsAreInert() async throws {
        try await withHost(yaml: EndToEndTests.yaml()) { host in
            let svg = Array(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8)
            for (bytes, declared, served) in [
                (Self.script, "text/html", "application/octet-stream"),
                (svg, "image/svg+xml", "application/octet-stream"),
                (Self.script, "image/png", "application/octet-stream"),
                (MediaFixtures.png(), "text/html; charset=utf-8", "image/png"),
                (MediaFixtures.png(), "image/png", "image/png"),
                (MediaFixtures.mp4(), "video/mp4", "video/mp4"),
            ] {
                let id = try await Self.upload(host, bytes, contentType: declared)
                let media = try await TestHTTP.get("\(host.baseURL)/sandbox/instagram/media/\(id)")
                #expect(media.status == 200)
                #expect(media.body == bytes, "the bytes are served as they were uploaded")
                #expect(media.header("Content-Type") == served, "uploaded as \(declared)")
                #expect(media.header("X-Content-Type-Options") == "nosniff")
                #expect(media.header("Content-Disposition") == "attachment")
                let policy = try #require(media.header("Content-Security-Policy"))
                #expect(policy.contains("default-src 'none'") && policy.contains("sandbox"))
                #expect(media.header("X-Frame-Options") == "DENY")
            }
        }
    }

    @Test("sandbox pages and their API cannot be framed, do not leak their URL, and have a content policy")
    func pagesAreNotFramed() async throws {
        try await withHost(yaml: EndToEndTests.yaml()) { host in
            for path in ["/sandbox/instagram/", "/sandbox", "/sandbox/instagram/api/messages?user=1&after=0", "/sandbox/instagram/nothing-here"] {
                let reply = try await TestHTTP.get(host.baseURL + path)
                #expect(reply.header("X-Frame-Options") == "DENY", "\(path)")
                #expect(reply.header("Referrer-Policy") == "same-origin", "\(path)")
                #expect(reply.header("X-Content-Type-Options") == "nosniff", "\(path)")
                #expect(reply.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true, "\(path)")
            }
            let page = try await TestHTTP.get("\(host.baseURL)/sandbox/instagram/")
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.header("Content-Security-Policy")?.contains("script-src 'unsafe-inline'") == true, "the page's own script still runs")
        }
    }

    @Test("a POST from another site's page, or with a type a cross-site form can send, is refused and changes nothing")
    func crossSitePostsAreRefused() async throws {
        try await withHost(yaml: EndToEndTests.yaml()) { host in
            let evil = "https://evil.example"
            // The finding: a text/plain "simple" request from another origin injected a signed message.
            for headers in [
                ["Content-Type": "text/plain", "Origin": evil],
                ["Content-Type": "application/json", "Origin": evil],
                ["Content-Type": "application/json", "Origin": "null"],
                ["Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"],
                ["Content-Type": "application/x-www-form-urlencoded"],
                ["Content-Type": "text/plain"],
                [:],
            ] {
                let reply = try await Self.send(host, headers: headers, user: "victim")
                #expect(reply.status == (headers["Origin"] != nil || headers["Sec-Fetch-Site"] != nil ? 403 : 415), "\(headers)")
                #expect(reply.header("Content-Type") == "application/json")
            }
            #expect(try await Self.thread(host, user: "victim").isEmpty)
            #expect(try await host.runtime.store.countsByChannel().isEmpty, "no webhook reached the channel")

            // The page's own requests (same origin) and non-browser clients still work.
            let own = try await Self.send(host, headers: ["Content-Type": "application/json", "Origin": host.baseURL,
                                                          "Sec-Fetch-Site": "same-origin"], user: "page-user")
            #expect(own.status == 200, "\(own.text)")
            await host.waitUntilIdle()
            #expect(try await Self.thread(host, user: "page-user").count >= 2, "the message and its echo")

            // Faults and reset from another site change nothing either.
            let faults = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/faults",
                                                    headers: ["Content-Type": "text/plain", "Origin": evil],
                                                    body: Array(#"{"failure_rate": 1, "kinds": ["190"]}"#.utf8))
            #expect(faults.status == 403)
            let reset = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/reset",
                                                   headers: ["Content-Type": "text/plain", "Origin": evil])
            #expect(reset.status == 403)
            #expect(try await Self.thread(host, user: "page-user").count >= 2, "not reset")
            #expect(try await Self.send(host, headers: ["Content-Type": "application/json"], user: "page-user").status == 200)
            await host.waitUntilIdle()
            #expect(try await EndToEndTests.outbox(host).filter { $0.text != nil }.count == 2, "no fault injected: both echoes sent")

            // An upload needs its own type: a form's is refused, and so is one from another site.
            let plain = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/media",
                                                   headers: ["Content-Type": "text/plain"], body: Self.script)
            #expect(plain.status == 415)
            let foreign = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/media",
                                                     headers: ["Content-Type": "image/png", "Origin": evil], body: MediaFixtures.png())
            #expect(foreign.status == 403)
        }
    }
}
