import ChannelKit
import ChannelKitTesting
import Foundation
import HTTPTypes
import InstagramChannel
import MetaPlatform
import Sandbox
import Testing

/// The sandbox's emulated CDN: uploads kept in memory and bounded, served with the type they
/// came with, and sent as real Instagram attachments whose URLs point at them.
@Suite("Instagram emulator media")
struct InstagramEmulationMediaTests {
    static let policy = InstagramEmulation(settings: ChannelSettings([:])).media

    static func upload(_ sandbox: GraphEmulator, _ bytes: [UInt8], contentType: String) async -> SandboxResponse {
        await sandbox.handle(SandboxRequest(method: .post, path: "/api/media", headers: [.contentType: contentType], body: bytes))
    }

    @Test("an uploaded file is served back byte for byte with the type it came with; an unknown id is an expired link")
    func uploadAndServe() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel()
        let voice = MediaFixtures.mp4()
        let response = await Self.upload(sandbox, voice, contentType: "video/mp4")
        #expect(response.status == .ok)
        let result = try MetaJSON.decode(response.body)
        let id = try #require(result["id"]?.stringValue)
        #expect(result["url"]?.stringValue == "\(localBaseURL)/sandbox/instagram/media/\(id)")
        #expect(result["bytes"]?.integerValue == Int64(voice.count))

        let served = await sandbox.handle(SandboxRequest(method: .get, path: "/media/\(id)"))
        #expect(served.status == .ok)
        #expect(served.body == voice)
        #expect(served.headers[.contentType] == "video/mp4")
        #expect(await sandbox.handle(SandboxRequest(method: .get, path: "/media/not-an-id")).status == .notFound)
        #expect(await Self.upload(sandbox, [], contentType: "image/png").status == .badRequest)
    }

    @Test("uploads are bounded: the oldest are forgotten past the count and memory limits; the route takes large bodies")
    func bounded() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel()
        var ids: [String] = []
        for _ in 0..<(Self.policy.countLimit + 3) {
            let response = await Self.upload(sandbox, MediaFixtures.png(), contentType: "image/png")
            ids.append(try #require(try MetaJSON.decode(response.body)["id"]?.stringValue))
        }
        for (index, id) in ids.enumerated() {
            let status = await sandbox.handle(SandboxRequest(method: .get, path: "/media/\(id)")).status
            #expect(status == (index < 3 ? .notFound : .ok), "upload \(index)")
        }
        // Three files of a third of the memory limit plus a byte exceed it: every small one and
        // the oldest large one are forgotten.
        let big = [UInt8](repeating: 7, count: Self.policy.memoryLimit / 3 + 1)
        var bigIDs: [String] = []
        for _ in 0..<3 {
            let response = await Self.upload(sandbox, big, contentType: "image/jpeg")
            #expect(response.status == .ok)
            bigIDs.append(try #require(try MetaJSON.decode(response.body)["id"]?.stringValue))
        }
        #expect(await sandbox.handle(SandboxRequest(method: .get, path: "/media/\(ids.last!)")).status == .notFound)
        #expect(await sandbox.handle(SandboxRequest(method: .get, path: "/media/\(bigIDs[0])")).status == .notFound)
        #expect(await sandbox.handle(SandboxRequest(method: .get, path: "/media/\(bigIDs[1])")).body == big)
        #expect(await sandbox.handle(SandboxRequest(method: .get, path: "/media/\(bigIDs[2])")).status == .ok)
        let tooBig = [UInt8](repeating: 1, count: Self.policy.uploadLimit + 1)
        #expect(await Self.upload(sandbox, tooBig, contentType: "image/jpeg").status == .badRequest)
        #expect(sandbox.maxRequestBytes(for: "/api/media") == Self.policy.uploadLimit)
        #expect(sandbox.maxRequestBytes(for: "/api/send") == 1 << 20)
    }

    @Test("a message with attachments becomes a signed webhook whose attachments point at the uploads")
    func attachmentsInTheWebhook() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel()
        let photo = try #require(try MetaJSON.decode(await Self.upload(sandbox, MediaFixtures.png(), contentType: "image/png").body)["id"]?.stringValue)
        let voice = try #require(try MetaJSON.decode(await Self.upload(sandbox, MediaFixtures.mp4(), contentType: "video/mp4").body)["id"]?.stringValue)
        let body = #"{"user":"42","attachments":[{"type":"image","media_id":"\#(photo)"},{"type":"audio","media_id":"\#(voice)"}]}"#
        let response = await InstagramEmulationTests.post(sandbox, "/api/send", body)
        #expect(response.status == .ok)
        #expect(try InstagramEmulationTests.json(response)["status"]?.integerValue == 200)

        let events = try #require(harness.outcomes.first.flatMap { outcome -> [InboundEvent]? in
            if case .events(let events) = outcome { return events }
            return nil
        })
        guard case .message(let message) = events.first?.kind else { Issue.record("not a message"); return }
        #expect(message.text == nil)
        #expect(message.attachments.map(\.kind) == [.image, .audio])
        #expect(message.attachments.map(\.url) == ["\(localBaseURL)/sandbox/instagram/media/\(photo)", "\(localBaseURL)/sandbox/instagram/media/\(voice)"])

        let thread = try InstagramEmulationTests.json(await InstagramEmulationTests.get(sandbox, "/api/messages", query: ["user": "42"]))
        let labels = thread["messages"]?.arrayValue?.first?["attachments"]?.arrayValue?.compactMap(\.stringValue)
        #expect(labels == ["image: image/png, \(MediaFixtures.png().count) bytes", "audio: video/mp4, 4 KB"])
    }

    @Test("attachments must name uploaded files of type image or audio; a message needs text or an attachment")
    func badAttachments() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel()
        let id = try #require(try MetaJSON.decode(await Self.upload(sandbox, MediaFixtures.png(), contentType: "image/png").body)["id"]?.stringValue)
        for body in [
            #"{"user":"1","attachments":[{"type":"image","media_id":"unknown"}]}"#,
            #"{"user":"1","attachments":[{"type":"video","media_id":"\#(id)"}]}"#,
            #"{"user":"1","attachments":{"type":"image"}}"#,
            #"{"user":"1","attachments":[]}"#,
            #"{"user":"1"}"#,
        ] {
            #expect(await InstagramEmulationTests.post(sandbox, "/api/send", body).status == .badRequest, "\(body)")
        }
        #expect(harness.webhookBodies.isEmpty)
    }

    @Test("the page offers a photo or audio attachment and shows what was attached, as text")
    func pageAttaches() async throws {
        let harness = SandboxHarness()
        let (_, sandbox) = try harness.makeChannel()
        let html = String(decoding: await InstagramEmulationTests.get(sandbox, "/").body, as: UTF8.self)
        #expect(html.contains(#"<input type="file" id="file" accept="image/*,audio/*">"#))
        #expect(html.contains("api/media"))
        #expect(html.contains("attachments"))
        #expect(!html.contains("innerHTML"))
    }
}
