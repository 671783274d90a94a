import ChannelKit
import ChannelPipeline
import Foundation
import Testing
@testable import ChannelHost

/// The `handover:` section of `channels.yaml`.
@Suite("handover: in channels.yaml")
struct HandoverConfigurationTests {
    static func load(_ yaml: String, environment: [String: String] = [:]) throws(ConfigurationError) -> HostConfiguration {
        try ConfigurationLoader(registry: .builtin, environment: environment).load(yaml: yaml, file: "channels.yaml")
    }

    static let channels = """
        channels:
          instagram: { type: instagram, sandbox: true }
          whatsapp: { type: whatsapp, sandbox: true }
        """

    @Test("absent: 30 minutes after a person's reply, the default phrases and reply, a day's wait after a request")
    func defaults() throws {
        let policy = try Self.load("").handover.policy
        #expect(policy == HandoverPolicy())
        #expect(policy.pause(for: "instagram") == .seconds(30 * 60))
        #expect(policy.asksForPerson("Can I talk to a person?"))
        #expect(!policy.asksForPerson("a personal question"))
        #expect(policy.requestPause == .seconds(24 * 3600))
    }

    @Test("every key is read, from the environment too; a channel's own pause; an empty phrase list turns requests off")
    func readsEveryKey() throws {
        let policy = try Self.load("""
            handover:
              pause_minutes: ${PAUSE:-30}
              request_phrases: []
              request_reply: "Un instant, je préviens l'équipe."
              request_pause_minutes: 120
              channels:
                whatsapp: { pause_minutes: 5 }
            \(Self.channels)
            """, environment: ["PAUSE": "45"]).handover.policy
        #expect(policy.pause(for: "instagram") == .seconds(45 * 60))
        #expect(policy.pause(for: "whatsapp") == .seconds(5 * 60))
        #expect(!policy.asksForPerson("talk to a person"))
        #expect(policy.requestReply == "Un instant, je préviens l'équipe.")
        #expect(policy.requestPause == .seconds(120 * 60))

        let phrases = try Self.load("handover: { request_phrases: \"agente humano, Persona Real\" }").handover.policy
        #expect(phrases.asksForPerson("¿Puedo hablar con un AGENTE humano?"))
        #expect(phrases.asksForPerson("persona real, por favor"))
        #expect(!phrases.asksForPerson("talk to a person"))
    }

    @Test("bad values, unknown keys and unknown channels are reported with their line and key")
    func badValues() throws {
        do {
            _ = try Self.load("""
                handover:
                  pause_minutes: -1
                  request_pause_minutes: soon
                  pauses: 3
                  channels:
                    telegram: { pause_minutes: 10 }
                    whatsapp: { pause_minutes: 10, extra: 1 }
                \(Self.channels)
                """)
            Issue.record("expected the configuration to be rejected")
        } catch {
            let byKey = Dictionary(error.problems.map { ($0.keyPath, $0) }, uniquingKeysWith: { first, _ in first })
            #expect(byKey["handover.pause_minutes"]?.line == 2)
            #expect(byKey["handover.request_pause_minutes"]?.line == 3)
            #expect(byKey["handover.pauses"]?.line == 4)
            #expect(byKey["handover.channels.telegram"]?.message.contains("no channel named 'telegram'") == true)
            #expect(byKey["handover.channels.telegram"]?.line == 6)
            #expect(byKey["handover.channels.whatsapp.extra"]?.line == 7, "\(error.problems)")
        }
    }
}
