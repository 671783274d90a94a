import ChannelKit
import ChannelPipeline
import Foundation
import Testing

/// Realistic Instagram webhook bodies (valid JSON), one per event kind.
@Suite("Webhook parsing")
struct WebhookParsingTests {
    static let account = "17841405309211844"
    static let user = "1254459154682919"
    static let mid = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1MzA5MjExODQ0OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTIwOTkxNjU5NDY1ODg1NToyMjQ4MzQ2MzYyNzUwNTUzNjAwNTQ0ODk5NzM0MzUxOTk5OAZDZD"

    /// One messaging item from the user with `payload` after the envelope keys.
    static func item(_ payload: String, sender: String = user, recipient: String = account, timestamp: Int64 = 1569262486134) -> String {
        #"{"sender":{"id":"\#(sender)"},"recipient":{"id":"\#(recipient)"},"timestamp":\#(timestamp),\#(payload)}"#
    }

    // MARK: Messages

    @Test func text() throws {
        let event = try singleEvent(envelope(messaging: Self.item(#""message":{"mid":"\#(Self.mid)","text":"Hello Sandra, caf\u00e9 at 5\/6?"}"#)))
        #expect(event.channel == "instagram")
        #expect(event.accountID == Self.account)
        #expect(event.senderID == Self.user)
        #expect(event.platformMessageID == Self.mid)
        #expect(event.timestamp == date(ms: 1569262486134))
        #expect(event.isAnswerable)
        let message = try message(of: event)
        #expect(message.text == "Hello Sandra, café at 5/6?")
        #expect(message.attachments.isEmpty)
        #expect(message.quickReplyPayload == nil && message.replyTo == nil && message.referral == nil)
    }

    @Test func timestampFallsBackToEntryTime() throws {
        let body = #"{"object":"instagram","entry":[{"time":1569262486200,"id":"\#(Self.account)","messaging":[{"sender":{"id":"\#(Self.user)"},"recipient":{"id":"\#(Self.account)"},"message":{"mid":"m1","text":"hi"}}]}]}"#
        #expect(try singleEvent(body).timestamp == date(ms: 1569262486200))
    }

    @Test(arguments: [
        ("image", ChannelKit.Attachment.Kind.image), ("audio", .audio), ("video", .video), ("file", .file),
        ("share", .share), ("ig_post", .share), ("ig_reel", .reel), ("reel", .reel),
        ("ig_story", .story), ("story", .story),
        ("sticker", .sticker), ("unsupported_type", .unsupported), ("media", .other), ("brand_new_type", .other),
    ])
    func attachmentTypes(_ type: String, _ kind: ChannelKit.Attachment.Kind) throws {
        let url = #"https:\/\/lookaside.fbsbx.com\/ig_messaging_cdn\/?asset_id=17997515821557846&signature=Aby"#
        let body = envelope(messaging: Self.item(#""message":{"mid":"m-\#(type)","attachments":[{"type":"\#(type)","payload":{"url":"\#(url)","title":"Caption \u2728"}}]}"#))
        let message = try message(of: try singleEvent(body))
        let attachment = try #require(message.attachments.first)
        #expect(attachment.kind == kind)
        #expect(attachment.platformType == type)
        #expect(attachment.url == "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17997515821557846&signature=Aby")
        #expect(attachment.title == "Caption ✨")
        #expect(message.text == nil)
    }

    /// A story mention as Meta delivers it: an attachment of type `story_mention` and nothing else.
    static let storyMention = item(#""message":{"mid":"m-mention","attachments":[{"type":"story_mention","payload":{"url":"https:\/\/lookaside.fbsbx.com\/ig_messaging_cdn\/?asset_id=555&signature=Ab"}}]}"#)

    @Test("a story mention is recorded and not answered by default: it is a notification, not a question")
    func storyMentionIsRecordedNotAnswered() throws {
        let event = try singleEvent(envelope(messaging: Self.storyMention))
        #expect(try ignored(event) == IgnoredEvent(reason: .mention, targetMessageID: "m-mention", detail: "story_mention"))
        #expect(!event.isAnswerable)
    }

    @Test("with story_mention_reply set, a story mention is answered with that text, never by the assistant")
    func storyMentionGetsTheConfiguredThanks() throws {
        let all = try events(envelope(messaging: Self.storyMention), settings: settings(["story_mention_reply": " Thanks for the mention! "]))
        let thanked = try message(of: try #require(all.first))
        #expect(thanked.automaticReply == "Thanks for the mention!")
        #expect(thanked.attachments.map(\.platformType) == ["story_mention"])
        // Text beside a mention is a message like any other.
        let withText = try singleEvent(envelope(messaging: Self.item(#""message":{"mid":"m-2","text":"look!","attachments":[{"type":"story_mention","payload":{"url":"https:\/\/lookaside.fbsbx.com\/x"}}]}"#)))
        #expect(try message(of: withText).automaticReply == nil)
    }

    @Test(arguments: ["share", "ig_reel", "ig_story", "file", "video", "unsupported_type"])
    func attachmentsSandraCannotReadAreAnswered(_ type: String) throws {
        // Reels, stories, shares and files reach the pipeline as messages (its first step tells
        // the person what Sandra can read), never as silence.
        let event = try singleEvent(envelope(messaging: Self.item(#""message":{"mid":"m-\#(type)","attachments":[{"type":"\#(type)","payload":{"url":"https:\/\/lookaside.fbsbx.com\/ig_messaging_cdn\/?asset_id=1"}}]}"#)))
        #expect(event.isAnswerable)
        let unreadable = try message(of: event)
        #expect(ReadableMessageStep.hasNothingReadable(UserMessage(text: unreadable.text ?? "", attachments: unreadable.attachments)))
    }

    @Test func attachmentsWithoutURL() throws {
        let body = envelope(messaging: Self.item(#""message":{"mid":"m-x","attachments":[{"type":"ephemeral"},{"type":"like_heart"}]}"#))
        let attachments = try message(of: try singleEvent(body)).attachments
        #expect(attachments == [
            ChannelKit.Attachment(kind: .unsupported, platformType: "ephemeral"),
            ChannelKit.Attachment(kind: .sticker, platformType: "like_heart"),
        ])
    }

    @Test func postShareWithTwoAttachmentsAndReelPayload() throws {
        let body = envelope(messaging: Self.item(#""message":{"mid":"m-share","attachments":[{"type":"share","payload":{"url":"https:\/\/lookaside.fbsbx.com\/ig_messaging_cdn\/?asset_id=1"}},{"type":"ig_post","payload":{"ig_post_media_id":"18033","title":"Sunset","url":"https:\/\/scontent.cdninstagram.com\/v\/t51.jpg"}},{"type":"ig_reel","payload":{"reel_video_id":"9876","title":"Reel","url":"https:\/\/lookaside.fbsbx.com\/ig_messaging_cdn\/?asset_id=2"}}]}"#))
        let attachments = try message(of: try singleEvent(body)).attachments
        #expect(attachments.map(\.platformType) == ["share", "ig_post", "ig_reel"])
        #expect(attachments.map(\.kind) == [.share, .share, .reel])
        #expect(attachments[1].url == "https://scontent.cdninstagram.com/v/t51.jpg")
        #expect(attachments[1].title == "Sunset")
    }

    @Test func quickReply() throws {
        let body = envelope(messaging: Self.item(#""message":{"mid":"m-qr","text":"Yes please","quick_reply":{"payload":"CONFIRM_YES"}}"#))
        let message = try message(of: try singleEvent(body))
        #expect(message.text == "Yes please")
        #expect(message.quickReplyPayload == "CONFIRM_YES")
    }

    @Test func inlineReply() throws {
        let body = envelope(messaging: Self.item(#""message":{"mid":"m-reply","text":"this one","reply_to":{"mid":"m-earlier"}}"#))
        #expect(try message(of: try singleEvent(body)).replyTo == .message(id: "m-earlier"))
    }

    @Test func storyReply() throws {
        let body = envelope(messaging: Self.item(#""message":{"mid":"m-story","text":"Love it \ud83d\ude0d","reply_to":{"story":{"url":"https:\/\/lookaside.fbsbx.com\/ig_messaging_cdn\/?asset_id=3","id":"17890455"}}}"#))
        let message = try message(of: try singleEvent(body))
        #expect(message.text == "Love it 😍")
        #expect(message.replyTo == .story(id: "17890455", url: "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=3"))
    }

    @Test func messageReferralFromAnAd() throws {
        let body = envelope(messaging: Self.item(#""message":{"mid":"m-ad","text":"Is this available?","referral":{"ref":"summer_sale","ad_id":"23851","source":"ADS","type":"OPEN_THREAD","ads_context_data":{"ad_title":"Summer","photo_url":"https:\/\/scontent.xx.fbcdn.net\/p.jpg"}}}"#))
        let message = try message(of: try singleEvent(body))
        #expect(message.referral == Referral(ref: "summer_sale", source: "ADS", type: "OPEN_THREAD"))
        #expect(message.text == "Is this available?")
    }

    // MARK: Ignored kinds

    @Test func echoBelongsToTheRecipientsConversation() throws {
        let body = envelope(messaging: Self.item(#""message":{"mid":"m-echo","text":"Sandra's reply","is_echo":true}"#, sender: Self.account, recipient: Self.user))
        let event = try singleEvent(body)
        #expect(event.senderID == Self.user)
        #expect(event.accountID == Self.account)
        #expect(event.platformMessageID == "m-echo")
        // No app id to tell this host's own send from a person's: the pipeline decides, by the
        // message id its send got back.
        #expect(event.kind == .echo(Echo(text: "Sandra's reply")))
        #expect(!event.isAnswerable && event.takesTurn)
    }

    @Test func echoWithTheConfiguredAppIDIsThisHostsOwn() throws {
        let configured = settings(["app_id": "1517776481860111"])
        let own = envelope(messaging: Self.item(#""message":{"mid":"m-own-echo","is_echo":true,"app_id":1517776481860111,"text":"hi"}"#,
                                                sender: Self.account, recipient: Self.user))
        let other = envelope(messaging: Self.item(#""message":{"mid":"m-app-echo","is_echo":true,"app_id":263902037430900,"text":"Ana here"}"#,
                                                  sender: Self.account, recipient: Self.user))
        #expect(try events(own, settings: configured).map(\.kind) == [.ignored(IgnoredEvent(reason: .echo, targetMessageID: "m-own-echo"))])
        #expect(try events(other, settings: configured).map(\.kind) == [.echo(Echo(text: "Ana here", appID: "263902037430900"))])
        #expect(throws: ChannelError.self) { try makeChannel(settings(["app_id": "not-a-number"])) }
    }

    @Test func messageFromTheOwnAccount() throws {
        let body = envelope(messaging: Self.item(#""message":{"mid":"m-own","text":"note to self"}"#, sender: Self.account, recipient: Self.account))
        let event = try singleEvent(body)
        #expect(try ignored(event).reason == .ownAccount)
        #expect(event.platformMessageID == "m-own")
    }

    @Test func isSelfMessage() throws {
        let body = envelope(messaging: Self.item(#""message":{"mid":"m-self","text":"test","is_self":true}"#))
        #expect(try ignored(try singleEvent(body)).reason == .ownAccount)
    }

    @Test func deletedMessage() throws {
        let event = try singleEvent(envelope(messaging: Self.item(#""message":{"mid":"m-gone","is_deleted":true}"#)))
        #expect(try ignored(event) == IgnoredEvent(reason: .delete, targetMessageID: "m-gone"))
        #expect(event.platformMessageID == "delete:m-gone")
    }

    @Test func unsupportedMessageIsAnsweredAsUnreadable() throws {
        let event = try singleEvent(envelope(messaging: Self.item(#""message":{"mid":"m-unsup","is_unsupported":true}"#)))
        #expect(try message(of: event).attachments == [ChannelKit.Attachment(kind: .unsupported, platformType: "is_unsupported")])
        #expect(event.isAnswerable)
        #expect(event.platformMessageID == "m-unsup")
    }

    @Test func read() throws {
        let event = try singleEvent(envelope(messaging: Self.item(#""read":{"mid":"m-read"}"#, timestamp: 1569262486999)))
        #expect(try ignored(event) == IgnoredEvent(reason: .read, targetMessageID: "m-read"))
        #expect(event.platformMessageID == "read:m-read:\(Self.user):1569262486999")
    }

    @Test func reactionAndUnreact() throws {
        let react = Self.item(#""reaction":{"mid":"m-liked","action":"react","reaction":"love","emoji":"\u2764\ufe0f"}"#, timestamp: 1569262487000)
        let unreact = Self.item(#""reaction":{"mid":"m-liked","action":"unreact"}"#, timestamp: 1569262488000)
        let all = try events(envelope(messaging: react + "," + unreact))
        #expect(all.count == 2)
        #expect(try ignored(all[0]) == IgnoredEvent(reason: .reaction, targetMessageID: "m-liked", detail: "react ❤️"))
        #expect(all[0].platformMessageID == "reaction:m-liked:react:1569262487000")
        #expect(try ignored(all[1]) == IgnoredEvent(reason: .reaction, targetMessageID: "m-liked", detail: "unreact"))
        #expect(all[1].platformMessageID == "reaction:m-liked:unreact:1569262488000")
    }

    @Test func edit() throws {
        let event = try singleEvent(envelope(messaging: Self.item(#""message_edit":{"mid":"m-edited","text":"secret new text","num_edit":2}"#)))
        let record = try ignored(event)
        #expect(record.reason == .edit)
        #expect(record.targetMessageID == "m-edited")
        #expect(record.detail?.contains("secret") != true)
        #expect(event.platformMessageID == "edit:m-edited:2")
    }

    @Test func postbackWithMidAndReferral() throws {
        let body = envelope(messaging: Self.item(#""postback":{"mid":"m-pb","title":"Get started","payload":"ICEBREAKER_1","referral":{"ref":"promo","source":"SHORTLINK","type":"OPEN_THREAD"}}"#))
        let event = try singleEvent(body)
        #expect(event.kind == .postback(Postback(title: "Get started", payload: "ICEBREAKER_1", referral: Referral(ref: "promo", source: "SHORTLINK", type: "OPEN_THREAD"))))
        #expect(event.platformMessageID == "m-pb")
        #expect(event.isAnswerable)
    }

    @Test func postbackWithoutMid() throws {
        let event = try singleEvent(envelope(messaging: Self.item(#""postback":{"title":"Menu","payload":"MENU"}"#, timestamp: 1569262486500)))
        #expect(event.platformMessageID == "postback:\(Self.user):1569262486500")
        #expect(event.kind == .postback(Postback(title: "Menu", payload: "MENU")))
    }

    @Test func referralIntoAnExistingThread() throws {
        let event = try singleEvent(envelope(messaging: Self.item(#""referral":{"ref":"igme_link","source":"SHORTLINK","type":"OPEN_THREAD"}"#)))
        #expect(try ignored(event).reason == .referral)
        #expect(event.platformMessageID == "referral:\(Self.user):1569262486134")
    }

    @Test(arguments: [("pass_thread_control", ThreadControl.Action.pass), ("take_thread_control", .take), ("release_thread_control", .release)])
    func handover(_ key: String, _ action: ThreadControl.Action) throws {
        let item = #""\#(key)":{"previous_owner_app_id":"1517776481860111","new_owner_app_id":"263902037430900","metadata":"x"}"#
        let event = try singleEvent(envelope(messaging: Self.item(item)))
        #expect(event.kind == .control(ThreadControl(action: action, appID: "263902037430900", previousAppID: "1517776481860111", metadata: "x")))
        #expect(event.platformMessageID == "handover:\(key):\(Self.user):1569262486134")
        #expect(event.senderID == Self.user && !event.isAnswerable && event.takesTurn)
    }

    @Test func requestForThreadControl() throws {
        let event = try singleEvent(envelope(messaging: Self.item(#""request_thread_control":{"requested_owner_app_id":"777","metadata":"please"}"#)))
        #expect(event.kind == .control(ThreadControl(action: .request, appID: "777", metadata: "please")))
    }

    @Test func unknownKey() throws {
        let event = try singleEvent(envelope(messaging: Self.item(#""optin":{"ref":"x"}"#)))
        #expect(try ignored(event) == IgnoredEvent(reason: .unknown, detail: "optin"))
    }

    @Test func standby() throws {
        let body = #"{"object":"instagram","entry":[{"time":1569262486200,"id":"\#(Self.account)","standby":[\#(Self.item(#""message":{"mid":"m-standby","text":"hello other app"}"#))]}]}"#
        let event = try singleEvent(body)
        #expect(event.senderID == Self.user)
        #expect(try ignored(event).reason == .standby)
        #expect(try ignored(event).targetMessageID == "m-standby")
        #expect(event.platformMessageID == "standby:m-standby")
    }

    @Test func dashboardTestPayloadIsChangesShaped() throws {
        let body = #"{"object":"instagram","entry":[{"id":"0","time":1730000000000,"changes":[{"field":"messages","value":{"sender":{"id":"12334"},"recipient":{"id":"23245"},"timestamp":"1527459824","message":{"mid":"random_mid","text":"random_text"}}}]}]}"#
        let event = try singleEvent(body)
        #expect(event.accountID == "0")
        #expect(event.senderID == "12334")
        #expect(event.platformMessageID == "random_mid")
        #expect(event.timestamp == date(ms: 1527459824000))
        #expect(try message(of: event).text == "random_text")
    }

    @Test func otherChangesAreUnknown() throws {
        let body = #"{"object":"instagram","entry":[{"id":"\#(Self.account)","time":1730000000000,"changes":[{"field":"comments","value":{"from":{"id":"232323","username":"someone"},"media":{"id":"123123"},"id":"17865799348089039","text":"nice post"}}]}]}"#
        let event = try singleEvent(body)
        #expect(try ignored(event).reason == .unknown)
        #expect(event.platformMessageID == "change:comments:17865799348089039")
        #expect(event.senderID == "232323")
    }

    // MARK: Batches

    @Test func batchOfTwoEntriesWithThreeItemsEachKeepsOrder() throws {
        func entry(_ account: String, _ prefix: String) -> String {
            let items = (1...3).map { index in
                Self.item(#""message":{"mid":"\#(prefix)-\#(index)","text":"\#(prefix) \#(index)"}"#, sender: "user-\(prefix)", recipient: account, timestamp: 1700000000000 + Int64(index))
            }
            return #"{"time":1700000000999,"id":"\#(account)","messaging":[\#(items.joined(separator: ","))]}"#
        }
        let body = #"{"object":"instagram","entry":[\#(entry("acct-a", "a")),\#(entry("acct-b", "b"))]}"#
        let all = try events(body)
        #expect(all.map(\.platformMessageID) == ["a-1", "a-2", "a-3", "b-1", "b-2", "b-3"])
        #expect(all.map(\.accountID) == ["acct-a", "acct-a", "acct-a", "acct-b", "acct-b", "acct-b"])
        #expect(all.map(\.senderID) == ["user-a", "user-a", "user-a", "user-b", "user-b", "user-b"])
        #expect(try all.map { try message(of: $0).text } == ["a 1", "a 2", "a 3", "b 1", "b 2", "b 3"])
    }

    @Test func emptyEntryListGivesNoEvents() throws {
        #expect(try events(#"{"object":"instagram","entry":[]}"#).isEmpty)
    }

    @Test func derivedIDsNeverCollideWithMessageIDs() throws {
        let items = [
            Self.item(#""message":{"mid":"X","text":"hi"}"#, timestamp: 1),
            Self.item(#""read":{"mid":"X"}"#, timestamp: 2),
            Self.item(#""reaction":{"mid":"X","action":"react","reaction":"love"}"#, timestamp: 3),
            Self.item(#""message_edit":{"mid":"X","text":"hey","num_edit":1}"#, timestamp: 4),
            Self.item(#""message":{"mid":"X","is_deleted":true}"#, timestamp: 5),
        ]
        let ids = try events(envelope(messaging: items.joined(separator: ","))).map(\.platformMessageID)
        #expect(ids.count == 5)
        #expect(Set(ids).count == 5)
    }

    // MARK: Malformed

    @Test(arguments: [
        ("not JSON", #"{"object":"instagram","entry":[{"#),
        ("not an object", #"[{"object":"instagram","entry":[]}]"#),
        ("other object", #"{"object":"page","entry":[]}"#),
        ("missing object", #"{"entry":[]}"#),
        ("entry not an array", #"{"object":"instagram","entry":{"id":"1"}}"#),
        ("missing entry", #"{"object":"instagram"}"#),
    ])
    func bodiesThatAreNoWebhookAreRefused(_ label: String, _ body: String) throws {
        let channel = try makeChannel()
        let error = channelError { _ = try channel.handle(signedDelivery(body), logger: testLogger) }
        #expect(error?.code == .malformedPayload, "\(label)")
    }

    @Test(arguments: [
        ("entry item not an object", #"["x"]"#),
        ("entry without id", #"[{"time":1,"messaging":[]}]"#),
        ("messaging not an array", #"[{"id":"1","time":1,"messaging":{"sender":{"id":"2"}}}]"#),
        ("item without sender id", #"[{"id":"1","time":1,"messaging":[{"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m","text":"private words"}}]}]"#),
        ("message without mid", #"[{"id":"1","time":1,"messaging":[{"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"message":{"text":"private words"}}]}]"#),
        ("message not an object", #"[{"id":"1","time":1,"messaging":[{"sender":{"id":"2"},"timestamp":1,"message":"private words"}]}]"#),
        ("attachments not an array", #"[{"id":"1","time":1,"messaging":[{"sender":{"id":"2"},"timestamp":1,"message":{"mid":"m","text":"private words","attachments":{"type":"image"}}}]}]"#),
        ("no timestamp anywhere", #"[{"id":"1","messaging":[{"sender":{"id":"2"},"message":{"mid":"m","text":"private words"}}]}]"#),
        ("echo without recipient", #"[{"id":"1","time":1,"messaging":[{"sender":{"id":"1"},"timestamp":1,"message":{"mid":"m","text":"private words","is_echo":true}}]}]"#),
        ("change value not an object", #"[{"id":"1","time":1,"changes":[{"field":"messages","value":"private words"}]}]"#),
    ])
    func unreadableItemsAreRecordedBesideTheGoodOnes(_ label: String, _ entries: String) throws {
        // The unreadable item comes first, a good message from another entry after it.
        let good = #"{"id":"1","time":2,"messaging":[{"sender":{"id":"9"},"recipient":{"id":"1"},"timestamp":2,"message":{"mid":"good","text":"hello"}}]}"#
        let inner = String(entries.dropFirst().dropLast())
        let body = #"{"object":"instagram","entry":["# + inner + "," + good + "]}"
        let all = try events(body)
        #expect(all.count == 2, "\(label)")
        let unreadable = try ignored(#require(all.first))
        #expect(unreadable.reason == .malformed, "\(label)")
        #expect(unreadable.detail?.contains("private words") == false, "\(label): the reason must not contain message text")
        #expect(all.last?.platformMessageID == "good" && all.last?.isAnswerable == true, "\(label)")
    }
}
