import AsyncHTTPClient
import ChannelKit
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1

/// ChannelKit's ``HTTPTransport`` on the host's one AsyncHTTPClient.
///
/// The client is built for outbound API calls: a 5-second connect timeout, a read timeout and
/// no redirects (the media fetcher follows them itself, checking each hop); each request also
/// carries a total timeout, covering the body, and a response-size cap enforced while the body
/// streams.
struct AsyncHTTPTransport: HTTPTransport {
    let client: HTTPClient

    /// The client configuration the host uses.
    static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(30))
        )
        configuration.decompression = .disabled
        configuration.connectionPool = .init(idleTimeout: .seconds(60))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    func execute(_ request: OutboundHTTPRequest) async throws -> OutboundHTTPResponse {
        // AsyncHTTPClient's deadline covers the response head only; the body is read under
        // the same deadline here, so a server that trickles bytes cannot hold a request open.
        do {
            return try await withDeadline(request.timeout) { try await perform(request) }
        } catch is DeadlineExceeded {
            throw HTTPTransportError(.timeout, "no complete response within \(request.timeout)")
        }
    }

    private func perform(_ request: OutboundHTTPRequest) async throws -> OutboundHTTPResponse {
        var outbound = HTTPClientRequest(url: request.url)
        outbound.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers {
            outbound.headers.add(name: field.name.rawName, value: field.value)
        }
        if let body = request.body {
            outbound.body = .bytes(ByteBuffer(bytes: body))
        }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(request.timeout.components.seconds) * 1_000_000_000
            + Int64(request.timeout.components.attoseconds / 1_000_000_000))
        do {
            let response = try await client.execute(outbound, deadline: deadline)
            // Capped while streaming: a declared length over the cap fails before the body is
            // read, and an undeclared one as soon as the bytes read pass the cap.
            let body = try await response.body.collect(upTo: request.maxResponseBytes)
            var headers = HTTPFields()
            for header in response.headers {
                if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
            }
            return OutboundHTTPResponse(status: HTTPResponse.Status(code: Int(response.status.code)), headers: headers,
                                        body: Array(buffer: body))
        } catch is NIOTooManyBytesError {
            throw HTTPTransportError(.responseTooLarge, "response body over \(request.maxResponseBytes) bytes")
        } catch let error as HTTPClientError {
            let timeouts: [HTTPClientError] = [.deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout,
                                               .tlsHandshakeTimeout, .getConnectionFromPoolTimeout]
            if timeouts.contains(error) {
                throw HTTPTransportError(.timeout, "no response within \(request.timeout)")
            }
            if error == .invalidURL || error == .emptyHost || error == .emptyScheme {
                throw HTTPTransportError(.invalidURL, "the URL cannot be used")
            }
            throw HTTPTransportError(.connectionFailed, error.shortDescription)
        } catch let error as HTTPTransportError {
            throw error
        } catch {
            throw HTTPTransportError(.connectionFailed, TransportFailureDescription.describe(error))
        }
    }
}
