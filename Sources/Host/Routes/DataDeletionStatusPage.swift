import ChannelKit
import Foundation

/// The page a person reaches from Meta with the confirmation code of their deletion request.
enum DataDeletionStatusPage {
    /// The page for `record`, or the "no such request" page.
    static func render(_ record: ErasureRecord?) -> String {
        let body: String
        if let record {
            body = """
                <h1>Your data has been deleted</h1>
                <p>On \(escape(day(record.erasedAt))) (UTC) Sandra deleted what it held about you: the text of your messages \
                and of its replies, your conversation history and any link to a Sandra profile. Photos and voice messages \
                are never stored.</p>
                <p>Confirmation code: <code>\(escape(record.confirmationCode))</code></p>
                """
        } else {
            body = """
                <h1>No deletion request with this code</h1>
                <p>Check the link you were given; the confirmation code is part of it.</p>
                """
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sandra — data deletion</title>
            <style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}</style>
            </head><body>
            \(body)
            </body></html>
            """
    }

    /// `yyyy-mm-dd hh:mm` in UTC.
    private static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
