import ChannelKit
import Foundation

extension Pipeline {
    /// Tunables.
    public struct Options: Sendable {
        /// Conversations processed at the same time.
        public var maxConcurrentConversations: Int
        /// Earlier turns the assistant sees.
        public var historyTurns: Int
        /// How long the assistant may take before the person gets the apology.
        public var assistantTimeout: Duration
        /// How long an answer may take before the person sees a typing indicator, on channels
        /// whose acknowledgement is only that (see ``ChannelProfile/acknowledgementMarksRead``).
        /// `.zero` sends it before every answer.
        public var typingDelay: Duration
        /// Retries of a transient send failure within one attempt.
        public var retry: RetryPolicy
        /// Attempts of one event before it is dead.
        public var maxAttempts: Int
        /// How long a worker owns an event before another may take it over; renewed every third
        /// of it while the worker runs, so it matters only when a host stops (another host then
        /// takes its conversations over once it lapses).
        public var lease: Duration
        /// Who this pipeline's workers are in the store's leases: unique among the hosts of one
        /// store and the same across a host's restarts, so that a restarted host releases its
        /// earlier run's leases at once (``sharedStore``).
        public var workerID: String
        /// Whether other hosts use the store too (PostgreSQL): then a start releases only this
        /// host's leases (``workerID``), not every lease.
        public var sharedStore: Bool
        /// How often a message waiting behind another worker's (another host's) message of the
        /// same conversation asks again, at most.
        public var claimPollInterval: Duration
        /// Events older than this at start-up are expired, not answered.
        public var maxMessageAge: Duration
        /// How long a channel's sends pause after the platform refused its credentials.
        public var unauthorizedPause: Duration
        /// When the pause ends, one send (on one host of the store) tries the credentials again;
        /// the others wait for it this long at most.
        public var channelProbeWindow: Duration
        /// How often the store is rescanned for work (expired leases, operator retries).
        public var rescanInterval: Duration
        /// What the person gets when the assistant fails, in Markdown.
        public var apology: String
        /// What the person gets, in Markdown, in place of a reply part the platform refused
        /// as an invalid parameter even once split smaller (see ``RefusedPartRecovery``).
        public var refusedReplyFallback: String
        /// Whether a person linked to a Sandra profile has one memory across channels: the
        /// assistant sees the turns of every conversation linked to the profile, merged by time,
        /// instead of this conversation's only.
        public var sharedHistory: Bool
        /// How many times one message may be in progress when the host stops abruptly (a crash,
        /// a kill, a power cut) and still be tried again. Once more and it is given up: `dead`,
        /// with one error line and ``poisonApology`` to the person, so that a message that
        /// crashes the host can never keep it crash-looping.
        public var maxInterruptedClaims: Int
        /// What the person gets, in Markdown, when their message is given up because the host
        /// kept stopping while answering it.
        public var poisonApology: String
        /// How long after a message arrived the assistant is asked again when it is down (5xx,
        /// 429, refused connections, timeouts), with growing pauses; the conversation waits, the
        /// others go on. Only once this has passed does the person get ``apology``. `.zero`:
        /// the apology at the first failure.
        public var assistantRetryWindow: Duration
        /// When the assistant is down and the answer will come later than this after the message
        /// arrived, the person is told once, with ``assistantHoldNote``.
        public var assistantHoldNoteAfter: Duration
        /// The "one moment" note, in Markdown.
        public var assistantHoldNote: String
        /// When Sandra steps back for a person of the business (human takeover).
        public var handover: HandoverPolicy = HandoverPolicy()

        /// Creates options.
        public init(maxConcurrentConversations: Int = 64, historyTurns: Int = 20, assistantTimeout: Duration = .seconds(30),
                    typingDelay: Duration = .milliseconds(500), retry: RetryPolicy = RetryPolicy(), maxAttempts: Int = 5, lease: Duration = .seconds(60),
                    maxMessageAge: Duration = .seconds(3600), unauthorizedPause: Duration = .seconds(60),
                    rescanInterval: Duration = .seconds(15),
                    apology: String = "Sorry, I couldn't answer that just now. Please try again in a moment.",
                    refusedReplyFallback: String = "Sorry, I couldn't send my full answer here. Please ask again, perhaps for a shorter answer.",
                    sharedHistory: Bool = false, maxInterruptedClaims: Int = 1,
                    poisonApology: String = Pipeline.defaultPoisonApology,
                    assistantRetryWindow: Duration = .seconds(180), assistantHoldNoteAfter: Duration = .seconds(5),
                    assistantHoldNote: String = "One moment, please: I'm having trouble thinking right now. I'll answer as soon as I can.",
                    channelProbeWindow: Duration = .seconds(30), workerID: String = Pipeline.defaultWorkerID,
                    sharedStore: Bool = false, claimPollInterval: Duration = .seconds(1)) {
            self.maxConcurrentConversations = max(1, maxConcurrentConversations)
            self.historyTurns = max(0, historyTurns)
            self.assistantTimeout = assistantTimeout
            self.typingDelay = max(.zero, typingDelay)
            self.retry = retry
            self.maxAttempts = max(1, maxAttempts)
            self.lease = max(.milliseconds(30), lease)
            self.workerID = workerID
            self.sharedStore = sharedStore
            self.claimPollInterval = max(.milliseconds(10), claimPollInterval)
            self.maxMessageAge = maxMessageAge
            self.unauthorizedPause = unauthorizedPause
            self.rescanInterval = rescanInterval
            self.apology = apology
            self.refusedReplyFallback = refusedReplyFallback
            self.sharedHistory = sharedHistory
            self.maxInterruptedClaims = max(0, maxInterruptedClaims)
            self.poisonApology = poisonApology
            self.assistantRetryWindow = max(.zero, assistantRetryWindow)
            self.assistantHoldNoteAfter = max(.zero, assistantHoldNoteAfter)
            self.assistantHoldNote = assistantHoldNote
            self.channelProbeWindow = max(.milliseconds(1), channelProbeWindow)
        }
    }
}
