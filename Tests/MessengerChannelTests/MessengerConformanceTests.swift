import ChannelKitTesting
import Testing

@Suite("Messenger conformance")
struct MessengerConformanceTests {
    @Test("the Messenger channel passes the channel conformance suite")
    func conformance() async {
        await ChannelConformance.run(MessengerSubject())
    }
}
