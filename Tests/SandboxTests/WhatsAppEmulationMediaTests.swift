import ChannelKit
import ChannelKitTesting
import ChannelMedia
import Crypto
import Foundation
import HTTPTypes
import MetaPlatform
import Sandbox
import Testing
import WhatsAppChannel

/// The two-step media download against the sandbox's emulated Graph API, in process.
@Suite("WhatsApp emulator media")
struct WhatsAppEmulationMediaTests {
    static let bytes: [UInt8] = Array("OggS fake opus voice note bytes ".utf8) + (0..<2000).map { UInt8($0 % 251) }

    func upload(_ sandbox: any ChannelSandbox, _ bytes: [UInt8] = bytes) async throws -> String {
        let reply = try await sandboxCall(sandbox, .post, "/api/media", query: ["mime_type": "audio/ogg; codecs=opus"], body: bytes)
        #expect(reply.status == 200)
        return try #require(reply.json?["id"]?.stringValue)
    }

    @Test("lookup, then the URL with the bearer token; the sha256 matches")
    func download() async throws {
        let (channel, sandbox) = try sandboxChannel()
        let whatsapp = try #require(channel as? WhatsAppChannel)
        let id = try await upload(sandbox)
        let attachment = Attachment(kind: .audio, platformType: "voice", mediaID: id, mimeType: "audio/ogg; codecs=opus")
        let location = try await whatsapp.mediaLocation(for: attachment, logger: testLogger)
        #expect(location.fileSize == Self.bytes.count)
        #expect(location.mimeType == "audio/ogg; codecs=opus")
        #expect(location.request.headers[.authorization] == "Bearer sandbox-access-token")
        #expect(location.request.maxResponseBytes == WhatsAppChannel.defaultMediaByteLimit)

        let request = try await whatsapp.mediaRequest(for: attachment, logger: testLogger)
        #expect(request.url.hasPrefix("\(localBaseURL)/sandbox/whatsapp/media/\(id)?"))
        let downloaded = try await whatsapp.downloadMedia(for: attachment, logger: testLogger)
        #expect(downloaded.bytes == Self.bytes)
        #expect(downloaded.mimeType == "audio/ogg; codecs=opus")
        #expect(location.verify(Self.bytes))
        var tampered = Self.bytes
        tampered[7] ^= 1
        #expect(!location.verify(tampered))
    }

    @Test("the pipeline fetches the looked-up URL with the bearer token and checks the announced sha256 and size")
    func pipelineSource() async throws {
        let (channel, sandbox) = try sandboxChannel()
        let id = try await upload(sandbox)
        let attachment = Attachment(kind: .audio, platformType: "voice", mediaID: id, mimeType: "audio/ogg; codecs=opus")
        let source = try #require(try await channel.mediaSource(for: attachment, logger: testLogger))
        #expect(source.url.hasPrefix("\(localBaseURL)/sandbox/whatsapp/media/\(id)?"))
        #expect(source.headers[.authorization] == "Bearer sandbox-access-token")
        #expect(source.expectedSHA256 == Array(SHA256.hash(data: Self.bytes)))
        #expect(source.expectedByteCount == Self.bytes.count)

        let loopback = SandboxLoopback(name: "whatsapp")
        loopback.attach(channel, sandbox)
        let fetcher = MediaFetcher(http: loopback, timers: TestThreads.timers)
        let policy = MediaPolicy(plainHTTPHosts: ["127.0.0.1:8080"])
        #expect(try await fetcher.fetch(source, policy: policy).bytes == Self.bytes)

        var tampered = source
        tampered.expectedSHA256?[0] ^= 1
        do {
            _ = try await fetcher.fetch(tampered, policy: policy)
            Issue.record("bytes that do not match the announced sha256 were taken")
        } catch {
            #expect(error.code == .integrityMismatch)
        }
        // Without the bearer token (and without the renewal, which would bring it back).
        var anonymous = source
        anonymous.headers = [:]
        anonymous.renew = nil
        do {
            _ = try await fetcher.fetch(anonymous, policy: policy)
            Issue.record("the download without the bearer token succeeded")
        } catch {
            #expect(error.httpStatus == 401)
        }
        let unknown = await channelError {
            _ = try await channel.mediaSource(for: Attachment(kind: .image, platformType: "image", mediaID: "123"), logger: testLogger)
        }
        #expect(unknown?.code == .permanent)
    }

    @Test("a download URL the CDN no longer honours (404) is looked up again by media id, once, and the fresh URL fetched")
    func expiredURLIsRenewed() async throws {
        let (channel, sandbox) = try sandboxChannel()
        let id = try await upload(sandbox)
        let attachment = Attachment(kind: .audio, platformType: "voice", mediaID: id, mimeType: "audio/ogg; codecs=opus")
        var source = try #require(try await channel.mediaSource(for: attachment, logger: testLogger))
        // The URL as it is once its signature no longer holds: the sandbox CDN answers 404,
        // as Meta's does for an expired link.
        var components = try #require(URLComponents(string: source.url))
        components.queryItems = components.queryItems?.map { $0.name == "sig" ? URLQueryItem(name: "sig", value: String(repeating: "0", count: 64)) : $0 }
        source.url = try #require(components.string)

        let loopback = SandboxLoopback(name: "whatsapp")
        loopback.attach(channel, sandbox)
        let fetcher = MediaFetcher(http: loopback, timers: TestThreads.timers)
        let policy = MediaPolicy(plainHTTPHosts: ["127.0.0.1:8080"])
        #expect(try await fetcher.fetch(source, policy: policy).bytes == Self.bytes)

        // Without the renewal the same link is simply unavailable.
        var stale = source
        stale.renew = nil
        do {
            _ = try await fetcher.fetch(stale, policy: policy)
            Issue.record("the expired link was fetched")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.httpStatus == 404)
        }
    }

    @Test("the download URL needs the bearer token")
    func bearerRequired() async throws {
        let (channel, sandbox) = try sandboxChannel()
        let whatsapp = try #require(channel as? WhatsAppChannel)
        let id = try await upload(sandbox)
        var request = try await whatsapp.mediaRequest(for: Attachment(kind: .audio, platformType: "audio", mediaID: id), logger: testLogger)
        request.headers[.authorization] = nil
        let url = try #require(URLComponents(string: request.url))
        var query: [String: String] = [:]
        for item in url.queryItems ?? [] { query[item.name] = item.value }
        let anonymous = try await sandboxCall(sandbox, .get, "/media/\(id)", query: query)
        #expect(anonymous.status == 401)
        let forged = try await sandboxCall(sandbox, .get, "/media/\(id)", query: ["expires": query["expires"] ?? "", "sig": String(repeating: "0", count: 64)],
                                           headers: [.authorization: "Bearer sandbox-access-token"])
        #expect(forged.status == 404)
    }

    @Test("an uploaded page is downloaded as inert bytes, never as HTML; a real voice note keeps its type")
    func inertDownload() async throws {
        let (channel, sandbox) = try sandboxChannel()
        let whatsapp = try #require(channel as? WhatsAppChannel)
        let page = Array("<!doctype html><script>alert(document.cookie)</script>".utf8)
        let uploaded = try await sandboxCall(sandbox, .post, "/api/media", query: ["mime_type": "text/html"], body: page)
        let pageID = try #require(uploaded.json?["id"]?.stringValue)
        for (id, bytes, served) in [(pageID, page, "application/octet-stream"), (try await upload(sandbox), Self.bytes, "audio/ogg; codecs=opus")] {
            let request = try await whatsapp.mediaRequest(for: Attachment(kind: .audio, platformType: "audio", mediaID: id), logger: testLogger)
            var query: [String: String] = [:]
            for item in try #require(URLComponents(string: request.url)).queryItems ?? [] { query[item.name] = item.value }
            let response = await sandbox.handle(SandboxRequest(method: .get, path: "/media/\(id)", query: query,
                                                               headers: [.authorization: "Bearer sandbox-access-token"]))
            #expect(response.status == .ok)
            #expect(response.body == bytes)
            #expect(response.headers[.contentType] == served)
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            #expect(response.headers[.contentDisposition] == "attachment")
            #expect(response.headers[.contentSecurityPolicy] == "default-src 'none'; sandbox")
        }
    }

    @Test("media over the limit is refused at the lookup; an unknown media id is a permanent failure")
    func limits() async throws {
        let (channel, sandbox) = try sandboxChannel()
        let whatsapp = try #require(channel as? WhatsAppChannel)
        let id = try await upload(sandbox)
        let tooBig = await channelError {
            _ = try await whatsapp.mediaLocation(for: Attachment(kind: .audio, platformType: "audio", mediaID: id), maxBytes: 100, logger: testLogger)
        }
        #expect(tooBig?.code == .permanent)
        let unknown = await channelError {
            _ = try await whatsapp.downloadMedia(for: Attachment(kind: .image, platformType: "image", mediaID: "123"), logger: testLogger)
        }
        #expect(unknown?.code == .permanent)
        let noID = await channelError {
            _ = try await whatsapp.mediaLocation(for: Attachment(kind: .image, platformType: "image", url: "https://x"), logger: testLogger)
        }
        #expect(noID?.code == .permanent)
    }
}
