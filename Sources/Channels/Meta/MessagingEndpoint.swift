import ChannelKit
import Logging

/// What a ``MessagingPlatformChannel`` is made of: the checks its settings key, its parser and
/// its Send API.
public struct MessagingEndpoint: Sendable {
    /// The handshake and signature checks.
    public let verifier: MetaWebhookVerifier
    /// The product's parser.
    public let parser: MessagingWebhookParser
    /// The Send API, on the channel's path and token.
    public let sendAPI: MessagingSendAPI

    /// Creates an endpoint.
    public init(verifier: MetaWebhookVerifier, parser: MessagingWebhookParser, sendAPI: MessagingSendAPI) {
        self.verifier = verifier
        self.parser = parser
        self.sendAPI = sendAPI
    }
}
