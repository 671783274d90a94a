import ChannelKitTesting
import Testing

@Suite("Instagram conformance")
struct InstagramConformanceTests {
    @Test("the Instagram channel passes the channel conformance suite")
    func conformance() async {
        await ChannelConformance.run(InstagramSubject())
    }
}
