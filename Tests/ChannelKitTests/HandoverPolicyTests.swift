import ChannelPipeline
import Testing

@Suite("Handover policy")
struct HandoverPolicyTests {
    @Test("a phrase asks for a person as whole words, in any case, with any punctuation around, in ASCII text and in any other")
    func phrases() {
        let policy = HandoverPolicy(requestPhrases: ["talk to a person", "agente humano", "mensch"])
        for text in ["talk to a person", "Can I TALK to a person, please?", "talk   to\ta\nperson!", "I'd like to talk to a person",
                     "¿Puedo hablar con un AGENTE HUMANO?", "Ich will einen Mensch sprechen 🙏", "pls talk-to-a-person"] {
            #expect(policy.asksForPerson(text), "\(text)")
        }
        for text in ["", "talk to a personal trainer", "stalk to a person", "talk to a per son", "talk to the person",
                     "agentes humanos", "menschlich", "Ich will einen Menschen"] {
            #expect(!policy.asksForPerson(text), "\(text)")
        }
        #expect(!HandoverPolicy(requestPhrases: []).asksForPerson("talk to a person"), "no phrases: never")
        #expect(HandoverPolicy(requestPhrases: ["Don't know"]).asksForPerson("I dont know"), "apostrophes are dropped, not breaks")
    }

    @Test("a channel's own pause, else the common one")
    func pauses() {
        let policy = HandoverPolicy(pause: .seconds(600), pauseByChannel: ["whatsapp": .seconds(60)])
        #expect(policy.pause(for: "whatsapp") == .seconds(60))
        #expect(policy.pause(for: "instagram") == .seconds(600))
    }
}
