import Foundation

/// A strict `multipart/form-data` reader for the fake servers: a body that is not exactly
/// delimiter, headers, blank line, content, CRLF, …, closing delimiter is refused (`nil`).
enum Multipart {
    struct Part: Sendable {
        var headers: [String: String]
        var content: [UInt8]

        /// `name` from `Content-Disposition`.
        var name: String? { parameter("name") }
        /// `filename` from `Content-Disposition`.
        var filename: String? { parameter("filename") }
        /// `Content-Type`, if the part has one.
        var contentType: String? { headers["content-type"] }

        private func parameter(_ key: String) -> String? {
            guard let disposition = headers["content-disposition"] else { return nil }
            for item in disposition.split(separator: ";").dropFirst() {
                let pair = item.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == key {
                    let value = pair[1]
                    return value.hasPrefix("\"") && value.hasSuffix("\"") ? String(value.dropFirst().dropLast()) : String(value)
                }
            }
            return nil
        }
    }

    /// The boundary parameter of a `multipart/form-data` content type.
    static func boundary(of contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for item in contentType.split(separator: ";").dropFirst() {
            let pair = item.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == "boundary" { return String(pair[1]).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }

    static func parse(_ body: [UInt8], boundary: String) -> [Part]? {
        let delimiter = Array("--\(boundary)".utf8)
        let crlf: [UInt8] = [13, 10]
        guard body.starts(with: delimiter + crlf) else { return nil }
        var parts: [Part] = []
        var index = delimiter.count + 2
        while true {
            guard let headerEnd = find(crlf + crlf, in: body, from: index) else { return nil }
            var headers: [String: String] = [:]
            for line in String(decoding: body[index..<headerEnd], as: UTF8.self).components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { return nil }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let contentStart = headerEnd + 4
            guard let next = find(crlf + delimiter, in: body, from: contentStart) else { return nil }
            parts.append(Part(headers: headers, content: Array(body[contentStart..<next])))
            index = next + 2 + delimiter.count
            if body[index...].starts(with: Array("--\r\n".utf8)) {
                return index + 4 == body.count ? parts : nil
            }
            guard body[index...].starts(with: crlf) else { return nil }
            index += 2
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count, start <= haystack.count - needle.count else { return nil }
        var position = start
        while position <= haystack.count - needle.count {
            if haystack[position] == needle[0], haystack[position..<(position + needle.count)].elementsEqual(needle) { return position }
            position += 1
        }
        return nil
    }
}
