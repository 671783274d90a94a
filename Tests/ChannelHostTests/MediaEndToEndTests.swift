import ChannelKit
import ChannelKitTesting
import ChannelMedia
import Foundation
import Testing
@testable import ChannelHost

/// Photos and voice messages through the real host: signed Instagram webhooks whose
/// attachments point at a local CDN (or at the sandbox's own), the real media fetcher, and a
/// local OpenAI-compatible server that checks the exact request shapes.
@Suite("Media end to end", .serialized)
struct MediaEndToEndTests {
    static func yaml(assistant: String = "type: echo", transcription: String = "type: none", channel: [String] = []) -> String {
        let extra = channel.map { "\n    " + $0 }.joined()
        return """
        server:
          host: 127.0.0.1
          port: {{PORT}}
          shutdown_timeout_seconds: 5
        storage:
          path: {{DATA}}/sandra.sqlite
        assistant:
          \(assistant.replacingOccurrences(of: "\n", with: "\n  "))
        transcription:
          \(transcription.replacingOccurrences(of: "\n", with: "\n  "))
        pipeline:
          send_attempts: 3
        channels:
          instagram:
            type: instagram
            sandbox: true
            app_secret: \(InstagramFixtures.appSecret)
            verify_token: \(InstagramFixtures.verifyToken)
            access_token: \(InstagramFixtures.accessToken)\(extra)
        """
    }

    static func openAI(_ server: FakeOpenAIServer, vision: String = "vision-model") -> String {
        "type: openai\nbase_url: \(server.baseURL)\nmodel: text-model\nvision_model: \(vision)\napi_key: sk-chat"
    }

    static func whisper(_ server: FakeOpenAIServer) -> String {
        "type: openai\nbase_url: \(server.baseURL)/v1/\napi_key: sk-whisper\nmodel: whisper-large-v3\nlanguage: en\ntimeout_seconds: 5"
    }

    static func send(_ host: TestHost, _ messages: [InstagramFixtures.Message]) async throws {
        let reply = try await EndToEndTests.post(host, body: InstagramFixtures.body(messages))
        #expect(reply.status == 200)
        await host.waitUntilIdle()
    }

    static func message(_ sender: String, _ mid: String, text: String? = nil, _ attachments: [(type: String, url: String)],
                        at offset: Int64 = 0) -> InstagramFixtures.Message {
        InstagramFixtures.Message(sender: sender, mid: mid, text: text, timestamp: InstagramFixtures.baseMs + offset, attachments: attachments)
    }

    static func texts(_ host: TestHost, to recipient: String) async throws -> [String] {
        try await EndToEndTests.outbox(host).filter { $0.recipient == recipient }.compactMap(\.text)
    }

    /// What a vision model would say about the images of a request: their types and sizes,
    /// read from the data URLs it received.
    static func describeImages(_ request: FakeOpenAIServer.Received) -> String {
        let images = (request.lastParts ?? []).compactMap(\.imageURL).map { url -> String in
            guard let comma = url.firstIndex(of: ","), let data = Data(base64Encoded: String(url[url.index(after: comma)...])),
                  let format = MediaSniffer.format(of: Array(data))
            else { return "unreadable" }
            let size = MediaSniffer.pixelSize(of: Array(data), format: format).map { "\($0.width)x\($0.height)" } ?? "?"
            return "a \(size) \(format.displayName)"
        }
        return images.isEmpty ? "re: \(request.lastUserText)" : "I see " + images.joined(separator: " and ")
    }

    @Test("a photo goes to the vision model as a base64 image part after its text; the answer depends on the image")
    func photo() async throws {
        let cdn = try await FakeMediaServer.start()
        let openAI = try await FakeOpenAIServer.start { .init(content: Self.describeImages($0)) }
        defer { Task { try? await cdn.stop(); try? await openAI.stop() } }
        let png = MediaFixtures.png(width: 3, height: 2)
        cdn.add("photo", .init(contentType: "image/jpeg", bytes: png))   // the header lies; the bytes decide
        try await withHost(yaml: Self.yaml(assistant: Self.openAI(openAI), channel: ["media_allow_http_hosts: [\"\(cdn.hostPort)\"]"])) { host in
            try await Self.send(host, [Self.message("u-photo", "m.photo.1", text: "what colour is this?", [("image", cdn.url("photo"))])])
            #expect(try await Self.texts(host, to: "u-photo") == ["I see a 3x2 PNG"])

            let request = try #require(openAI.requests.first)
            #expect(request.model == "vision-model")
            #expect(request.authorization == "Bearer sk-chat")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
            let messages = try #require(body["messages"] as? [[String: Any]])
            let last = try #require(messages.last)
            #expect(last["role"] as? String == "user")
            let parts = try #require(last["content"] as? [[String: Any]])
            #expect(parts.count == 2)
            #expect(parts.first?["type"] as? String == "text")
            #expect(parts.first?["text"] as? String == "what colour is this?")
            #expect(parts.last?["type"] as? String == "image_url")
            #expect((parts.last?["image_url"] as? [String: Any])?["url"] as? String == "data:image/png;base64," + Data(png).base64EncodedString())

            // The next turn is text: the chat model, and the history notes the image, never its bytes.
            try await Self.send(host, [InstagramFixtures.Message(sender: "u-photo", mid: "m.photo.2", text: "thanks", timestamp: InstagramFixtures.baseMs + 100)])
            let next = try #require(openAI.requests.last)
            #expect(next.model == "text-model")
            #expect(next.lastParts == nil)
            #expect(next.messages.contains { $0.role == "user" && $0.content == "what colour is this?\n[image: image/png, 3×2, \(png.count) bytes]" })
            #expect(!String(decoding: next.body, as: UTF8.self).contains(Data(png).base64EncodedString()))
        }
    }

    @Test("every image of a multi-image message is passed, in order")
    func multipleImages() async throws {
        let cdn = try await FakeMediaServer.start()
        let openAI = try await FakeOpenAIServer.start { .init(content: Self.describeImages($0)) }
        defer { Task { try? await cdn.stop(); try? await openAI.stop() } }
        cdn.add("a", .init(contentType: "image/png", bytes: MediaFixtures.png(width: 4, height: 4)))
        cdn.add("b", .init(contentType: "image/jpeg", bytes: MediaFixtures.jpeg(width: 1080, height: 1350)))
        cdn.add("c", .init(contentType: "image/webp", bytes: MediaFixtures.webp(width: 5, height: 7)))
        try await withHost(yaml: Self.yaml(assistant: Self.openAI(openAI), channel: ["media_allow_http_hosts: \(cdn.hostPort)"])) { host in
            try await Self.send(host, [Self.message("u-multi", "m.multi.1", [("image", cdn.url("a")), ("image", cdn.url("b")), ("image", cdn.url("c"))])])
            #expect(try await Self.texts(host, to: "u-multi") == ["I see a 4x4 PNG and a 1080x1350 JPEG and a 5x7 WebP"])
            let parts = try #require(openAI.requests.first?.lastParts)
            #expect(parts.map(\.type) == ["text", "image_url", "image_url", "image_url"])
            #expect(parts.first?.text == "[The person sent 3 images]")
        }
    }

    @Test("a voice note served as video/mp4 is uploaded from memory as voice.m4a, audio/mp4, and answered like text")
    func voiceNote() async throws {
        let cdn = try await FakeMediaServer.start()
        let voice = MediaFixtures.mp4(milliseconds: 4_200, payloadBytes: 20_000)
        let openAI = try await FakeOpenAIServer.start(answer: { request in
            .init(content: request.lastUserText.contains("opening hours") ? "We open at **9**." : "pardon?")
        }, transcribe: { request in
            .init(text: request.file?.content == voice ? "What are your opening hours?" : "(other audio)")
        })
        defer { Task { try? await cdn.stop(); try? await openAI.stop() } }
        cdn.add("voice", .init(contentType: "video/mp4", bytes: voice))
        let yaml = Self.yaml(assistant: Self.openAI(openAI), transcription: Self.whisper(openAI), channel: ["media_allow_http_hosts: \(cdn.hostPort)"])
        try await withHost(yaml: yaml) { host in
            try await Self.send(host, [Self.message("u-voice", "m.voice.1", [("audio", cdn.url("voice"))])])
            #expect(try await Self.texts(host, to: "u-voice") == ["We open at 9."])

            let upload = try #require(openAI.transcriptionRequests.first)
            #expect(openAI.transcriptionRequests.count == 1)
            #expect(upload.authorization == "Bearer sk-whisper")
            #expect(upload.contentType?.hasPrefix("multipart/form-data; boundary=") == true)
            let parts = try #require(upload.parts)
            #expect(parts.map(\.name) == ["file", "model", "language", "response_format"])
            let file = try #require(upload.file)
            #expect(file.filename == "voice.m4a")
            #expect(file.contentType == "audio/mp4")
            #expect(file.content == voice)
            #expect(upload.field("model") == "whisper-large-v3")
            #expect(upload.field("language") == "en")
            #expect(upload.field("response_format") == "json")

            let chat = try #require(openAI.requests.first)
            #expect(chat.model == "text-model")
            #expect(chat.lastParts == nil)
            #expect(chat.lastUserText == "[Voice message, transcribed]: What are your opening hours?")
        }
    }

    @Test("the sender's next message waits for the transcript; later turns see transcripts and image notes")
    func orderAndMemory() async throws {
        let cdn = try await FakeMediaServer.start()
        let voice = MediaFixtures.mp4(milliseconds: 1_500)
        let openAI = try await FakeOpenAIServer.start(answer: { request in
            .init(content: "answer \(request.messages.filter { $0.role == "user" }.count)")
        }, transcribe: { _ in
            // A slow provider: the text sent right after the voice note must still come second.
            try? await Task.sleep(for: .milliseconds(300))
            return .init(text: "Is the terrace open?")
        })
        defer { Task { try? await cdn.stop(); try? await openAI.stop() } }
        cdn.add("voice", .init(contentType: "video/mp4", bytes: voice))
        cdn.add("photo", .init(contentType: "image/png", bytes: MediaFixtures.png(width: 2, height: 2)))
        let yaml = Self.yaml(assistant: Self.openAI(openAI), transcription: Self.whisper(openAI), channel: ["media_allow_http_hosts: \(cdn.hostPort)"])
        try await withHost(yaml: yaml) { host in
            try await Self.send(host, [
                Self.message("u-order", "m.order.1", [("image", cdn.url("photo"))], at: 0),
                Self.message("u-order", "m.order.2", [("audio", cdn.url("voice"))], at: 1),
                Self.message("u-order", "m.order.3", text: "and on sundays?", [], at: 2),
            ])
            #expect(try await Self.texts(host, to: "u-order") == ["answer 1", "answer 2", "answer 3"])
            let last = try #require(openAI.requests.last)
            let users = last.messages.filter { $0.role == "user" }.map(\.content)
            #expect(users.count == 3)
            #expect(users[0].hasPrefix("[image: image/png, 2×2, "))
            #expect(users[1] == "[voice message, transcribed] Is the terrace open?")
            #expect(users[2] == "and on sundays?")
        }
    }

    @Test("photos and voice messages that cannot be used get a friendly reply, never silence")
    func friendlyReplies() async throws {
        let cdn = try await FakeMediaServer.start()
        let openAI = try await FakeOpenAIServer.start { _ in .init(content: "the assistant should not be asked") }
        defer { Task { try? await cdn.stop(); try? await openAI.stop() } }
        cdn.add("big", .init(contentType: "image/jpeg", bytes: MediaFixtures.jpeg(filler: 150_000)))
        cdn.add("heic", .init(contentType: "image/jpeg", bytes: MediaFixtures.heic()))
        cdn.add("page", .init(contentType: "image/jpeg", bytes: Array("<html>Log in to continue</html>".utf8)))
        cdn.add("voice", .init(contentType: "video/mp4", bytes: MediaFixtures.mp4()))
        let yaml = Self.yaml(assistant: Self.openAI(openAI), channel: ["media_allow_http_hosts: \(cdn.hostPort)", "media_max_bytes: 100000"])
        let cases: [(String, (type: String, url: String), String)] = [
            ("u-big", ("image", cdn.url("big")), "That photo is too large for me to open (the limit is 98 KB). Could you send a smaller one?"),
            ("u-gone", ("image", cdn.url("expired")), "I couldn't open your photo: the link to it has expired. Could you send it again?"),
            ("u-heic", ("image", cdn.url("heic")), "I can't read HEIC pictures yet. Could you send it as a JPEG or PNG?"),
            ("u-page", ("image", cdn.url("page")), "I can't open that kind of file as a picture. Could you send a JPEG or PNG?"),
            ("u-evil", ("image", "https://evil.example.com/photo.jpg"), "I couldn't download your photo just now. Could you send it again?"),
            ("u-metadata", ("image", "http://169.254.169.254/latest/meta-data/"), "I couldn't download your photo just now. Could you send it again?"),
            ("u-voice", ("audio", cdn.url("voice")), "I can't listen to voice messages yet. Could you type your message instead?"),
        ]
        try await withHost(yaml: yaml) { host in
            try await Self.send(host, cases.enumerated().map { index, item in
                Self.message(item.0, "m.friendly.\(index)", [item.1], at: Int64(index))
            })
            for (sender, _, expected) in cases {
                #expect(try await Self.texts(host, to: sender) == [expected], "\(sender)")
            }
            #expect(openAI.requests.isEmpty)
            // The voice message was not even downloaded: nothing could transcribe it.
            #expect(!cdn.requests.contains { $0.path == "/file/voice" })

            // With text, the friendly word comes first and the rest is still answered.
            try await Self.send(host, [Self.message("u-mixed", "m.friendly.mixed", text: "here's my receipt", [("image", cdn.url("expired"))], at: 99)])
            #expect(try await Self.texts(host, to: "u-mixed") == [
                "I couldn't open your photo: the link to it has expired. Could you send it again?\n\nthe assistant should not be asked",
            ])
            #expect(openAI.requests.first?.lastUserText == "here's my receipt\n[image not opened: the link expired]")
        }
    }

    @Test("a failed transcription asks the person to type, without asking the assistant")
    func transcriptionFails() async throws {
        let cdn = try await FakeMediaServer.start()
        let openAI = try await FakeOpenAIServer.start(answer: { _ in .init(content: "unexpected") },
                                                      transcribe: { _ in .init(status: 500, text: "model overloaded") })
        defer { Task { try? await cdn.stop(); try? await openAI.stop() } }
        cdn.add("voice", .init(contentType: "audio/ogg", bytes: MediaFixtures.oggOpus()))
        let yaml = Self.yaml(assistant: Self.openAI(openAI), transcription: Self.whisper(openAI), channel: ["media_allow_http_hosts: \(cdn.hostPort)"])
        try await withHost(yaml: yaml) { host in
            try await Self.send(host, [Self.message("u-mumble", "m.mumble.1", [("audio", cdn.url("voice"))])])
            #expect(try await Self.texts(host, to: "u-mumble") == ["I couldn't make out your voice message. Could you type it instead?"])
            #expect(openAI.transcriptionRequests.first?.file?.filename == "voice.ogg")
            #expect(openAI.transcriptionRequests.first?.file?.contentType == "audio/ogg")
            #expect(openAI.requests.isEmpty)
        }
    }

    // MARK: The sandbox

    /// Uploads a file to the sandbox's emulated CDN and sends it as the user; returns the page's thread afterwards.
    static func sandboxSend(_ host: TestHost, user: String, file: [UInt8], contentType: String, type: String,
                            text: String? = nil) async throws {
        let upload = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/media",
                                                headers: ["Content-Type": contentType], body: file)
        #expect(upload.status == 200, "\(upload.text)")
        let id = try #require((try upload.json() as? [String: Any])?["id"] as? String)
        var body: [String: Any] = ["user": user, "attachments": [["type": type, "media_id": id]]]
        if let text { body["text"] = text }
        let send = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/send",
                                              headers: ["Content-Type": "application/json"],
                                              body: Array(try JSONSerialization.data(withJSONObject: body)))
        #expect(send.status == 200)
        #expect((try send.json() as? [String: Any])?["status"] as? Int == 200)
        await host.waitUntilIdle()
    }

    static func sandboxReplies(_ host: TestHost, user: String) async throws -> [String] {
        let messages = try await TestHTTP.get("\(host.baseURL)/sandbox/instagram/api/messages?user=\(user)&after=0")
        let list = try #require((try messages.json() as? [String: Any])?["messages"] as? [[String: Any]])
        return list.filter { $0["direction"] as? String == "out" && $0["kind"] as? String == "text" }.compactMap { $0["text"] as? String }
    }

    @Test("in the sandbox, the echo assistant reports an attached photo's type and size and a voice note's labelled transcript")
    func sandboxEcho() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let png = MediaFixtures.png(width: 3, height: 2)
            try await Self.sandboxSend(host, user: "page-photo", file: png, contentType: "image/png", type: "image", text: "my cat")
            let photoReply = try #require(try await Self.sandboxReplies(host, user: "page-photo").first)
            #expect(photoReply.contains("You said: my cat"))
            #expect(photoReply.contains("• image: image/png, 3×2 px, \(png.count) bytes"))

            try await Self.sandboxSend(host, user: "page-voice", file: MediaFixtures.mp4(milliseconds: 2_500), contentType: "video/mp4", type: "audio")
            let voiceReply = try #require(try await Self.sandboxReplies(host, user: "page-voice").first)
            #expect(voiceReply.contains("• voice message, transcribed: “[echo transcriber: no speech recognition configured] audio/mp4, 2.5 s, 4 KB”"),
                    "\(voiceReply)")

            // The page shows what the person attached.
            let thread = try await TestHTTP.get("\(host.baseURL)/sandbox/instagram/api/messages?user=page-voice&after=0")
            #expect(thread.text.contains("audio: video/mp4, 4 KB"))
        }
    }

    @Test("the sandbox takes uploads up to 32 MiB and other requests up to 1 MiB; a photo over the 25 MB cap gets the friendly reply")
    func sandboxLimits() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let big = MediaFixtures.jpeg(width: 4000, height: 3000, filler: 26 << 20)
            try await Self.sandboxSend(host, user: "page-big", file: big, contentType: "image/jpeg", type: "image")
            #expect(try await Self.sandboxReplies(host, user: "page-big") == [
                "That photo is too large for me to open (the limit is 25 MB). Could you send a smaller one?",
            ])
            let tooBig = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/media",
                                                    headers: ["Content-Type": "image/jpeg"], body: [UInt8](repeating: 0, count: (32 << 20) + 1))
            #expect(tooBig.status == 413)
            let bigSend = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/send",
                                                     headers: ["Content-Type": "application/json"], body: [UInt8](repeating: 0x20, count: (1 << 20) + 1))
            #expect(bigSend.status == 413)
        }
    }

    @Test("in the sandbox with a provider, a photo and an audio file each get an answer that depends on their content")
    func sandboxWithProvider() async throws {
        let voice = MediaFixtures.wav(milliseconds: 800)
        let openAI = try await FakeOpenAIServer.start(answer: { request in
            request.lastParts != nil ? .init(content: Self.describeImages(request)) : .init(content: "You asked: \(request.lastUserText)")
        }, transcribe: { request in
            .init(text: request.file?.content == voice ? "Where is the station?" : "something else")
        })
        defer { Task { try? await openAI.stop() } }
        try await withHost(yaml: Self.yaml(assistant: Self.openAI(openAI), transcription: Self.whisper(openAI))) { host in
            try await Self.sandboxSend(host, user: "page-a", file: MediaFixtures.gif(width: 12, height: 5), contentType: "image/gif", type: "image")
            #expect(try await Self.sandboxReplies(host, user: "page-a") == ["I see a 12x5 GIF"])
            try await Self.sandboxSend(host, user: "page-b", file: voice, contentType: "audio/wav", type: "audio")
            #expect(try await Self.sandboxReplies(host, user: "page-b") == ["You asked: [Voice message, transcribed]: Where is the station?"])
            #expect(openAI.transcriptionRequests.first?.file?.filename == "voice.wav")
        }
    }
}
