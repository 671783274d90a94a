import ChannelKit
import MetaPlatform

/// Failures the sandbox's Send API injects on request, the way Graph fails: so that retries,
/// backoff and ordering can be seen working (and tested) without Meta.
struct SandboxFaults: Sendable {
    /// Failure kinds.
    enum Kind: String, Sendable {
        /// HTTP 500 with Graph code 2 ("unexpected error, retry later").
        case serverError = "500"
        /// HTTP 429 with a `Retry-After` header.
        case tooManyRequests = "429"
        /// HTTP 400 with Graph code 613, subcode 2534040 (rate limit).
        case rateLimited = "613"
        /// HTTP 401 with Graph code 190 (the access token was refused).
        case invalidToken = "190"
    }

    var failureRate: Double = 0
    var kinds: [Kind] = []
    var delay: Duration = .zero
    var retryAfterSeconds = 0
    private var state: UInt64

    init(failureRate: Double = 0, kinds: [Kind] = [], delay: Duration = .zero, seed: UInt64 = 1, retryAfterSeconds: Int = 0) {
        self.failureRate = failureRate
        self.kinds = kinds
        self.delay = delay
        self.retryAfterSeconds = max(0, retryAfterSeconds)
        self.state = seed
    }

    /// The next call's injected failure, if it fails (deterministic for a seed).
    mutating func nextFailure() -> SandboxResponse? {
        guard failureRate > 0, !kinds.isEmpty else { return nil }
        let roll = Double(next() >> 11) / Double(1 << 53)
        guard roll < failureRate else { return nil }
        switch kinds[Int(next() % UInt64(kinds.count))] {
        case .serverError:
            return InstagramSandbox.graphError(status: .internalServerError, code: 2,
                                               message: "An unexpected error has occurred. Please retry your request later.")
        case .tooManyRequests:
            var response = InstagramSandbox.graphError(status: .tooManyRequests, code: 4, message: "(#4) Application request limit reached")
            response.headers[.retryAfter] = "\(retryAfterSeconds)"
            return response
        case .rateLimited:
            return InstagramSandbox.graphError(status: .badRequest, code: 613, subcode: 2534040,
                                               message: "Calls to this api have exceeded the rate limit.")
        case .invalidToken:
            return InstagramSandbox.graphError(status: .unauthorized, code: 190, message: "Error validating access token: Session has expired.")
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

extension MetaJSON {
    /// The number, when this is an integer or a double.
    var numberValue: Double? {
        switch self {
        case .integer(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }
}
