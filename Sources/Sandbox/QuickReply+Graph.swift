import ChannelKit
import Foundation
import MetaPlatform

extension QuickReply {
    /// Reads a Send API `message.quick_replies` list the way Graph checks it: at most 13
    /// items, each with `content_type: text`, a title of 1–20 characters and a payload.
    /// - Throws: ``SandboxRefusal`` with Graph's code 100.
    public static func graphList(_ list: MetaJSON?) throws(SandboxRefusal) -> [QuickReply] {
        guard let list, !list.isNull else { return [] }
        guard let items = list.arrayValue, items.count <= 13 else {
            throw .graph("(#100) param message[quick_replies] must be an array of at most 13 items")
        }
        var replies: [QuickReply] = []
        for item in items {
            guard item["content_type"]?.stringValue == "text",
                  let title = item["title"]?.stringValue, !title.isEmpty, title.count <= 20,
                  let payload = item["payload"]?.stringValue, !payload.isEmpty
            else { throw .graph("(#100) each quick reply needs content_type text, a title of 1-20 characters and a payload") }
            replies.append(QuickReply(title: title, payload: payload))
        }
        return replies
    }
}
