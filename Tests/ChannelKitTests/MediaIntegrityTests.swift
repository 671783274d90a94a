import ChannelKit
import ChannelKitTesting
import ChannelMedia
import Crypto
import Testing

/// The fetcher against what the platform announced: bytes with the announced SHA-256 and
/// size are taken, anything else is refused.
@Suite("Media integrity")
struct MediaIntegrityTests {
    static let url = MediaPreparerTests.cdn + "voice"
    /// These tests are about the bytes, not time: the download's deadline is far beyond what a
    /// loaded machine may keep the in-memory fetch waiting at the start of the run.
    static let policy = MediaPolicy(allowedHosts: ["lookaside.fbsbx.com"], maxBytes: 100_000, timeout: .seconds(600))
    static let fetcher = MediaFetcher(http: MediaPreparerTests.files(), resolver: PublicAddressResolver(), timers: TestThreads.timers)

    static func fetch(sha256: [UInt8]?, byteCount: Int?) async -> Result<MediaData, MediaError> {
        do throws(MediaError) {
            return .success(try await fetcher.fetch(MediaSource(url: url, expectedSHA256: sha256, expectedByteCount: byteCount), policy: policy))
        } catch {
            return .failure(error)
        }
    }

    @Test("bytes with the announced SHA-256 and size are taken")
    func matching() async throws {
        let voice = MediaPreparerTests.voice
        let media = try await Self.fetch(sha256: Array(SHA256.hash(data: voice)), byteCount: voice.count).get()
        #expect(media.bytes == voice)
    }

    @Test("bytes with another SHA-256 or size than announced are refused", arguments: [
        (Array(SHA256.hash(data: [1, 2, 3])), nil),
        (nil, MediaPreparerTests.voice.count + 1),
        ([UInt8](repeating: 0, count: 5), nil),
    ] as [([UInt8]?, Int?)])
    func mismatching(sha256: [UInt8]?, byteCount: Int?) async {
        let result = await Self.fetch(sha256: sha256, byteCount: byteCount)
        guard case .failure(let error) = result else {
            Issue.record("bytes that differ from the announcement were taken")
            return
        }
        #expect(error.code == .integrityMismatch)
        #expect(!error.message.contains(Self.url), "the message names the URL: \(error.message)")
    }
}
