import ChannelKit
import Foundation
import Hummingbird
import NIOCore

// The one place where errors become HTTP statuses.

extension ChannelKit.ChannelError: HTTPResponseError {
    /// forbidden → 403, malformed → 400, too large → 413, wrong method → 405; send-side
    /// codes never reach a webhook response, and map to 502/503 if they do.
    public var status: HTTPResponse.Status {
        switch code {
        case .forbidden: .forbidden
        case .malformedPayload: .badRequest
        case .payloadTooLarge: .contentTooLarge
        case .methodNotAllowed: .methodNotAllowed
        case .misconfigured, .unauthorized: .serviceUnavailable
        case .transient, .permanent: .badGateway
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        // The message is for the operator's log; the caller learns only the code.
        ErrorBody.response(status: status, code: code.rawValue, message: code == .forbidden ? "forbidden" : message)
    }
}

/// The host could not record a delivery (store unavailable, shutting down): 503, so the
/// platform delivers it again later.
struct IntakeUnavailable: HTTPResponseError {
    let reason: String
    var status: HTTPResponse.Status { .serviceUnavailable }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = ErrorBody.response(status: status, code: "unavailable", message: reason)
        response.headers[.retryAfter] = "5"
        return response
    }
}

/// The store failed (unreachable, full, …): 503, so that the platform delivers again later and
/// the portal's user tries again. The details are for the operator's log.
extension StoreError: HTTPResponseError {
    public var status: HTTPResponse.Status { .serviceUnavailable }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = ErrorBody.response(status: status, code: "store_unavailable", message: "the store is unavailable; try again shortly")
        response.headers[.retryAfter] = "5"
        return response
    }
}

/// `{"error":{"code":…,"message":…}}` bodies.
enum ErrorBody {
    static func response(status: HTTPResponse.Status, code: String, message: String) -> Response {
        let object = ["error": ["code": code, "message": message]]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
