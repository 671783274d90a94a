import ChannelKit
import ExampleWebhookChannel
import Foundation
import Testing
@testable import ChannelHost

/// The example webhook channel in the real host: its one registration line is all the host
/// knows of it. Signed JSON in over HTTP, replies out to a local receiver over HTTP.
@Suite("Example webhook channel end to end", .serialized)
struct ExampleWebhookEndToEndTests {
    @Test("a signed delivery is answered at the reply URL with the bearer token; a forged one is refused")
    func conversation() async throws {
        let receiver = try await FakeReplyReceiver.start()
        defer { Task { try? await receiver.stop() } }
        let yaml = """
            server: { host: 127.0.0.1, port: {{PORT}} }
            storage: { path: {{DATA}}/sandra.sqlite }
            assistant: { type: echo }
            identity: { enabled: false }
            channels:
              support-chat:
                type: webhook
                sandbox: false
                signing_secret: example-e2e-secret
                reply_url: \(receiver.url)
                access_token: example-e2e-token
            """
        try await withHost(yaml: yaml) { host in
            let body = Array(#"[{"id":"x-1","from":"visitor-7","text":"Hello **there**","timestamp":1760000000},{"type":"status","id":"s-1","from":"visitor-7","message_id":"reply-0","status":"delivered","timestamp":1760000001}]"#.utf8)
            let url = "\(host.baseURL)/api/channels/support-chat"
            let forged = try await TestHTTP.request("POST", url, headers: ["X-Signature": ExampleWebhookSignature.sign(body: body, secret: "nope")], body: body)
            #expect(forged.status == 403)
            let signed = try await TestHTTP.request("POST", url, headers: ["X-Signature": ExampleWebhookSignature.sign(body: body, secret: "example-e2e-secret")], body: body)
            #expect(signed.status == 200)
            await host.waitUntilIdle()
            let replies = receiver.replies
            #expect(replies.count == 1)
            #expect(replies.first?.to == "visitor-7")
            #expect(replies.first?.authorization == "Bearer example-e2e-token")
            #expect(replies.first?.text.contains("• channel: support-chat") == true)
            let ready = try #require(try await TestHTTP.get("\(host.baseURL)/readyz").json() as? [String: Any])
            #expect((ready["channels"] as? [String: Any])?["support-chat"] != nil)
        }
    }
}
