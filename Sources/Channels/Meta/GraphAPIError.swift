import ChannelKit
import Foundation
import HTTPTypes

/// An error body from Meta's Graph API, and its meaning for a sender.
///
/// Graph answers failures with
/// `{"error":{"message","type","code","error_subcode","fbtrace_id","is_transient"}}`.
/// ``classify(status:headers:body:redacting:)`` turns a failed response into a
/// ``ChannelError`` the outbox understands: `.transient` (retry, maybe after a delay),
/// `.unauthorized` (the token is bad: pause until fixed) or `.permanent` (never retry).
///
/// ```swift
/// guard response.status.kind == .successful else {
///     throw GraphAPIError.classify(status: response.status, headers: response.headers,
///                                  body: response.body, redacting: [accessToken])
/// }
/// ```
public struct GraphAPIError: Sendable, Hashable {
    /// Graph's message for developers (never shown to users).
    public var message: String?
    /// The error type (`OAuthException`, `GraphMethodException`, …).
    public var type: String?
    /// The error code (`190`, `10`, `100`, …).
    public var code: Int?
    /// The error subcode (`2534022`, …).
    public var subcode: Int?
    /// Meta's trace id, for support requests.
    public var fbtraceID: String?
    /// Whether Graph says the failure is temporary.
    public var isTransient: Bool?

    /// Creates an error.
    public init(message: String? = nil, type: String? = nil, code: Int? = nil, subcode: Int? = nil,
                fbtraceID: String? = nil, isTransient: Bool? = nil) {
        self.message = message
        self.type = type
        self.code = code
        self.subcode = subcode
        self.fbtraceID = fbtraceID
        self.isTransient = isTransient
    }

    // MARK: Parsing

    /// Reads a Graph error body.
    /// - Parameter body: the response body.
    /// - Returns: the error, or `nil` when the body is not JSON with an `error` object.
    public static func parse(_ body: [UInt8]) -> GraphAPIError? {
        guard let json = try? MetaJSON.decode(body), let error = json["error"], error.objectValue != nil else {
            return nil
        }
        return GraphAPIError(
            message: error["message"]?.stringValue,
            type: error["type"]?.stringValue,
            code: error["code"]?.integerValue.flatMap { Int(exactly: $0) },
            subcode: error["error_subcode"]?.integerValue.flatMap { Int(exactly: $0) },
            fbtraceID: error["fbtrace_id"]?.stringValue,
            isTransient: error["is_transient"]?.boolValue
        )
    }

    // MARK: Classification

    /// Codes Graph uses for failures that pass: unknown/temporary errors and throttling
    /// (1, 2, 4 app limit, 17 user limit, 32 page limit, 613 custom rate limit).
    public static let transientCodes: Set<Int> = [1, 2, 4, 17, 32, 613]
    /// WhatsApp Cloud API codes for failures that pass, whatever the HTTP status: 130429
    /// (throughput exceeded), 131056 (too many messages to one user), 131057 (number under
    /// maintenance), 131000 (unknown error, "try again"), 131016 and 133004 (service
    /// temporarily unavailable), 80007 (account rate limit).
    public static let whatsAppTransientCodes: Set<Int> = [130429, 131056, 131057, 131000, 131016, 133004, 80007]
    /// Codes that mean the access token was refused (190 invalid or expired token, 102 session).
    public static let unauthorizedCodes: Set<Int> = [190, 102]
    /// Codes that never pass by retrying (10 policy/window, 100 parameters, 200 permissions,
    /// 551 user unavailable).
    public static let permanentCodes: Set<Int> = [10, 100, 200, 551]
    /// WhatsApp codes for a parameter of the message refused: 131008 (required parameter
    /// missing) and 131009 (parameter value not valid).
    public static let whatsAppInvalidParameterCodes: Set<Int> = [131008, 131009]
    /// Subcodes of code 100 that still mean the message's content was refused (2534015,
    /// "invalid message data"); code 100's other subcodes are about the recipient, an object,
    /// a permission or media (2018001 no matching user, 33 no such object, …).
    public static let contentSubcodes: Set<Int> = [2534015]

    /// Whether the error refuses a parameter of the message itself — code 100 with no subcode
    /// (Graph's "(#100) Invalid parameter", which is what a text over the limit gets) or with
    /// one of ``contentSubcodes``, or one of ``whatsAppInvalidParameterCodes`` — so that a
    /// smaller message may pass where this one did not.
    public var isInvalidParameter: Bool {
        guard let code else { return false }
        if code == 100 { return subcode.map(Self.contentSubcodes.contains) ?? true }
        return Self.whatsAppInvalidParameterCodes.contains(code)
    }
    /// WhatsApp Cloud API codes that never pass by retrying, whatever the HTTP status: 131008
    /// (required parameter missing), 131009 (parameter value not valid), 131026 (message
    /// undeliverable), 131030 (recipient not in the test number's allowed list), 131031 (business
    /// account locked), 131047 (more than 24 hours since the person last wrote), 131051
    /// (unsupported message type), 131062 (a business-scoped user id cannot receive this kind of
    /// message: send it to the phone number).
    public static let whatsAppPermanentCodes: Set<Int> = [131008, 131009, 131026, 131030, 131031, 131047, 131051, 131062]

    /// What this error means for a send, given the HTTP response it came with.
    ///
    /// In order: codes 190 and 102 are `.unauthorized`; `is_transient: true`, codes 1, 2,
    /// 4, 17, 32 and 613 and WhatsApp's ``whatsAppTransientCodes`` are `.transient`; codes 10 (outside the window, user unavailable),
    /// 100, 200 and 551 and WhatsApp's ``whatsAppPermanentCodes`` are `.permanent`; otherwise HTTP 429 and 5xx are `.transient`, HTTP 401
    /// is `.unauthorized`, and anything else is `.permanent`. A `.permanent` error says whether
    /// it refused the message itself (``isInvalidParameter``). A transient error carries the
    /// `Retry-After` delay (in seconds) when the response had one.
    /// - Parameters:
    ///   - status: the HTTP status.
    ///   - headers: the response headers (for `Retry-After`).
    ///   - redacting: secrets that must not appear in the error's message (the access token).
    /// - Returns: the channel error.
    public func channelError(status: HTTPResponse.Status, headers: HTTPFields = [:], redacting secrets: [String] = []) -> ChannelError {
        let retryAfter = Self.retryAfter(headers)
        let text = description(status: status, redacting: secrets)
        if let code, Self.unauthorizedCodes.contains(code) {
            return .unauthorized(text, platformCode: code, platformSubcode: subcode)
        }
        if isTransient == true || code.map(Self.transientCodes.contains) == true || code.map(Self.whatsAppTransientCodes.contains) == true {
            return .transient(text, platformCode: code, platformSubcode: subcode, retryAfter: retryAfter)
        }
        if let code {
            // 10 (outside the window, user unavailable), 100 (parameters), 200 (permissions),
            // 551 (user unavailable): the same request fails the same way. An unknown code is
            // judged by the HTTP status: the server's own failure passes, the request's does not.
            let knownPermanent = Self.permanentCodes.contains(code) || Self.whatsAppPermanentCodes.contains(code)
            if !knownPermanent, status.code == 429 || status.code >= 500 {
                return .transient(text, platformCode: code, platformSubcode: subcode, retryAfter: retryAfter)
            }
            return .permanent(text, platformCode: code, platformSubcode: subcode, isInvalidParameter: isInvalidParameter)
        }
        return Self.classify(status: status, retryAfter: retryAfter, message: text)
    }

    /// Classifies a failed Graph response.
    /// - Parameters:
    ///   - status: the HTTP status (not 2xx).
    ///   - headers: the response headers (for `Retry-After`).
    ///   - body: the response body, a Graph error or anything else.
    ///   - secrets: strings that must not appear in the error's message (the access token).
    /// - Returns: the channel error to throw.
    public static func classify(status: HTTPResponse.Status, headers: HTTPFields, body: [UInt8], redacting secrets: [String] = []) -> ChannelError {
        if let error = parse(body) {
            return error.channelError(status: status, headers: headers, redacting: secrets)
        }
        return classify(status: status, retryAfter: retryAfter(headers), message: "Graph API answered HTTP \(status.code) without an error body")
    }

    /// Classifies a request that got no response.
    ///
    /// Timeouts and broken connections are `.transient`; an unusable URL is `.misconfigured`;
    /// an oversized response is `.permanent` (the request may have been carried out, and
    /// repeating it could send a message twice). Task cancellation is passed through.
    /// - Parameter error: what the transport threw.
    /// - Returns: the error to throw.
    public static func classify(transportError error: any Error) -> any Error {
        if error is CancellationError || error is ChannelError { return error }
        guard let transport = error as? HTTPTransportError else {
            return ChannelError.transient("Graph API request failed: \(Swift.type(of: error))")
        }
        switch transport.code {
        case .timeout: return ChannelError.transient("Graph API request timed out")
        case .connectionFailed: return ChannelError.transient("Graph API connection failed: \(transport.message)")
        case .invalidURL: return ChannelError(.misconfigured, "Graph API URL is not usable; check graph_api_base_url")
        case .responseTooLarge: return ChannelError.permanent("Graph API response exceeded the size cap")
        }
    }

    // MARK: Helpers

    private static func classify(status: HTTPResponse.Status, retryAfter: Duration?, message: String) -> ChannelError {
        switch status.code {
        case 429, 500...599: .transient(message, retryAfter: retryAfter)
        case 401: .unauthorized(message)
        default: .permanent(message)
        }
    }

    /// How long to wait before retrying: the `Retry-After` header (whole seconds), or the
    /// longest `estimated_time_to_regain_access` (minutes) in Meta's usage headers
    /// (`X-Business-Use-Case-Usage`, `X-App-Usage`, `X-Ad-Account-Usage`), whichever is longer.
    static func retryAfter(_ headers: HTTPFields) -> Duration? {
        var seconds: Int?
        if let value = headers[.retryAfter]?.trimmingSpaces, let parsed = Int(value), parsed >= 0 {
            seconds = parsed
        }
        for name in usageHeaders {
            guard let value = headers[name], let minutes = longestRegainTime(in: value), minutes > 0 else { continue }
            seconds = max(seconds ?? 0, minutes * 60)
        }
        return seconds.map { .seconds(min($0, 86_400)) }
    }

    static let usageHeaders: [HTTPField.Name] = ["X-Business-Use-Case-Usage", "X-App-Usage", "X-Ad-Account-Usage"]
        .compactMap { HTTPField.Name($0) }

    /// The largest `estimated_time_to_regain_access` anywhere in a usage header's JSON.
    static func longestRegainTime(in header: String) -> Int? {
        guard let json = try? MetaJSON.decode(Array(header.utf8)) else { return nil }
        var longest: Int?
        func visit(_ value: MetaJSON) {
            if let members = value.objectValue {
                for member in members {
                    if member.key == "estimated_time_to_regain_access", let minutes = member.value.integerValue {
                        longest = max(longest ?? 0, Int(minutes))
                    } else {
                        visit(member.value)
                    }
                }
            } else if let elements = value.arrayValue {
                elements.forEach(visit)
            }
        }
        visit(json)
        return longest
    }

    private func description(status: HTTPResponse.Status, redacting secrets: [String]) -> String {
        var text = "Graph API error"
        if let code {
            text += " \(code)"
            if let subcode { text += "/\(subcode)" }
        }
        if let type { text += " \(type)" }
        text += " (HTTP \(status.code))"
        if let message, !message.isEmpty { text += ": " + Self.redact(String(message.prefix(300)), secrets) }
        if let fbtraceID { text += " [fbtrace_id \(Self.redact(String(fbtraceID.prefix(64)), secrets))]" }
        return text
    }

    static func redact(_ text: String, _ secrets: [String]) -> String {
        var result = text
        for secret in secrets where secret.count >= 4 {
            result = result.replacingAll(secret, with: "[redacted]")
        }
        return result
    }
}

extension String {
    fileprivate var trimmingSpaces: String { trimmingCharacters(in: .whitespaces) }

    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        replacingOccurrences(of: target, with: replacement)
    }
}
