import ChannelKit
import Foundation
import HTTPTypes
import Logging
import MetaPlatform

extension GraphEmulator {
    /// The longest text a person may type into the emulator, in UTF-8 bytes.
    public static let personTextLimit = 10_000

    /// `POST /api/send` and `POST /api/status`: the description builds the delivery, the
    /// emulator records it with its raw request and posts it to the channel's webhook.
    func personAction(_ request: SandboxRequest,
                      _ build: (MetaJSON, PersonContext) throws(SandboxRefusal) -> EmulatedDelivery) async -> SandboxResponse {
        guard let body = try? MetaJSON.decode(request.body), body.objectValue != nil else {
            return GraphSandboxReply.json(["error": "body must be a JSON object {\"user\",\"text\"}"], status: .badRequest)
        }
        if let text = body["text"]?.stringValue, text.utf8.count > Self.personTextLimit {
            return GraphSandboxReply.json(["error": .string("text must be at most \(Self.personTextLimit) bytes")], status: .badRequest)
        }
        let base = mountURL + "/media/"
        let context = PersonContext(now: now(), media: media.items, mediaURL: { base + $0 })
        let delivery: EmulatedDelivery
        do {
            delivery = try build(body, context)
        } catch {
            return error.response
        }
        let webhookBody = delivery.payload.encoded(style: .metaWebhook)
        var entry = delivery.entry
        entry.time = nowMillis
        entry.raw = SandboxEntry.raw(method: "POST", path: webhookPath, body: webhookBody)
        if entry.direction == .inbound, let id = entry.messageID { senders[id] = delivery.user }
        records.record(entry, for: delivery.user)

        let (code, error) = await postWebhook(webhookBody)
        var reply: [MetaJSON.Member] = [.init("status", .integer(Int64(code)))] + delivery.answer
        if let error { reply.append(.init("error", .string(error))) }
        return GraphSandboxReply.json(.object(reply))
    }

    /// Signs a delivery the way Meta does and posts it to the channel's webhook route.
    /// - Returns: the HTTP status (0 when it could not be delivered) and why it failed.
    private func postWebhook(_ webhookBody: [UInt8]) async -> (code: Int, error: String?) {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.userAgent] = "Sandra-\(emulation.page.platform)-Sandbox"
        headers[MetaSignature.headerName] = MetaSignature.sign(body: webhookBody, secret: emulation.credentials.appSecret)
        let webhook = OutboundHTTPRequest(method: .post, url: webhookURL, headers: headers, body: webhookBody,
                                          timeout: .seconds(15), maxResponseBytes: 64 * 1024)
        do {
            let response = try await http.execute(webhook)
            if response.status.kind != .successful {
                logger.warning("sandbox webhook was refused", metadata: ["http.status": "\(response.status.code)"])
            }
            return (response.status.code, nil)
        } catch {
            logger.warning("sandbox webhook could not be delivered", metadata: ["error": "\(error)"])
            return (0, "webhook delivery failed: \(error)")
        }
    }
}
