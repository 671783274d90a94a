extension MetaJSON {
    /// The number, when this is an integer or a double.
    public var numberValue: Double? {
        switch self {
        case .integer(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }
}
