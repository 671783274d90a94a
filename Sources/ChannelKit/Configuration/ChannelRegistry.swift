/// The channel types the host knows, keyed by their `type:` value.
///
/// Built once at start-up, before the server runs; a value type with no locks.
public struct ChannelRegistry: Sendable {
    private var factories: [String: any ChannelFactory] = [:]

    /// Creates an empty registry.
    public init() {}

    /// Registers a channel type. A later registration of the same type replaces the earlier one.
    public mutating func register(_ factory: any ChannelFactory) {
        factories[factory.type] = factory
    }

    /// The factory for a `type:` value.
    public func factory(forType type: String) -> (any ChannelFactory)? { factories[type] }

    /// Every registered type, sorted.
    public var types: [String] { factories.keys.sorted() }
}
