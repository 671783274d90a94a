import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// How the admin portal and its API answer: HTML pages that are never cached or framed, and
/// JSON.
enum AdminResponses {
    /// Headers every admin answer carries.
    static func securityHeaders(contentType: String) -> HTTPFields {
        var headers: HTTPFields = [
            .contentType: contentType,
            .cacheControl: "no-store",
            .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ]
        headers.append(contentsOf: BrowserHeaders.common)
        return headers
    }

    /// An HTML page.
    static func html(_ body: String, status: HTTPResponse.Status = .ok, cookies: [Cookie] = [], extra: HTTPFields = [:]) -> Response {
        var headers = securityHeaders(contentType: "text/html; charset=utf-8")
        headers.append(contentsOf: extra)
        var response = Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }

    /// A 303 to `location`.
    static func redirect(_ location: String, cookies: [Cookie] = []) -> Response {
        var headers = securityHeaders(contentType: "text/plain; charset=utf-8")
        headers[.location] = location
        var response = Response(status: .seeOther, headers: headers)
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }

    /// A JSON answer.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, extra: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":{"code":"encoding","message":"the answer could not be encoded"}}"#.utf8)
        var headers = securityHeaders(contentType: "application/json")
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A JSON error: `{"error": {"code", "message", "problems"?}}`.
    static func jsonError(_ status: HTTPResponse.Status, code: String, message: String, problems: [String: String]? = nil,
                          extra: HTTPFields = [:]) -> Response {
        json(ErrorBody(error: .init(code: code, message: message, problems: problems)), status: status, extra: extra)
    }

    private struct ErrorBody: Encodable {
        struct Detail: Encodable {
            let code: String
            let message: String
            let problems: [String: String]?
        }
        let error: Detail
    }
}
