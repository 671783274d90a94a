import ChannelKit
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `/admin/api`: the admin portal's operations as JSON, for automation, with
/// `Authorization: Bearer <admin.api_token>`.
///
/// | Route | What |
/// |-------|------|
/// | `GET /admin/api/channels` | Every channel's report (state, counts, settings and their origins; secrets as set/not set). |
/// | `GET /admin/api/channels/<name>` | One channel's report. |
/// | `PATCH /admin/api/channels/<name>/settings` | `{"values": {"access_token": "…"}, "reset": ["api_version"]}`: saved and applied at once. |
/// | `POST /admin/api/channels/<name>/test` | Test connection: `{"ok", "account", "account_id"}` or `{"ok": false, "error", "meaning"}`. |
/// | `POST /admin/api/channels/<name>/subscribe` | Subscribe the app to the account's webhooks: `{"ok", "account", "fields"}` or `{"ok": false, "error", "meaning"}`. |
/// | `GET /admin/api/identities` | The most recent identity links. |
/// | `DELETE /admin/api/identities/<channel>/<user id>` | Unlinks one. |
/// | `GET /admin/api/conversations` | Conversations where Sandra is quiet (paused, another app owns the thread) or a person waits for a person, then the most recent others. |
/// | `POST /admin/api/conversations/resume` | `{"channel", "account_id", "user_id"}`: Sandra answers there again from the next message. |
/// | `POST /admin/api/conversations/pause` | `{"channel", "account_id", "user_id", "minutes"}`: Sandra stays quiet there that long. |
/// | `POST /admin/api/conversations/control` | `{"channel", "account_id", "user_id"}`: asks the platform for a thread another app owns (Conversation Routing): `{"outcome": "taken" or "requested"}`. |
///
/// Errors are `{"error": {"code", "message", "problems"?}}`. Wrong tokens count towards the
/// same per-address lockout as wrong passwords.
struct AdminAPIRoutes {
    let service: AdminService
    let sessions: AdminSessions

    /// The largest request body accepted.
    static let maxBodyBytes = 64 << 10

    func register(on router: Router<HostRequestContext>) {
        router.get("admin/api/channels") { request, context in
            try await authorized(request, context) {
                AdminResponses.json(["channels": try await service.reports(baseURL: service.baseURL(for: request))])
            }
        }
        router.get("admin/api/channels/{name}") { request, context in
            try await authorized(request, context) {
                let name = try context.parameters.require("name")
                guard let report = try await service.report(name, baseURL: service.baseURL(for: request)) else {
                    return AdminResponses.jsonError(.notFound, code: "not_found", message: "no channel named '\(name)'")
                }
                return AdminResponses.json(report)
            }
        }
        router.patch("admin/api/channels/{name}/settings") { request, context in
            try await authorized(request, context) {
                try await saveSettings(request, context: context)
            }
        }
        router.post("admin/api/channels/{name}/test") { request, context in
            try await authorized(request, context) {
                let name = try context.parameters.require("name")
                guard let test = await service.testConnection(name, logger: context.logger) else {
                    return AdminResponses.jsonError(.notFound, code: "not_found", message: "no channel named '\(name)'")
                }
                return AdminResponses.json(test)
            }
        }
        router.post("admin/api/channels/{name}/subscribe") { request, context in
            try await authorized(request, context) {
                let name = try context.parameters.require("name")
                guard let subscription = await service.subscribeWebhooks(name, logger: context.logger) else {
                    return AdminResponses.jsonError(.notFound, code: "not_found", message: "no channel named '\(name)'")
                }
                return AdminResponses.json(subscription)
            }
        }
        router.get("admin/api/identities") { request, context in
            try await authorized(request, context) {
                AdminResponses.json(["links": try await service.links()])
            }
        }
        router.get("admin/api/conversations") { request, context in
            try await authorized(request, context) {
                AdminResponses.json(["conversations": try await service.conversations()])
            }
        }
        router.post("admin/api/conversations/resume") { request, context in
            try await authorized(request, context) {
                try await conversationChange(request, context) { conversation, _ in
                    AdminResponses.json(["resumed": try await service.resume(conversation)])
                }
            }
        }
        router.post("admin/api/conversations/pause") { request, context in
            try await authorized(request, context) {
                try await conversationChange(request, context) { conversation, minutes in
                    guard let minutes, (1...(30 * 24 * 60)).contains(minutes) else {
                        return AdminResponses.jsonError(.badRequest, code: "malformed", message: "minutes must be from 1 to 43200")
                    }
                    try await service.pause(conversation, minutes: minutes)
                    return AdminResponses.json(["paused": true])
                }
            }
        }
        router.post("admin/api/conversations/control") { request, context in
            try await authorized(request, context) {
                try await conversationChange(request, context) { conversation, _ in
                    do {
                        return AdminResponses.json(["outcome": try await service.requestControl(conversation).rawValue])
                    } catch AdminService.ControlRefusal.noChannel {
                        return AdminResponses.jsonError(.notFound, code: "not_found", message: "no channel named '\(conversation.channel)'")
                    } catch AdminService.ControlRefusal.unsupported {
                        return AdminResponses.jsonError(.conflict, code: "unsupported", message: "the channel's platform routes no conversations between apps")
                    } catch let error as ChannelKit.ChannelError {
                        return AdminResponses.jsonError(.badGateway, code: "platform_refused", message: error.message)
                    }
                }
            }
        }
        router.delete("admin/api/identities/{channel}/{user}") { request, context in
            try await authorized(request, context) {
                let channel = try context.parameters.require("channel")
                let user = try context.parameters.require("user")
                guard try await service.unlink(channel: channel, userID: user) else {
                    return AdminResponses.jsonError(.notFound, code: "not_found", message: "that identity is not linked")
                }
                return AdminResponses.json(["unlinked": true])
            }
        }
    }

    /// The body of `POST /admin/api/conversations/…`.
    private struct ConversationChange: Decodable {
        var channel: String
        var accountID: String
        var userID: String
        var minutes: Int?

        enum CodingKeys: String, CodingKey {
            case channel, accountID = "account_id", userID = "user_id", minutes
        }
    }

    private func conversationChange(_ request: Request, _ context: HostRequestContext,
                                    _ apply: (ConversationKey, Int?) async throws -> Response) async throws -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return AdminResponses.jsonError(.contentTooLarge, code: "too_large", message: "body over \(Self.maxBodyBytes) bytes")
        }
        guard let change = try? JSONDecoder().decode(ConversationChange.self, from: Data(body.readableBytesView)),
              !change.channel.isEmpty, !change.accountID.isEmpty, !change.userID.isEmpty else {
            return AdminResponses.jsonError(.badRequest, code: "malformed",
                                            message: "expected {\"channel\", \"account_id\", \"user_id\"} (and \"minutes\" to pause)")
        }
        return try await apply(ConversationKey(channel: change.channel, accountID: change.accountID, userID: change.userID), change.minutes)
    }

    /// The body of `PATCH …/settings`.
    private struct SettingsChange: Decodable {
        var values: [String: SettingText]?
        var reset: [String]?
    }

    /// A setting's value as JSON gives it: a string, or a number or boolean taken as the text
    /// it would have in `channels.yaml` (`1000`, `true`), so numbers need no quotes.
    private struct SettingText: Decodable {
        var text: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let string = try? container.decode(String.self) {
                text = string
            } else if let bool = try? container.decode(Bool.self) {
                text = bool ? "true" : "false"
            } else if let integer = try? container.decode(Int64.self) {
                text = String(integer)
            } else if let number = try? container.decode(Double.self), number.isFinite {
                text = String(number)
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "a setting is a string, a number or a boolean")
            }
        }
    }

    private func saveSettings(_ request: Request, context: HostRequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return AdminResponses.jsonError(.contentTooLarge, code: "too_large", message: "body over \(Self.maxBodyBytes) bytes")
        }
        let body: SettingsChange
        do {
            body = try JSONDecoder().decode(SettingsChange.self, from: Data(buffer.readableBytesView))
        } catch {
            return AdminResponses.jsonError(.badRequest, code: "malformed",
                                            message: #"expected {"values": {"key": "value" or a number or a boolean}, "reset": ["key"]}"#)
        }
        do {
            let outcome = try await service.runtime.supervisor.reconfigure(
                name, ChannelSupervisor.Change(values: (body.values ?? [:]).mapValues(\.text), reset: Set(body.reset ?? [])))
            guard let report = try await service.report(name, baseURL: service.baseURL(for: request)) else {
                return AdminResponses.jsonError(.notFound, code: "not_found", message: "no channel named '\(name)'")
            }
            return AdminResponses.json(SavedReport(changed: outcome.changedKeys, channel: report))
        } catch let refusal as ChannelSupervisor.Refusal {
            let code = switch refusal.status {
            case 404: "not_found"
            case 409: "busy"
            case 503: "store_unavailable"
            default: "invalid"
            }
            return AdminResponses.jsonError(HTTPResponse.Status(code: refusal.status), code: code,
                                            message: refusal.problems[""] ?? "some settings are not valid",
                                            problems: refusal.problems.filter { !$0.key.isEmpty })
        }
    }

    private struct SavedReport: Encodable {
        let changed: [String]
        let channel: AdminChannelReport
    }

    /// Runs `body` when the request carries the API token.
    private func authorized(_ request: Request, _ context: HostRequestContext,
                            _ body: () async throws -> Response) async throws -> Response {
        guard sessions.apiEnabled else {
            return AdminResponses.jsonError(.notFound, code: "api_disabled", message: "the admin API is off: set admin.api_token")
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            return AdminResponses.jsonError(.unauthorized, code: "unauthorized", message: "send Authorization: Bearer <admin.api_token>",
                                            extra: [.wwwAuthenticate: "Bearer"])
        }
        let client = sessions.clients.address(of: request, context: context)
        switch try await sessions.authorizeAPI(token: String(header.dropFirst("Bearer ".count)), client: client) {
        case .success:
            return try await body()
        case .wrongPassword:
            context.logger.warning("admin API call refused: wrong token", metadata: ["client": "\(client)"])
            return AdminResponses.jsonError(.unauthorized, code: "unauthorized", message: "wrong token", extra: [.wwwAuthenticate: "Bearer"])
        case .lockedOut(let until):
            return AdminResponses.jsonError(.tooManyRequests, code: "locked_out",
                                            message: "too many failed attempts; try again after \(SettingOrigin.format(until))",
                                            extra: [.retryAfter: AdminSessions.retryAfter(until)])
        }
    }
}
