import Foundation
import NIOCore
import NIOPosix

/// Says in a few words why an outbound connection failed — the DNS lookup, the connection
/// (refused, unreachable), or TLS — for "Test connection", `/readyz` and the logs, instead of
/// a bare "connection failed". Never includes a URL's path or query.
enum TransportFailureDescription {
    /// - Parameter error: what the HTTP client threw.
    static func describe(_ error: any Error) -> String {
        if let connection = error as? NIOConnectionError {
            let target = "\(connection.host):\(connection.port)"
            if connection.connectionErrors.isEmpty, connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return "DNS lookup of \(connection.host) failed"
            }
            if let first = connection.connectionErrors.first {
                return "connecting to \(target) failed: \(describe(first.error))"
            }
            return "connecting to \(target) failed"
        }
        if let io = error as? IOError {
            return io.errnoCode == ECONNREFUSED ? "connection refused" : String(cString: strerror(io.errnoCode)).lowercased()
        }
        let typeName = String(describing: type(of: error))
        if typeName.contains("SSL") || typeName.contains("TLS") {
            return "TLS failed: \(error)"
        }
        if typeName.contains("Resolution") || typeName.contains("DNS") {
            return "DNS lookup failed: \(error)"
        }
        return typeName
    }
}
