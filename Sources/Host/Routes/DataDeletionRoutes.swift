import ChannelKit
import Foundation
import Hummingbird
import Logging
import MetaPlatform
import NIOCore

/// Meta's app-review callbacks:
/// - `POST /api/meta/data-deletion` — the data deletion request callback: the form field
///   `signed_request`, verified with the app secret of any served channel that has one; the
///   user id is erased on every channel of that app secret, and the answer is
///   `{"url": <status page>, "confirmation_code": <code>}`.
/// - `POST /api/meta/deauthorize` — the deauthorize callback: the same erasure, answered 200.
/// - `GET /api/meta/data-deletion/status?code=<code>` — the status page the person is sent to.
///
/// A body that is not a valid `signed_request` answers 400 and erases nothing; bodies are
/// capped like webhooks; while the host shuts down the callbacks answer 503.
struct DataDeletionRoutes {
    let supervisor: ChannelSupervisor
    let erasure: PersonErasure
    let store: any PrivacyStore
    let status: ChannelStatusBoard
    /// `admin.public_base_url`: where the status page is, when set.
    let publicBaseURL: String
    /// `host:port` the server listens on, for a request that names no host.
    let fallbackHost: String

    static let deletionPath = "/api/meta/data-deletion"
    static let deauthorizePath = "/api/meta/deauthorize"
    static let statusPath = "/api/meta/data-deletion/status"
    /// The largest callback body read (a webhook's default cap).
    static let maxBodyBytes = ChannelConfiguration.defaultMaxBodyBytes

    func register(on router: Router<HostRequestContext>) {
        router.post("api/meta/data-deletion") { request, context in
            let record = try await erase(request, context: context, source: .dataDeletion)
            let url = request.publicBaseURL(configured: publicBaseURL, fallbackHost: fallbackHost) + Self.statusPath + "?code=" + record.confirmationCode
            let data = try JSONSerialization.data(withJSONObject: ["url": url, "confirmation_code": record.confirmationCode],
                                                  options: [.sortedKeys, .withoutEscapingSlashes])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.post("api/meta/deauthorize") { request, context in
            _ = try await erase(request, context: context, source: .deauthorize)
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "OK")))
        }
        router.get("api/meta/data-deletion/status") { request, _ in
            let code = request.uri.queryParameters.get("code") ?? ""
            let record = code.isEmpty ? nil : try await store.erasure(confirmationCode: code)
            let page = DataDeletionStatusPage.render(record)
            // A page for people's browsers: not framed, not sniffed, its URL (the code) not
            // handed on in Referer; its inline style is all it loads.
            var headers: HTTPFields = [.contentType: "text/html; charset=utf-8",
                                       .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"]
            BrowserHeaders.secure(&headers)
            return Response(status: record == nil ? .notFound : .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
        }
    }

    /// Reads, verifies and carries out one callback.
    private func erase(_ request: Request, context: HostRequestContext, source: PersonErasure.Source) async throws -> ErasureRecord {
        var logger = context.logger
        logger[metadataKey: "callback"] = "\(source.rawValue)"
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > Self.maxBodyBytes {
            throw ChannelKit.ChannelError(.payloadTooLarge, "body over \(Self.maxBodyBytes) bytes")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw ChannelKit.ChannelError(.payloadTooLarge, "body over \(Self.maxBodyBytes) bytes")
        }
        guard let value = AdminForm(body: Array(buffer: body))?["signed_request"], !value.isEmpty else {
            logger.warning("Meta callback without a signed_request field")
            throw ChannelKit.ChannelError(.malformedPayload, "the form field signed_request is missing")
        }
        let appChannels = appSecrets()
        let signed: MetaSignedRequest
        do {
            signed = try MetaSignedRequest.verify(value, secrets: Array(appChannels.keys).sorted())
        } catch let refusal as MetaSignedRequest.Refusal {
            logger.warning("Meta callback refused", metadata: ["reason": "\(refusal.message)"])
            throw ChannelKit.ChannelError(.malformedPayload, "signed_request refused: \(refusal.message)")
        }
        guard status.intakeOpen else { throw IntakeUnavailable(reason: "shutting down; try again later") }
        let channels = appChannels[signed.secret] ?? []
        do {
            return try await erasure.erase(userID: signed.userID, channels: channels, source: source, logger: logger)
        } catch {
            logger.error("the erasure could not be recorded", metadata: ["error": "\(error)"])
            throw IntakeUnavailable(reason: "the erasure could not be recorded; try again later")
        }
    }

    /// The app secrets of the served channels, each with the channels that use it.
    private func appSecrets() -> [String: [String]] {
        var bySecret: [String: [String]] = [:]
        for mounted in supervisor.all {
            let secret = mounted.configuration.settings.string("app_secret").trimmingCharacters(in: .whitespaces)
            guard !secret.isEmpty else { continue }
            bySecret[secret, default: []].append(mounted.configuration.name)
        }
        return bySecret
    }
}
