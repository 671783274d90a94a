import Foundation

extension Duration {
    /// The duration in seconds, as a `TimeInterval`: for the pipeline's and the identity
    /// flow's clock arithmetic (package-wide, not part of the API).
    package var seconds: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
