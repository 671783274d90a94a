import Foundation

/// The rows of the JSON phase (6): per webhook body, the hand-written reader against
/// `JSONDecoder` into `Codable` models; per stored event, writing and reading its JSON.
extension Report {
    static func jsonRows(_ r: [String: String]) -> [String] {
        func num(_ key: String) -> Double { Double(r[key] ?? "") ?? 0 }
        var lines: [String] = []
        var index = 0
        while let name = r["json.body\(index).name"] {
            let reader = num("json.body\(index).reader_ns")
            let codable = num("json.body\(index).codable_ns")
            let ratio = reader > 0 ? String(format: "%.2f×", codable / reader) : "?"
            lines.append("| JSON: \(name) webhook (\(int(num("json.body\(index).bytes"))) B), CPU per parse | hand-written reader \(micros(reader)) · "
                         + "`JSONDecoder` into `Codable` models \(micros(codable)) (\(ratio)) | — | — | — |")
            index += 1
        }
        if r["json.stored_encode_ns"] != nil {
            lines.append("| JSON: one stored event, CPU | written (`StoredJSON.encode`) \(micros(num("json.stored_encode_ns"))) · "
                         + "by `JSONEncoder` instead \(micros(num("json.stored_jsonencoder_ns"))) · "
                         + "read back (`JSONDecoder`) \(micros(num("json.stored_decode_ns"))) | — | — | — |")
        }
        return lines
    }

    private static func micros(_ nanoseconds: Double) -> String {
        String(format: "%.1f µs", nanoseconds / 1000)
    }
}
