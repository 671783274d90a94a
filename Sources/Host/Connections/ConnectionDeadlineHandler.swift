import Logging
import NIOCore

/// Closes a connection that is too slow: sits on the raw bytes, ahead of the HTTP decoder, and
/// keeps one deadline per connection, moved as the connection's requests progress
/// (``RequestProgressHandler`` reports heads, ends and responses from behind the decoder).
///
/// | phase | starts | deadline |
/// |---|---|---|
/// | reading a head | the connection opens, or the first byte after a response | ``ConnectionLimits/headerTimeout`` |
/// | reading a body | the head is complete | ``ConnectionLimits/idleTimeout`` for the whole body |
/// | answering | the request is complete | none: the route answers in its own time |
/// | waiting | the response has ended | ``ConnectionLimits/idleTimeout`` for the next request's first byte |
///
/// A connection that sends nothing, or its headers or body a byte at a time, is closed when its
/// deadline passes, however much it trickled in meanwhile.
final class ConnectionDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Phase: String {
        case readingHead = "the request head"
        case readingBody = "the request body"
        case answering
        case waiting = "a next request"
    }

    private let limits: ConnectionLimits
    private let logger: Logger
    private var phase = Phase.readingHead
    /// Requests whose head has been read and whose response has not ended.
    private var unanswered = 0
    private var deadline: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    /// Creates the handler for one connection.
    init(limits: ConnectionLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { enter(.readingHead) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        enter(.readingHead)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadline()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .waiting { enter(.readingHead) }
        context.fireChannelRead(data)
    }

    /// A request's head has been decoded: its body now has the idle timeout to arrive.
    func requestHeadRead() {
        unanswered += 1
        enter(.readingBody)
    }

    /// A request has been read to its end: no deadline while it is answered.
    func requestEndRead() {
        if phase == .readingBody { enter(.answering) }
    }

    /// A response has been written to its end: the connection waits for its next request.
    func responseEnded() {
        unanswered = max(0, unanswered - 1)
        if unanswered == 0, phase == .answering { enter(.waiting) }
    }

    private func enter(_ next: Phase) {
        phase = next
        cancelDeadline()
        let timeout: TimeAmount
        switch next {
        case .readingHead: timeout = limits.headerTimeout
        case .readingBody, .waiting: timeout = limits.idleTimeout
        case .answering: return
        }
        guard let context else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            deadline = nil
            logger.debug("closing a connection that was too slow", metadata: [
                "waitingFor": "\(phase.rawValue)", "after": "\(timeout.nanoseconds / 1_000_000) ms",
                "client": "\(context.channel.remoteAddress?.ipAddress ?? "unknown")",
            ])
            context.close(promise: nil)
        }
    }

    private func cancelDeadline() {
        deadline?.cancel()
        deadline = nil
    }
}

@available(*, unavailable)
extension ConnectionDeadlineHandler: Sendable {}
