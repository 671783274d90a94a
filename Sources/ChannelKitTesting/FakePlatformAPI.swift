import ChannelKit
import Foundation
import Synchronization

/// An in-memory fake of a platform's API, speaking the platform's wire format through a
/// ``ChannelConformanceSubject``: it records every request, answers message sends with
/// success or with scripted failures, serves hosted media (lookups and downloads), and lets a
/// test wait for a delivery instead of sleeping.
///
/// Like a real transport, it refuses a response larger than the request's
/// `maxResponseBytes` with ``HTTPTransportError/Code/responseTooLarge``.
///
/// ```swift
/// let api = FakePlatformAPI(subject: subject)
/// let channel = try subject.makeChannel(http: api)
/// api.failNextSends([.transientFailure])          // the next message send fails once
/// let arrived = await api.waitForDelivery(to: "user-1", timeout: .seconds(10))
/// api.host(ConformanceMedia(id: "1", url: FakePlatformAPI.mediaOrigin + "/media/1", file: .photo))
/// ```
public final class FakePlatformAPI: HTTPTransport, Sendable {
    private struct Waiter {
        var recipient: String
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var requests: [OutboundHTTPRequest] = []
        var attempts: [ConformanceSentMessage] = []
        var delivered: [ConformanceDelivery] = []
        var scripted: [ConformanceSendOutcome] = []
        var hosted: [ConformanceMedia] = []
        var nextID = 0
        var waiters: [Int: Waiter] = [:]
        var timedOut: Set<Int> = []
        var nextWaiter = 0
    }

    /// Where the fake platform serves media: plain HTTP on the loopback address, the way a
    /// platform emulator on this machine serves it (the host's sandboxes serve uploads so).
    /// Requests reach it in process through this transport; nothing listens on the port.
    /// The fetcher takes plain HTTP and loopback only from `host:port`s named in
    /// ``MediaPolicy/plainHTTPHosts``, so a test's media policy names ``mediaHostPort``
    /// (``ConformanceHarness`` does).
    public static let mediaOrigin = "http://\(mediaHostPort)"
    /// The `host:port` of ``mediaOrigin``.
    public static let mediaHostPort = "127.0.0.1:8089"

    private let subject: any ChannelConformanceSubject
    private let clock: @Sendable () -> Date
    private let state = Mutex(State())

    /// Creates a fake platform.
    /// - Parameters:
    ///   - subject: reads and answers requests in the platform's format.
    ///   - now: the clock stamped on deliveries.
    public init(subject: any ChannelConformanceSubject, now: @escaping @Sendable () -> Date = { Date() }) {
        self.subject = subject
        self.clock = now
    }

    /// Every request, in arrival order.
    public var requests: [OutboundHTTPRequest] { state.withLock { $0.requests } }
    /// Every message send attempted, failed ones included, in arrival order.
    public var attempts: [ConformanceSentMessage] { state.withLock { $0.attempts } }
    /// Every message send that succeeded, in arrival order.
    public var delivered: [ConformanceDelivery] { state.withLock { $0.delivered } }

    /// The texts delivered to one person, in order.
    public func texts(to recipient: String) -> [String] {
        delivered.filter { $0.message.recipient == recipient }.map(\.message.text)
    }

    /// Every request to `host` (a name, compared without case), in arrival order.
    public func requests(toHost host: String) -> [OutboundHTTPRequest] {
        requests.filter { URLComponents(string: $0.url)?.host?.lowercased() == host.lowercased() }
    }

    /// Serves `media` from now on: its download, and whatever lookup the subject answers for it.
    public func host(_ media: ConformanceMedia) {
        state.withLock { $0.hosted.append(media) }
    }

    /// The media hosted so far.
    public var hostedMedia: [ConformanceMedia] { state.withLock { $0.hosted } }

    /// Makes the next message sends end this way, in order; later ones succeed.
    public func failNextSends(_ outcomes: [ConformanceSendOutcome]) {
        state.withLock { $0.scripted.append(contentsOf: outcomes) }
    }

    /// Returns `true` once a message has been delivered to `recipient` (at once if one was),
    /// or `false` after `timeout`.
    public func waitForDelivery(to recipient: String, timeout: Duration) async -> Bool {
        let id: Int? = state.withLock { state in
            if state.delivered.contains(where: { $0.message.recipient == recipient }) { return nil }
            state.nextWaiter += 1
            return state.nextWaiter
        }
        guard let id else { return true }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.resume(id, with: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let settled: Bool? = state.withLock { state in
                if state.delivered.contains(where: { $0.message.recipient == recipient }) { return true }
                if state.timedOut.remove(id) != nil { return false }
                state.waiters[id] = Waiter(recipient: recipient, continuation: continuation)
                return nil
            }
            if let settled { continuation.resume(returning: settled) }
        }
    }

    private func resume(_ id: Int, with value: Bool) {
        let waiter = state.withLock { state in
            guard let waiter = state.waiters.removeValue(forKey: id) else {
                state.timedOut.insert(id)   // not parked yet: it returns `false` when it parks
                return Optional<Waiter>.none
            }
            return waiter
        }
        waiter?.continuation.resume(returning: value)
    }

    /// Answers a request the way the platform would.
    public func execute(_ request: OutboundHTTPRequest) async throws -> OutboundHTTPResponse {
        try Self.capped(answer(request), for: request)
    }

    private func answer(_ request: OutboundHTTPRequest) -> OutboundHTTPResponse {
        if let media = subject.mediaResponse(to: request, hosted: hostedMedia) {
            state.withLock { $0.requests.append(request) }
            return media
        }
        guard let sent = subject.sentMessage(in: request) else {
            state.withLock { $0.requests.append(request) }
            return subject.response(to: request, outcome: .success(messageID: "fake.ack"))
        }
        let now = Date(timeIntervalSince1970: clock().timeIntervalSince1970.rounded(.down))
        let (outcome, released): (ConformanceSendOutcome, [CheckedContinuation<Bool, Never>]) = state.withLock { state in
            state.requests.append(request)
            state.attempts.append(sent)
            if !state.scripted.isEmpty {
                return (state.scripted.removeFirst(), [])
            }
            state.nextID += 1
            let id = "fake.out.\(state.nextID)"
            state.delivered.append(ConformanceDelivery(message: sent, messageID: id, timestamp: now))
            var released: [CheckedContinuation<Bool, Never>] = []
            for (key, waiter) in state.waiters where waiter.recipient == sent.recipient {
                state.waiters.removeValue(forKey: key)
                released.append(waiter.continuation)
            }
            return (.success(messageID: id), released)
        }
        for continuation in released { continuation.resume(returning: true) }
        return subject.response(to: request, outcome: outcome)
    }

    /// The response, or the transport's refusal of a body over the request's cap.
    private static func capped(_ response: OutboundHTTPResponse, for request: OutboundHTTPRequest) throws -> OutboundHTTPResponse {
        guard response.body.count <= request.maxResponseBytes else {
            throw HTTPTransportError(.responseTooLarge, "the response is larger than \(request.maxResponseBytes) bytes")
        }
        return response
    }
}
