import ChannelKitTesting
import Foundation
import Synchronization
import Testing

/// The real `sandra` process — the release build when `make test` runs this suite a second
/// time against it — answering what people really send: several photos in one message, voice
/// notes, WhatsApp media looked up through Graph. Each test also checks that the process is
/// still running afterwards: a defect the optimizer exposes shows here as a dead child.
@Suite("The sandra process end to end", .serialized)
struct ProcessEndToEndTests {
    /// A configuration with both channels in sandbox mode and an OpenAI-compatible assistant.
    static func config(port: Int, data: String, openAI: FakeOpenAIServer, extra: String = "") throws -> String {
        try DurabilityTests.write("""
            server: { host: 127.0.0.1, port: \(port), shutdown_timeout_seconds: 5 }
            storage: { path: \(data)/sandra.sqlite }
            assistant: { type: openai, base_url: "\(openAI.baseURL)", model: text-model, vision_model: vision-model, api_key: sk-test }
            transcription: { type: openai, base_url: "\(openAI.baseURL)", api_key: sk-test }
            \(extra)
            channels:
              instagram: { type: instagram, sandbox: true }
              whatsapp: { type: whatsapp, sandbox: true }
            """)
    }

    /// Uploads bytes to a sandbox's emulated CDN; returns the media id.
    static func upload(_ host: ChildHost, channel: String, _ bytes: [UInt8], contentType: String) async throws -> String {
        let query = channel == "whatsapp" ? "?mime_type=\(contentType.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? contentType)" : ""
        let reply = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/\(channel)/api/media\(query)",
                                               headers: ["Content-Type": contentType], body: bytes)
        #expect(reply.status == 200, "\(reply.text)")
        return try #require((try reply.json() as? [String: Any])?["id"] as? String)
    }

    /// Posts to a sandbox's `api/send` as a person.
    static func send(_ host: ChildHost, channel: String, _ body: [String: Any]) async throws {
        let sent = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/\(channel)/api/send",
                                              headers: ["Content-Type": "application/json"],
                                              body: Array(try JSONSerialization.data(withJSONObject: body)))
        #expect(sent.status == 200, "\(sent.text)")
    }

    /// The texts the channel's emulated Send API received, once there are at least `minimum`.
    static func texts(_ host: ChildHost, channel: String, minimum: Int) async throws -> [String] {
        let reply = try await TestHTTP.get("\(host.baseURL)/sandbox/\(channel)/api/outbox?min_texts=\(minimum)&timeout_ms=120000")
        let items = try #require(try reply.json() as? [[String: Any]])
        return items.compactMap { item in
            item["text"] as? String ?? ((item["text"] as? [String: Any])?["body"] as? String)
        }
    }

    @Test("two photos in one Instagram message both reach the vision model, a voice note is transcribed, and the process stays up",
          .timeLimit(.minutes(3)))
    func instagramMedia() async throws {
        let openAI = try await FakeOpenAIServer.start(answer: { request in
            let images = request.lastParts?.filter { $0.type == "image_url" }.count ?? 0
            return .init(content: images > 0 ? "I see \(images) photos" : "you said: \(request.lastUserText)")
        }, transcribe: { _ in .init(text: "book a table for two") })
        defer { Task { try? await openAI.stop() } }
        let data = makeTemporaryDirectory()
        let host = try await ChildHost.launch(configuredFor: { try Self.config(port: $0, data: data, openAI: openAI) }).host
        defer { host.terminateInBackground() }

        let first = try await Self.upload(host, channel: "instagram", MediaFixtures.png(width: 4, height: 3), contentType: "image/png")
        let second = try await Self.upload(host, channel: "instagram", MediaFixtures.jpeg(width: 64, height: 48), contentType: "image/jpeg")
        try await Self.send(host, channel: "instagram", ["user": "ig-photos", "text": "which is nicer?",
                                                           "attachments": [["type": "image", "media_id": first], ["type": "image", "media_id": second]]])
        #expect(try await Self.texts(host, channel: "instagram", minimum: 1) == ["I see 2 photos"], "\(host.log)")
        let parts = try #require(openAI.requests.first?.lastParts)
        #expect(parts.filter { $0.type == "image_url" }.count == 2)

        let voice = try await Self.upload(host, channel: "instagram", MediaFixtures.mp4(milliseconds: 2_000), contentType: "video/mp4")
        try await Self.send(host, channel: "instagram", ["user": "ig-voice", "attachments": [["type": "audio", "media_id": voice]]])
        let texts = try await Self.texts(host, channel: "instagram", minimum: 2)
        #expect(texts.last?.hasPrefix("you said: ") == true && texts.last?.hasSuffix("book a table for two") == true, "\(texts)")
        #expect(host.isRunning, "the process died: \(host.log)")
    }

    @Test("a WhatsApp photo and voice note, looked up through Graph and downloaded with the token, are answered; the process stays up",
          .timeLimit(.minutes(3)))
    func whatsAppMedia() async throws {
        let openAI = try await FakeOpenAIServer.start(answer: { request in
            let images = request.lastParts?.filter { $0.type == "image_url" }.count ?? 0
            return .init(content: images > 0 ? "a photo" : "heard: \(request.lastUserText)")
        }, transcribe: { _ in .init(text: "call me back") })
        defer { Task { try? await openAI.stop() } }
        let data = makeTemporaryDirectory()
        let host = try await ChildHost.launch(configuredFor: { try Self.config(port: $0, data: data, openAI: openAI) }).host
        defer { host.terminateInBackground() }

        let photo = try await Self.upload(host, channel: "whatsapp", MediaFixtures.jpeg(width: 32, height: 32), contentType: "image/jpeg")
        try await Self.send(host, channel: "whatsapp", ["user": "15550001111", "media_id": photo, "media_type": "image"])
        #expect(try await Self.texts(host, channel: "whatsapp", minimum: 1) == ["a photo"], "\(host.log)")

        let voice = try await Self.upload(host, channel: "whatsapp", MediaFixtures.oggOpus(), contentType: "audio/ogg")
        try await Self.send(host, channel: "whatsapp", ["user": "15550002222", "media_id": voice, "media_type": "audio"])
        let texts = try await Self.texts(host, channel: "whatsapp", minimum: 2)
        #expect(texts.last?.hasPrefix("heard: ") == true && texts.last?.hasSuffix("call me back") == true, "\(texts)")
        #expect(host.isRunning, "the process died: \(host.log)")
    }

    @Test("a message the host keeps dying on is given up after max_interrupted_claims restarts: dead, one log line, an apology",
          .timeLimit(.minutes(4)))
    func poisonMessage() async throws {
        // The assistant never answers: every run of the host dies (SIGKILL) while answering.
        let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
        let openAI = try await FakeOpenAIServer.start(answer: { _ in
            arrived.yield()
            return .init(delay: .seconds(3_600), content: "never")
        })
        defer { Task { try? await openAI.stop() } }
        var arrival = arrivals.makeAsyncIterator()
        let data = makeTemporaryDirectory()
        let extra = "pipeline: { max_interrupted_claims: 1 }"
        let launched = try await ChildHost.launch(configuredFor: { try Self.config(port: $0, data: data, openAI: openAI, extra: extra) },
                                                  logLevel: "info")
        var host = launched.host
        let config = launched.config
        try await Self.send(host, channel: "instagram", ["user": "ig-poison", "text": "this one never ends"])
        for run in 1...2 {
            _ = await arrival.next()   // the answer is under way
            #expect(openAI.requests.count == run)
            await host.kill()
            host = try await ChildHost.launch(config: config, port: host.port, logLevel: "info")
        }
        defer { host.terminateInBackground() }
        // Third run: the message was in progress twice when the host died; it is given up.
        let texts = try await Self.texts(host, channel: "instagram", minimum: 1)
        #expect(texts.count == 1 && texts[0].hasPrefix("Sorry, something went wrong on my side"), "\(texts)")
        #expect(openAI.requests.count == 2, "the assistant was asked again")
        let inbox = try await CommandLineTests.run(["inbox", "list", "--config", config, "--state", "dead"])
        #expect(inbox.stdout.contains("poison message"), "\(inbox.stdout)\(inbox.stderr)")
        #expect(host.log.components(separatedBy: "giving up on a message the host stopped").count == 2, "\(host.log)")
        #expect(host.isRunning)
    }
}
