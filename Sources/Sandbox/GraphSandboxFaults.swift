import ChannelKit
import HTTPTypes
import MetaPlatform

/// Failures a Meta sandbox's emulated Graph API injects on request, the way Graph fails: so
/// that retries, backoff and ordering can be seen working (and tested) without Meta.
///
/// Both Meta sandboxes (Instagram and WhatsApp) take the same `POST /api/faults` body:
///
/// ```swift
/// // {"failure_rate": 0.3, "kinds": ["500", "429", "613", "190"], "delay_ms": 5, "seed": 7, "retry_after_seconds": 0,
/// //  "max_text_length": 3000}
/// guard let faults = GraphSandboxFaults(json: body) else { return badRequest }
/// if let injected = faults.nextFailure() { return injected }
/// ```
public struct GraphSandboxFaults: Sendable {
    /// Failure kinds.
    public enum Kind: String, Sendable, CaseIterable {
        /// HTTP 500 with Graph code 2 ("unexpected error, retry later").
        case serverError = "500"
        /// HTTP 429 with Graph code 4 and a `Retry-After` header.
        case tooManyRequests = "429"
        /// HTTP 400 with Graph code 613, subcode 2534040 (rate limit).
        case rateLimited = "613"
        /// HTTP 401 with Graph code 190 (the access token was refused).
        case invalidToken = "190"
    }

    /// The share of calls that fail, 0…1.
    public var failureRate: Double
    /// The kinds a failing call picks from.
    public var kinds: [Kind]
    /// How long every call takes.
    public var delay: Duration
    /// The `Retry-After` seconds a 429 carries.
    public var retryAfterSeconds: Int
    /// When set, a text longer than this many UTF-16 code units is refused with code 100, the
    /// way Graph refuses a text over its limit: a platform that counts longer than the
    /// channel's profile says, so that what the sender does then can be seen.
    public var maxTextLength: Int?
    private var state: UInt64

    /// Creates a fault plan; the default fails nothing.
    /// - Parameters:
    ///   - failureRate: the share of calls that fail, 0…1.
    ///   - kinds: the kinds a failing call picks from.
    ///   - delay: how long every call takes.
    ///   - seed: the seed of the deterministic random sequence.
    ///   - retryAfterSeconds: the `Retry-After` of a 429.
    ///   - maxTextLength: the longest text accepted, in UTF-16 code units; `nil`: the channel's limit only.
    public init(failureRate: Double = 0, kinds: [Kind] = [], delay: Duration = .zero, seed: UInt64 = 1, retryAfterSeconds: Int = 0,
                maxTextLength: Int? = nil) {
        self.failureRate = failureRate
        self.kinds = kinds
        self.delay = delay
        self.retryAfterSeconds = max(0, retryAfterSeconds)
        self.maxTextLength = maxTextLength
        self.state = seed
    }

    /// Reads a `POST /api/faults` body:
    /// `{"failure_rate", "kinds", "delay_ms", "seed", "retry_after_seconds", "max_text_length"}`,
    /// every key optional.
    /// - Parameter body: the request body.
    /// - Returns: the plan, or `nil` when the body is not a JSON object, the rate is outside
    ///   0…1, a positive rate names no known kind, or `max_text_length` is not a positive number.
    public init?(json body: [UInt8]) {
        guard let json = try? MetaJSON.decode(body), json.objectValue != nil else { return nil }
        let rate = json["failure_rate"]?.numberValue ?? 0
        let kinds = (json["kinds"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(Kind.init(rawValue:)) }
        guard (0...1).contains(rate), rate == 0 || !kinds.isEmpty else { return nil }
        var maxTextLength: Int?
        if let value = json["max_text_length"], !value.isNull {
            guard let length = value.numberValue, length >= 1, length <= 1_000_000 else { return nil }
            maxTextLength = Int(length)
        }
        self.init(failureRate: rate, kinds: kinds,
                  delay: .milliseconds(Int(max(0, json["delay_ms"]?.numberValue ?? 0))),
                  seed: UInt64(max(0, json["seed"]?.numberValue ?? 1)),
                  retryAfterSeconds: Int(json["retry_after_seconds"]?.numberValue ?? 0),
                  maxTextLength: maxTextLength)
    }

    /// What a refused `POST /api/faults` is told.
    public static let usage = "failure_rate must be within 0...1, kinds one or more of 500, 429, 613, 190, and max_text_length a positive number"

    /// Whether `text` is over ``maxTextLength``.
    public func refuses(text: String) -> Bool {
        maxTextLength.map { text.utf16.count > $0 } ?? false
    }

    /// The next call's injected failure, if it fails (deterministic for a seed).
    public mutating func nextFailure() -> SandboxResponse? {
        guard failureRate > 0, !kinds.isEmpty else { return nil }
        let roll = Double(next() >> 11) / Double(1 << 53)
        guard roll < failureRate else { return nil }
        switch kinds[Int(next() % UInt64(kinds.count))] {
        case .serverError:
            return GraphSandboxReply.error(status: .internalServerError, code: 2,
                                           message: "An unexpected error has occurred. Please retry your request later.")
        case .tooManyRequests:
            var response = GraphSandboxReply.error(status: .tooManyRequests, code: 4, message: "(#4) Application request limit reached")
            response.headers[.retryAfter] = "\(retryAfterSeconds)"
            return response
        case .rateLimited:
            return GraphSandboxReply.error(status: .badRequest, code: 613, subcode: 2534040,
                                           message: "Calls to this api have exceeded the rate limit.")
        case .invalidToken:
            return GraphSandboxReply.error(status: .unauthorized, code: 190, message: "Error validating access token: Session has expired.")
        }
    }

    /// SplitMix64.
    private mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
