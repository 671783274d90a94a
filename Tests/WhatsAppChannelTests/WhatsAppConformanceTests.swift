import ChannelKitTesting
import Testing

@Suite("WhatsApp conformance")
struct WhatsAppConformanceTests {
    @Test("the WhatsApp channel passes the channel conformance suite")
    func conformance() async {
        await ChannelConformance.run(WhatsAppSubject())
    }
}
