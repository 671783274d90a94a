import ChannelKit
import MetaPlatform
import Testing

@Suite("Webhook handshake (GET)")
struct HandshakeTests {
    static func query(mode: String? = "subscribe", token: String? = TestSecrets.verifyToken, challenge: String? = "1158201444") -> [String: String] {
        var query: [String: String] = [:]
        query["hub.mode"] = mode
        query["hub.verify_token"] = token
        query["hub.challenge"] = challenge
        return query
    }

    @Test func matchingTokenEchoesTheChallenge() throws {
        let channel = try makeChannel()
        let outcome = try channel.handle(WebhookRequest(method: .get, query: Self.query()), logger: testLogger)
        #expect(outcome == .verified(challenge: "1158201444"))
    }

    @Test(arguments: ["abc-123_XYZ", "CHALLENGE_ACCEPTED", "0001158201444", "ä+/ =?&"])
    func challengeIsEchoedByteForByte(_ challenge: String) throws {
        let channel = try makeChannel()
        let outcome = try channel.handle(WebhookRequest(method: .get, query: Self.query(challenge: challenge)), logger: testLogger)
        guard case .verified(let echoed) = outcome else {
            Issue.record("expected a verified handshake")
            return
        }
        #expect(Array(echoed.utf8) == Array(challenge.utf8))
    }

    @Test(arguments: [
        ("wrong token", HandshakeTests.query(token: "meatyhamhock")),
        ("token prefix", HandshakeTests.query(token: String(TestSecrets.verifyToken.dropLast()))),
        ("token longer", HandshakeTests.query(token: TestSecrets.verifyToken + "x")),
        ("empty token", HandshakeTests.query(token: "")),
        ("missing token", HandshakeTests.query(token: nil)),
        ("wrong mode", HandshakeTests.query(mode: "unsubscribe")),
        ("missing mode", HandshakeTests.query(mode: nil)),
        ("missing challenge", HandshakeTests.query(challenge: nil)),
        ("empty challenge", HandshakeTests.query(challenge: "")),
    ])
    func badHandshakesAreForbidden(_ label: String, _ query: [String: String]) throws {
        let channel = try makeChannel()
        let error = channelError { _ = try channel.handle(WebhookRequest(method: .get, query: query), logger: testLogger) }
        #expect(error?.code == .forbidden, "\(label)")
    }

    @Test func emptyConfiguredTokenNeverMatches() throws {
        let channel = try makeChannel(settings(["verify_token": ""]))
        for token in ["", "anything"] {
            let error = channelError {
                _ = try channel.handle(WebhookRequest(method: .get, query: Self.query(token: token)), logger: testLogger)
            }
            #expect(error?.code == .forbidden)
        }
        let verifier = MetaWebhookVerifier(verifyToken: "", appSecret: "s")
        #expect(throws: ChannelError.self) { try verifier.verifyHandshake(query: Self.query(token: "")) }
    }

    @Test func otherMethodsAreNotAllowed() throws {
        let channel = try makeChannel()
        let error = channelError { _ = try channel.handle(WebhookRequest(method: .put, query: Self.query()), logger: testLogger) }
        #expect(error?.code == .methodNotAllowed)
    }
}
