import AsyncHTTPClient
import ChannelKit
import Foundation
import Testing
@testable import ChannelHost

/// "Test connection" and `/readyz` say what failed, not a bare "connection failed".
@Suite("Transport failures")
struct TransportFailureTests {
    @Test("a port nobody listens on is reported as a refused connection")
    func refused() async throws {
        let (descriptor, port) = try refusingPort()
        defer { close(descriptor) }
        let client = AsyncHTTPTransport.makeClient()
        let transport = AsyncHTTPTransport(client: client, timers: ProcessThreads.timers)
        do {
            _ = try await transport.execute(OutboundHTTPRequest(method: .get, url: "http://127.0.0.1:\(port)/v27.0/me"))
            Issue.record("the request succeeded")
        } catch let error as HTTPTransportError {
            #expect(error.code == .connectionFailed)
            #expect(error.message.contains("connection refused"), "\(error)")
        }
        try await client.shutdown()
    }

    @Test("a name that does not resolve is reported as a DNS failure")
    func dns() async throws {
        let client = AsyncHTTPTransport.makeClient()
        let transport = AsyncHTTPTransport(client: client, timers: ProcessThreads.timers)
        do {
            _ = try await transport.execute(OutboundHTTPRequest(method: .get, url: "http://graph.invalid/v27.0/me"))
            Issue.record("the request succeeded")
        } catch let error as HTTPTransportError {
            #expect(error.message.contains("DNS"), "\(error)")
        }
        try await client.shutdown()
    }
}
