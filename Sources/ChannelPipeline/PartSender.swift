import ChannelKit
import Foundation
import Logging
import Tracing

/// Sends one reply part, retrying in place the transient failures worth a short wait
/// (timeouts, 5xx, 429, rate-limit codes) with backoff and jitter, `Retry-After` honoured.
///
/// It decides nothing about the message: a failure it gives up on is returned, and the
/// pipeline parks, pauses or kills the message by its code.
struct PartSender: Sendable {
    /// What became of the part.
    enum Outcome: Sendable {
        /// The platform took it.
        case sent(SendReceipt)
        /// The last failure: permanent, unauthorized, transient after every attempt, or
        /// transient with a wait longer than is worth holding the conversation for.
        case failed(ChannelError)
        /// The work was cancelled (shutdown, or the lease lost): the part stays pending.
        case cancelled
    }

    /// The longest wait the platform may ask for that is waited out here; a longer one parks the message.
    static let longestInPlaceWait: Duration = .seconds(10)

    let retry: RetryPolicy
    let observer: PipelineReport
    let tracing: PipelineTracing

    /// Sends `message`, part `index` of its reply, to `recipient` through `channel`.
    func send(_ message: OutboundMessage, index: Int, to recipient: Recipient, through channel: any Channel,
              logger: Logger) async -> Outcome {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return .sent(try await attemptSend(message, index: index, attempt: attempt, to: recipient, through: channel, logger: logger))
            } catch {
                if Task.isCancelled { return .cancelled }
                let failure = (error as? ChannelError) ?? ChannelError.transient("\(type(of: error))")
                let wait = failure.retryAfter ?? .zero
                guard failure.code == .transient, attempt < retry.attempts, wait <= Self.longestInPlaceWait else {
                    return .failed(failure)
                }
                observer.sendRetried(channel: channel.name, error: failure)
                let delay = retry.delay(afterAttempt: attempt, suggested: failure.retryAfter)
                logger.info("send failed; retrying", metadata: [
                    "attempt": "\(attempt)", "delay_ms": "\(Int(delay.seconds * 1000))", "error": "\(failure)",
                ])
                do { try await Task.sleep(for: delay) } catch { return .cancelled }
            }
        }
    }

    /// One attempt, in a `send` span that records the part, the attempt and what the platform
    /// answered (its error code, when it refused).
    private func attemptSend(_ message: OutboundMessage, index: Int, attempt: Int, to recipient: Recipient,
                             through channel: any Channel, logger: Logger) async throws -> SendReceipt {
        try await tracing.span("send", kind: .client, attributes: { attributes in
            attributes["sandra.channel"] = channel.name
            attributes["sandra.part"] = index
            attributes["sandra.send.attempt"] = attempt
        }) { span in
            do {
                let receipt = try await observer.platformCall(.send, channel: channel.name) {
                    try await channel.send(message, to: recipient, logger: logger)
                }
                span?.attributes["sandra.send.outcome"] = "sent"
                return receipt
            } catch let failure as ChannelError {
                if let span {
                    span.attributes["sandra.send.outcome"] = failure.code.rawValue
                    if let code = failure.platformCode { span.attributes["sandra.platform.error_code"] = code }
                    if let subcode = failure.platformSubcode { span.attributes["sandra.platform.error_subcode"] = subcode }
                }
                throw failure
            }
        }
    }
}
