import ChannelKit
import ChannelKitTesting
import ChannelPipeline
import Foundation
import Logging
import Synchronization
import Testing

/// Refused credentials pause a channel for every host of one store, and when the pause ends one
/// send — not one per waiting conversation, not one per host — tries the credentials again.
@Suite("Shared channel pause")
struct PipelineSharedPauseTests {
    let logger = Logger(label: "shared-pause-test") { _ in SwiftLogNoOpLogHandler() }

    /// When each send was refused, across every host.
    final class Refusals: Sendable {
        private let state = Mutex<(times: [Date], fixed: Bool)>(([], false))
        var times: [Date] { state.withLock { $0.times } }
        func fix() { state.withLock { $0.fixed = true } }

        /// The channel's rule: refuse with 190 (and note when) until fixed.
        func rule() -> @Sendable (OutboundMessage) -> ChannelError? {
            { _ in
                self.state.withLock { state in
                    guard !state.fixed else { return nil }
                    state.times.append(Date())
                    return ChannelError.unauthorized("token expired", platformCode: 190)
                }
            }
        }
    }

    @Test("two hosts, eight held conversations: one probe per pause across both hosts, and all answered once the token works")
    func oneProbeAcrossHosts() async throws {
        let store = InMemoryStore()
        let refusals = Refusals()
        let pause = Duration.milliseconds(300)
        var pipelines: [Pipeline] = []
        var channels: [RecordingChannel] = []
        for _ in 0..<2 {
            let channel = RecordingChannel()
            channel.refuseSends(refusals.rule())
            channels.append(channel)
            pipelines.append(Pipeline(
                channels: [channel], store: store, identities: InMemoryIdentityDirectory(), assistant: ScriptedAssistant.echo(),
                options: .init(retry: PipelineTests.fastRetry, unauthorizedPause: pause, channelProbeWindow: .seconds(2)),
                executor: TestThreads.replies, timers: TestThreads.timers, logger: logger))
        }
        for (host, pipeline) in pipelines.enumerated() {
            try await pipeline.accept((0..<4).map { EventFactory.text("hi", from: "u\(host)\($0)", id: "m\(host)\($0)") })
        }
        // Every conversation may be refused once before its host knows of the pause; after that
        // only probes go, and a refused probe starts a new pause.
        let initial = 8
        let probes = 4
        try await waitUntil("\(initial + probes) refused sends") { refusals.times.count >= initial + probes }
        refusals.fix()
        for pipeline in pipelines {
            #expect(await pipeline.waitUntilIdle(timeout: .seconds(30)), "every held conversation answered")
        }
        let times = refusals.times
        let laterSends = Array(times.dropFirst(initial))
        for (earlier, later) in zip(laterSends, laterSends.dropFirst()) {
            #expect(later.timeIntervalSince(earlier) >= pause.seconds * 0.9,
                    "two probes \(Int(later.timeIntervalSince(earlier) * 1000)) ms apart: more than one probe per pause")
        }
        let answered = channels.flatMap { channel in
            channel.calls.filter { $0.kind == .send && $0.succeeded }.compactMap { $0.recipient.userID }
        }
        #expect(answered.sorted() == (0..<2).flatMap { host in (0..<4).map { "u\(host)\($0)" } }.sorted(), "each answered once")
    }

    /// Waits (polling every 10 ms, at most 30 s) until `condition` holds.
    func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(30)
        while !condition() {
            guard Date() < deadline else {
                Issue.record("timed out waiting for \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

extension Duration {
    fileprivate var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
