import Foundation
import MetaPlatform

/// Instagram webhook bodies shaped and escaped the way Meta sends them (ASCII, `\uXXXX` for
/// non-ASCII, `\/` for `/`), signed with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`.
enum InstagramPayload {
    /// The business account the messages are addressed to.
    static let account = "17841400000000001"

    /// One delivery with one text message.
    static func body(sender: String, mid: String, text: String, timestampMs: Int64) -> [UInt8] {
        let json = #"{"object":"instagram","entry":[{"id":"\#(account)","time":\#(timestampMs),"messaging":[{"sender":{"id":"\#(sender)"},"recipient":{"id":"\#(account)"},"timestamp":\#(timestampMs),"message":{"mid":"\#(mid)","text":"\#(escape(text))"}}]}]}"#
        return Array(json.utf8)
    }

    /// The `X-Hub-Signature-256` header value for `body`.
    static func signature(_ body: [UInt8], secret: String) -> String {
        MetaSignature.sign(body: body, secret: secret)
    }

    /// A sender id shaped like an Instagram-scoped id (16 digits).
    static func sender(_ index: Int) -> String {
        let digits = String(index)
        return "5" + String(repeating: "0", count: max(0, 15 - digits.count)) + digits
    }

    /// A message id, unique per run (`run`) and sequence number, about as long as Meta's.
    static func mid(run: String, sequence: Int) -> String {
        let digits = String(sequence)
        return "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE_bench_\(run)_" + String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }

    /// The text of message `token`: the token the fake Graph API finds again in the echo reply
    /// ("You said: bench <token> …"), then some non-ASCII so that Meta-style escaping is exercised.
    static func text(token: Int) -> String {
        "bench \(token) hello from the load test, \u{E7}a va? \u{1F44B}"
    }

    /// JSON string escaping as Meta does it: non-ASCII as `\uXXXX`, `/` as `\/`.
    static func escape(_ text: String) -> String {
        var out = ""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x2F: out += "\\/"
            case 0x0A: out += "\\n"
            case 0x20..<0x7F: out.append(Character(Unicode.Scalar(unit)!))
            default: out += String(format: "\\u%04x", unit)
            }
        }
        return out
    }
}

/// A run id: a few random letters so that two runs never share message ids.
func makeRunID() -> String {
    let letters = Array("abcdefghijklmnopqrstuvwxyz")
    return String((0..<6).map { _ in letters.randomElement()! })
}

/// Milliseconds since 1970, as Meta's `timestamp`.
func wallClockMs() -> Int64 {
    Int64(Date().timeIntervalSince1970 * 1000)
}
