import ChannelKit
import HTTPTypes
import MetaPlatform

/// Responses of the Meta sandboxes' emulated Graph API, in Graph's wire format.
///
/// ```swift
/// return GraphSandboxReply.error(status: .unauthorized, code: 190, message: "Invalid OAuth access token")
/// return GraphSandboxReply.json(["success": true])
/// ```
public enum GraphSandboxReply {
    /// Headers of a sandbox page: inline script and style only, never in a frame, no caching,
    /// no sniffing. (The host adds `X-Frame-Options` and `Referrer-Policy` to every sandbox answer.)
    public static let pageHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .cacheControl: "no-store",
        .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        .xContentTypeOptions: "nosniff",
    ]

    /// A JSON response that is never cached.
    /// - Parameters:
    ///   - value: the body.
    ///   - status: the status, 200 by default.
    public static func json(_ value: MetaJSON, status: HTTPResponse.Status = .ok) -> SandboxResponse {
        SandboxResponse(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: value.encoded())
    }

    /// A Graph error body: `{"error":{"message","type","code","error_subcode"?,"error_data"?,"fbtrace_id"}}`.
    /// - Parameters:
    ///   - status: the HTTP status.
    ///   - code: the Graph error code.
    ///   - subcode: the error subcode, if any.
    ///   - message: Graph's message.
    ///   - details: WhatsApp's `error_data.details`, if any.
    public static func error(status: HTTPResponse.Status, code: Int, subcode: Int? = nil, message: String, details: String? = nil) -> SandboxResponse {
        var error: [MetaJSON.Member] = [
            .init("message", .string(message)),
            .init("type", "OAuthException"),
            .init("code", .integer(Int64(code))),
        ]
        if let subcode { error.append(.init("error_subcode", .integer(Int64(subcode)))) }
        if let details { error.append(.init("error_data", ["messaging_product": "whatsapp", "details": .string(details)])) }
        error.append(.init("fbtrace_id", "sandbox"))
        return json(["error": .object(error)], status: status)
    }
}
