import ChannelKit
import ChannelMedia

/// A resolver for tests whose transport answers in process: every name resolves to one public
/// address, so the media fetcher's allowlist and scheme rules decide alone and no test waits
/// on DNS. Nothing ever connects to the address.
///
/// ```swift
/// let fetcher = MediaFetcher(http: FakePlatformAPI(subject: subject), resolver: PublicAddressResolver(), timers: TestThreads.timers)
/// ```
public struct PublicAddressResolver: HostResolver {
    /// The address every name resolves to.
    public static let address = IPAddress("93.184.215.14")!

    /// Creates the resolver.
    public init() {}

    /// ``address``, for any name.
    public func addresses(of host: String) async throws -> [IPAddress] { [Self.address] }
}
