/// The proof a worker carries that it still holds the item it claimed: the item's claim epoch
/// when it was claimed (``InboxItem/claimEpoch``). Every claim of an item adds one to its
/// epoch, so a worker whose lease lapsed and was taken over carries an epoch the item no
/// longer has, and each of its writes is refused with `StoreError(.leaseLost, …)`: it sends
/// nothing more.
public struct LeaseFence: Sendable, Hashable {
    /// The claimed item.
    public var itemID: Int64
    /// The item's claim epoch at the claim.
    public var epoch: Int64

    /// Creates a fence.
    public init(itemID: Int64, epoch: Int64) {
        self.itemID = itemID
        self.epoch = epoch
    }

    /// The fence of a claimed item.
    public init(_ item: InboxItem) {
        self.init(itemID: item.id, epoch: item.claimEpoch)
    }
}
