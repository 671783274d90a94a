import ChannelKit
import Foundation
import HTTPTypes
import MetaPlatform

extension GraphEmulator {
    /// A Graph call the way Graph takes it: the injected delay, then (on whichever emulator
    /// serves now) an injected failure, the bearer check, and the call itself.
    func graphCall(_ request: SandboxRequest, _ call: () -> Result<MetaJSON, SandboxRefusal>) async -> SandboxResponse {
        if faults.delay > .zero { try? await Task.sleep(for: faults.delay) }
        if let successor { return await successor.handle(request) }
        if let injected = faults.nextFailure() { return injected }
        guard bearerToken(request) == emulation.credentials.accessToken else {
            return GraphSandboxReply.error(status: .unauthorized, code: 190, message: "Invalid OAuth access token - Cannot parse access token")
        }
        switch call() {
        case .success(let answer): return GraphSandboxReply.json(answer)
        case .failure(let refusal): return refusal.response
        }
    }

    /// The token of `Authorization: Bearer …`, or the `access_token` query parameter.
    func bearerToken(_ request: SandboxRequest) -> String? {
        request.headers[.authorization].flatMap { value -> String? in
            value.hasPrefix("Bearer ") ? String(value.dropFirst("Bearer ".count)) : nil
        } ?? request.query["access_token"]
    }

    /// `POST /graph/<version>/<target>/messages`: the description checks the body; the
    /// emulator numbers and keeps what it accepted, with the raw request.
    func graphSend(_ request: SandboxRequest, target: String, path: String) -> Result<MetaJSON, SandboxRefusal> {
        guard let body = try? MetaJSON.decode(request.body), body.objectValue != nil else {
            return .failure(.graph("(#100) The request body is not a JSON object"))
        }
        let call = GraphSendCall(target: target, body: body, messageID: emulation.sentMessageIDPrefix + String(sentCount + 1),
                                 senders: senders, injectedTextLimit: faults.maxTextLength)
        let record: GraphSendRecord
        do {
            record = try emulation.send(call)
        } catch {
            return .failure(error)
        }
        let time = nowMillis
        if record.isMessage {
            sentCount += 1
            waiters.recorded()
        }
        let raw = SandboxEntry.raw(method: "POST", path: path, body: request.body)
        records.appendOutbox(.object([.init("seq", .integer(Int64(records.nextSequence())))] + record.outbox + [.init("time", .integer(time))]))
        if !record.recipient.isEmpty {
            for var entry in record.entries {
                entry.time = time
                entry.raw = raw
                records.record(entry, for: record.recipient)
            }
        }
        return .success(record.answer)
    }

    // MARK: The CDN

    /// Keeps an uploaded file in memory, forgetting the oldest ones beyond the bounds.
    func upload(_ request: SandboxRequest) -> SandboxResponse {
        guard !request.body.isEmpty, request.body.count <= media.policy.uploadLimit else {
            return GraphSandboxReply.json(["error": .string("upload a non-empty file of at most \(MediaData.sizeText(media.policy.uploadLimit))")],
                                          status: .badRequest)
        }
        let id = media.add(request.body, contentType: request.query["mime_type"] ?? request.headers[.contentType])
        var answer: [MetaJSON.Member] = [
            .init("id", .string(id)),
            .init("sha256", .string(MediaURLSigner.hex(media.items[id]?.sha256 ?? []))),
            .init("bytes", .integer(Int64(request.body.count))),
        ]
        if case .openURL = media.policy.access { answer.append(.init("url", .string(mountURL + "/media/" + id))) }
        return GraphSandboxReply.json(.object(answer))
    }

    /// `GET /graph/<version>/<media-id>` (``EmulatedMediaPolicy/Access/graphLookup(lifetime:)``):
    /// a download URL that expires, as Graph answers it.
    func mediaLookup(_ request: SandboxRequest, id: String) -> SandboxResponse {
        guard case .graphLookup(let lifetime) = media.policy.access else {
            return GraphSandboxReply.json(["error": "not found"], status: .notFound)
        }
        guard bearerToken(request) == emulation.credentials.accessToken else {
            return GraphSandboxReply.error(status: .unauthorized, code: 190, message: "Invalid OAuth access token - Cannot parse access token")
        }
        guard let item = media.items[id] else {
            return GraphSandboxReply.error(status: .badRequest, code: 100, subcode: 33,
                                           message: "Unsupported get request. Object with ID '\(id.prefix(40))' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
        }
        let expires = Int64(now().timeIntervalSince1970 + lifetime)
        var answer: [MetaJSON.Member] = emulation.messagingProduct.map { [.init("messaging_product", .string($0))] } ?? []
        answer += [
            .init("url", .string("\(mountURL)/media/\(id)?expires=\(expires)&sig=\(signer.signature(id, expires))")),
            .init("mime_type", .string(item.contentType)), .init("sha256", .string(MediaURLSigner.hex(item.sha256))),
            .init("file_size", .integer(Int64(item.bytes.count))), .init("id", .string(id)),
        ]
        return GraphSandboxReply.json(.object(answer))
    }

    /// `GET /media/<id>`: the file, served the way a CDN does and never as active content;
    /// 404 once forgotten or, for signed URLs, expired.
    func download(_ request: SandboxRequest, id: String) -> SandboxResponse {
        if case .graphLookup = media.policy.access {
            guard bearerToken(request) == emulation.credentials.accessToken else {
                return GraphSandboxReply.error(status: .unauthorized, code: 190,
                                               message: "Invalid OAuth access token - the media URL needs the bearer token")
            }
            guard let expires = request.query["expires"].flatMap({ Int64($0) }), let sig = request.query["sig"],
                  signer.isValid(sig, id, expires), Double(expires) >= now().timeIntervalSince1970
            else {
                return SandboxResponse(status: .notFound, headers: [.contentType: "text/plain"], body: Array("URL expired or unknown".utf8))
            }
        }
        guard let item = media.items[id] else {
            return SandboxResponse(status: .notFound, headers: [.contentType: "text/plain"], body: Array("URL signature expired".utf8))
        }
        return GraphSandboxReply.media(item.bytes, declaredType: item.contentType)
    }
}
