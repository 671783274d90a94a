import AsyncHTTPClient
import ChannelConcurrency
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
///
/// A request with a ``OutboundHTTPRequest/connectAddress`` goes through a client of its own
/// whose `dnsOverride` maps the URL's host to that address: AsyncHTTPClient then connects to
/// the address without resolving the name, and still sends the name as `Host`, as TLS server
/// name and for certificate verification. Such requests are media downloads, a few per
/// message, so the cost of a client (and a connection) each is small.
struct AsyncHTTPTransport: HTTPTransport {
    let client: HTTPClient
    /// The process's timer thread, for each request's deadline.
    let timers: TimerThread

    /// The client configuration the host uses.
    static func configuration() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(30))
        )
        configuration.decompression = .disabled
        // No tracer: AsyncHTTPClient otherwise takes the process's (a no-op one unless tracing
        // is bootstrapped) and still builds each request's span attributes, parsing its URL
        // again: about 50,000 instructions per Graph call.
        configuration.tracing.tracer = nil
        configuration.connectionPool = .init(idleTimeout: .seconds(60))
        return configuration
    }

    /// The client the host uses.
    static func makeClient() -> HTTPClient {
        HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration())
    }

    func execute(_ request: OutboundHTTPRequest) async throws -> OutboundHTTPResponse {
        // AsyncHTTPClient's deadline covers the response head only; the body is read under
        // the same deadline here, so a server that trickles bytes cannot hold a request open.
        do {
            return try await withDeadline(request.timeout, timers: timers) { try await pinnedOrShared(request) }
        } catch is DeadlineExceeded {
            throw HTTPTransportError(.timeout, "no complete response within \(request.timeout)")
        }
    }

    /// Performs `request` on the shared client, or on a client pinned to its connect address.
    private func pinnedOrShared(_ request: OutboundHTTPRequest) async throws -> OutboundHTTPResponse {
        guard let address = request.connectAddress else { return try await perform(request, on: client) }
        guard let host = URL(string: request.url)?.host, !host.isEmpty else {
            throw HTTPTransportError(.invalidURL, "the URL has no host")
        }
        if let literal = IPAddress(host) {
            // An address in the URL is connected to as it is; it must be the one given.
            guard literal == address else { throw HTTPTransportError(.connectionFailed, "the URL's address is not the one to connect to") }
            return try await perform(request, on: client)
        }
        var configuration = Self.configuration()
        configuration.dnsOverride[host] = "\(address)"
        configuration.dnsOverride[host.lowercased()] = "\(address)"
        configuration.connectionPool = .init(idleTimeout: .seconds(1))
        let pinned = HTTPClient(eventLoopGroup: client.eventLoopGroup, configuration: configuration)
        let result: Result<OutboundHTTPResponse, any Error>
        do {
            result = .success(try await perform(request, on: pinned))
        } catch {
            result = .failure(error)
        }
        try? await pinned.shutdown()
        return try result.get()
    }

    private func perform(_ request: OutboundHTTPRequest, on client: HTTPClient) async throws -> OutboundHTTPResponse {
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
