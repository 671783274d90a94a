import ChannelKit
import Crypto
import Foundation
import Logging
import ServiceLifecycle

/// Refreshes expiring access tokens (Instagram Login's 60-day tokens) before they expire.
///
/// At start it records each such token's expiry for `/readyz` and the admin portal; then
/// every `interval` it refreshes each token that is at least a day old
/// (``AccessTokenRefreshing/accessTokenMinimumRefreshAge``): the new token is saved as a
/// value typed in the admin portal is — sealed with the secret key — and the channel serves
/// with it at once. A token whose age is unknown (from `channels.yaml` or the environment) is
/// refreshed at the first check. A failed refresh is logged and reported, and tried again at
/// the next check; the old token keeps working until it expires.
///
/// Hosts that share a store take turns: a host refreshes a channel's token only after
/// claiming it in the store for ``claimWindow``, so that several hosts checking at the same
/// moment make one refresh; the others see the saved token (and its age) within seconds.
struct TokenRefreshService: Service {
    let supervisor: ChannelSupervisor
    let status: ChannelStatusBoard
    let interval: Duration
    let now: @Sendable () -> Date
    let logger: Logger
    /// Where hosts claim a refresh; `nil`: this host alone decides.
    var shared: (any SharedStateStore)? = nil

    /// How long a host's claim on a channel's refresh keeps the other hosts from refreshing it.
    static let claimWindow: TimeInterval = 600

    /// How often tokens are checked while the host runs.
    static let defaultInterval: Duration = .seconds(3600)

    /// What one check did for a channel.
    enum Outcome: Sendable, Equatable {
        /// Not old enough to refresh.
        case notDue
        /// Refreshed and saved; expires then.
        case refreshed(expiresAt: Date)
        /// The platform refused, or the new token could not be saved.
        case failed(String)
    }

    /// A served channel whose token the host refreshes, and when its token was saved (`nil`:
    /// not saved by the host or the portal, so of unknown age).
    private struct Candidate {
        let name: String
        let channel: any AccessTokenRefreshing
        let savedAt: Date?
        /// ``TokenRefreshService/digest(_:)`` of the token the channel sends with.
        let tokenDigest: String
    }

    /// A digest of a token, to recognise it without keeping it.
    static func digest(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private func candidates() -> [Candidate] {
        supervisor.all.compactMap { mounted in
            guard mounted.mode == .live, let channel = mounted.channel as? any AccessTokenRefreshing, channel.refreshesAccessToken else { return nil }
            let token = mounted.configuration.settings.string(channel.accessTokenSettingKey)
            guard !token.isEmpty else { return nil }
            let savedAt: Date? = if case .portal(let at) = mounted.origins[channel.accessTokenSettingKey] { at } else { nil }
            return Candidate(name: mounted.configuration.name, channel: channel, savedAt: savedAt, tokenDigest: Self.digest(token))
        }
    }

    /// Records each token's expiry as far as it is known, without calling the platform.
    func describe() {
        for candidate in candidates() {
            status.updateToken(channel: candidate.name) { token in
                Self.reckonExpiry(&token, of: candidate)
            }
        }
    }

    /// When the channel's token was issued, as far as the host knows: when the host
    /// refreshed it, if the channel still sends with the token that refresh gave; else when it
    /// was saved; `nil` for a token never refreshed or saved (from channels.yaml).
    private static func issuedAt(_ token: TokenStatus, of candidate: Candidate) -> Date? {
        if token.refreshedTokenDigest == candidate.tokenDigest, let refreshedAt = token.refreshedAt { return refreshedAt }
        return candidate.savedAt
    }

    /// The expiry of the channel's token: the platform's, when the host refreshed that very
    /// token; else when it was issued plus the lifetime; unknown when that is unknown.
    private static func reckonExpiry(_ token: inout TokenStatus, of candidate: Candidate) {
        if token.refreshedTokenDigest == candidate.tokenDigest, let exact = token.refreshedExpiresAt {
            token.expiresAt = exact
            token.expiryEstimated = false
        } else {
            token.expiresAt = candidate.savedAt.map { $0.addingTimeInterval(candidate.channel.accessTokenLifetime) }
            token.expiryEstimated = true
        }
    }

    /// Refreshes every token old enough to be refreshed.
    /// - Returns: what happened, by channel name.
    @discardableResult
    func refreshDue() async -> [String: Outcome] {
        var outcomes: [String: Outcome] = [:]
        for candidate in candidates() {
            let at = now()
            let channel = candidate.channel
            status.updateToken(channel: candidate.name) { token in
                Self.reckonExpiry(&token, of: candidate)
            }
            let known = status.entry(for: candidate.name)?.token ?? TokenStatus()
            if let issuedAt = Self.issuedAt(known, of: candidate), at.timeIntervalSince(issuedAt) < channel.accessTokenMinimumRefreshAge {
                outcomes[candidate.name] = .notDue
                continue
            }
            guard await claimRefresh(of: candidate.name, at: at) else {
                outcomes[candidate.name] = .notDue   // another host is refreshing it
                continue
            }
            outcomes[candidate.name] = await refresh(candidate, at: at)
        }
        return outcomes
    }

    /// Whether this host takes the channel's refresh: no other host claimed it within the
    /// claim window. The claim's value is its expiry, so that a claim seen keeps its own.
    private func claimRefresh(of channel: String, at: Date) async -> Bool {
        guard let shared else { return true }
        let until = at.addingTimeInterval(Self.claimWindow)
        do {
            let change = try await shared.updateSharedValue(scope: "token-refresh", key: channel, at: at) { current in
                if let current, let held = Int64(current) {
                    return SharedValueUpdate(value: current, expiresAt: Date(timeIntervalSince1970: Double(held) / 1000))
                }
                return SharedValueUpdate(value: String(Int64(until.timeIntervalSince1970 * 1000)), expiresAt: until)
            }
            return change.previous == nil
        } catch {
            // The store cannot say: refresh from here (a second refresh is harmless, a missed one is not).
            return true
        }
    }

    private func refresh(_ candidate: Candidate, at: Date) async -> Outcome {
        var channelLogger = logger
        channelLogger[metadataKey: "channel"] = "\(candidate.name)"
        let channel = candidate.channel
        let problem: String
        do {
            let fresh = try await channel.refreshAccessToken(logger: channelLogger)
            let change = ChannelSupervisor.Change(values: [channel.accessTokenSettingKey: fresh.token], source: "an access token refresh")
            _ = try await supervisor.reconfigure(candidate.name, change, at: at)
            let expiresAt = at.addingTimeInterval(fresh.expiresIn ?? channel.accessTokenLifetime)
            status.updateToken(channel: candidate.name) { token in
                token.refreshedAt = at
                token.refreshedTokenDigest = Self.digest(fresh.token)
                token.refreshedExpiresAt = expiresAt
                token.expiresAt = expiresAt
                token.expiryEstimated = fresh.expiresIn == nil
                token.lastError = nil
                token.failedAt = nil
            }
            channelLogger.notice("access token refreshed and saved", metadata: ["expires": "\(SettingOrigin.format(expiresAt))"])
            return .refreshed(expiresAt: expiresAt)
        } catch let refusal as ChannelSupervisor.Refusal {
            problem = "the refreshed token could not be saved: " + (refusal.problems[""] ?? refusal.problems.values.sorted().joined(separator: "; "))
        } catch let error as ChannelError {
            problem = error.description
        } catch {
            problem = "the refresh failed (\(type(of: error)))"
        }
        status.updateToken(channel: candidate.name) { token in
            token.lastError = problem
            token.failedAt = at
        }
        channelLogger.warning("access token refresh failed; the current token is used until it expires, and the refresh is tried again",
                              metadata: ["error": "\(problem)", "retry_in": "\(interval)"])
        return .failed(problem)
    }

    func run() async throws {
        describe()
        let worker = Task { [self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                await refreshDue()
            }
        }
        try? await gracefulShutdown()
        worker.cancel()
        await worker.value
    }
}
