import ChannelKit
import Logging
import Synchronization

/// The Page access token a Facebook-Login channel sends with, exchanged once for the
/// configured token (a system-user or user token) and kept in memory:
/// `GET /<page-id>?fields=access_token` (Meta: "Page access tokens",
/// https://developers.facebook.com/docs/facebook-login/guides/access-tokens/#pagetokens).
///
/// A Page token obtained from a system-user token does not expire; one that the platform
/// refuses is forgotten, and the next call exchanges again.
///
/// ```swift
/// let exchange = PageTokenExchange(pageID: "1234567890")
/// let pageClient = try await exchange.client(from: graph, logger: logger)
/// ```
public final class PageTokenExchange: Sendable {
    /// The Page's id.
    public let pageID: String
    private let cached = Mutex<String?>(nil)

    /// An exchange for one Page.
    public init(pageID: String) {
        self.pageID = pageID
    }

    /// `graph` with the Page's token in place of its own, exchanging on first use.
    /// - Throws: ``ChannelError`` from the exchange.
    public func client(from graph: GraphAPIClient, logger: Logger) async throws -> GraphAPIClient {
        if let token = cached.withLock({ $0 }) { return graph.with(accessToken: token) }
        let token = try await graph.pageAccessToken(pageID: pageID, logger: logger)
        cached.withLock { $0 = token }
        logger.info("exchanged the access token for the Page's access token", metadata: ["graph.page_id": "\(pageID)"])
        return graph.with(accessToken: token)
    }

    /// Drops the kept Page token (the platform refused it).
    public func forget() {
        cached.withLock { $0 = nil }
    }
}
