import ChannelKit
import Foundation

/// How every store writes times and JSON columns, so that their rows read back the same.
package enum StoredValues {
    // MARK: Times: integer milliseconds since 1970

    /// `date` as integer milliseconds since 1970, rounded.
    package static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// The time `milliseconds` after 1970.
    package static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// `date` as it reads back from a store (millisecond precision).
    package static func stored(_ date: Date) -> Date {
        self.date(milliseconds: milliseconds(date))
    }

    // MARK: JSON

    // Written by ``StoredJSON``, the one writer of stored JSON.

    private static let decoder = JSONDecoder()

    /// The value in a JSON column.
    /// - Throws: `StoreError(.corrupt, …)` naming the column when it does not decode.
    package static func decode<Value: Decodable>(_ type: Value.Type, json: String, column: String) throws -> Value {
        do {
            return try decoder.decode(type, from: Data(json.utf8))
        } catch {
            throw StoreError(.corrupt, "\(column) does not decode as \(type): \(error)")
        }
    }

    /// The value of a column holding an enum's raw value.
    /// - Throws: `StoreError(.corrupt, "unknown <what> <name>")` for a name this version does not know.
    package static func named<Value: RawRepresentable>(_ type: Value.Type, _ name: String, what: String) throws -> Value
    where Value.RawValue == String {
        guard let value = Value(rawValue: name) else {
            throw StoreError(.corrupt, "unknown \(what) \(name)")
        }
        return value
    }
}
