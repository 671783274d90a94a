import ChannelKit
import ChannelPipeline
import Foundation
import HTTPTypes
import MetaPlatform
import Testing
import WhatsAppChannel

/// Business-scoped user ids, id changes, messages Sandra cannot read, and items the parser
/// does not understand — in the payload shapes Meta documents (Cloud API webhooks reference,
/// the BSUID guide updated 2026-11-05, system messages reference updated 2026-08-11).
@Suite("WhatsApp identities and unreadable items")
struct IdentityAndUnreadableTests {
    static let bsuid = "US.13491208655302741918"
    static let phone = "16505551234"

    @Test("a message with from and from_user_id is keyed on the BSUID, with the phone number as the other id and the reply address")
    func bsuidWithPhone() throws {
        let body = envelope(#""contacts":[{"profile":{"name":"Kerry","username":"@kerry"},"wa_id":"\#(Self.phone)","user_id":"\#(Self.bsuid)"}],"messages":[{"from":"\#(Self.phone)","from_user_id":"\#(Self.bsuid)","id":"wamid.b1","timestamp":"1749416383","type":"text","text":{"body":"hi"}}]"#)
        let event = try singleEvent(body)
        #expect(event.senderID == Self.bsuid)
        #expect(event.alternativeSenderIDs == [Self.phone])
        #expect(event.replyAddress == Self.phone, "Meta prefers sending to the phone number when it is known")
        #expect(event.recipient.userID == Self.phone)
    }

    @Test("a person with a username arrives without from: the BSUID is the sender and the reply address")
    func bsuidOnly() throws {
        let body = envelope(#""contacts":[{"profile":{"name":"Kerry","username":"@kerry"},"user_id":"\#(Self.bsuid)"}],"messages":[{"from_user_id":"\#(Self.bsuid)","id":"wamid.b2","timestamp":"1749416383","type":"text","text":{"body":"hi"}}]"#)
        let event = try singleEvent(body)
        #expect(event.senderID == Self.bsuid)
        #expect(event.alternativeSenderIDs.isEmpty)
        #expect(event.recipient.userID == Self.bsuid)
        #expect(try message(of: event).text == "hi")
        // The BSUID may come only in contacts[].
        let fromContacts = try singleEvent(envelope(#""contacts":[{"wa_id":"\#(Self.phone)","user_id":"\#(Self.bsuid)"}],"messages":[\#(messageItem(id: "wamid.b3", type: "text", #"{"body":"x"}"#))]"#))
        #expect(fromContacts.senderID == Self.bsuid && fromContacts.alternativeSenderIDs == [Self.phone])
    }

    @Test("a status to a BSUID is keyed on recipient_user_id")
    func statusWithBSUID() throws {
        let event = try singleEvent(envelope(#""statuses":[{"id":"wamid.out","status":"delivered","timestamp":"1749416391","recipient_id":"\#(Self.phone)","recipient_user_id":"\#(Self.bsuid)"}]"#))
        #expect(event.senderID == Self.bsuid && event.alternativeSenderIDs == [Self.phone])
        #expect(!event.isAnswerable)
    }

    @Test("user_changed_user_id has no from: recorded with the old BSUID as the sender and the new one beside it, not refused")
    func userChangedUserID() throws {
        let item = #"{"from_user_id":"US.111","id":"wamid.sys1","timestamp":"1749416383","type":"system","system":{"body":"User Kerry changed from US.111 to US.222","user_id":"US.222","type":"user_changed_user_id"}}"#
        let event = try singleEvent(envelope(#""messages":[\#(item)]"#))
        #expect(event.senderID == "US.111")
        #expect(event.alternativeSenderIDs == ["US.222"])
        #expect(try ignored(event) == IgnoredEvent(reason: .identityChange, targetMessageID: "wamid.sys1", detail: "user_changed_user_id"))
        // Without from_user_id the old id is read from the body.
        let bare = #"{"id":"wamid.sys2","timestamp":"1749416383","type":"system","system":{"body":"User Kerry changed from US.333 to US.444","user_id":"US.444","type":"user_changed_user_id"}}"#
        let fromBody = try singleEvent(envelope(#""messages":[\#(bare)]"#))
        #expect(fromBody.senderID == "US.333" && fromBody.alternativeSenderIDs == ["US.444"])
    }

    @Test("user_changed_number names the old and the new phone number")
    func userChangedNumber() throws {
        let item = #"{"from":"16505551234","id":"wamid.sys3","timestamp":"1739321024","type":"system","system":{"body":"User Kerry changed from 16505551234 to 12195555358","wa_id":"12195555358","type":"user_changed_number"}}"#
        let event = try singleEvent(envelope(#""messages":[\#(item)]"#))
        #expect(event.senderID == "16505551234" && event.alternativeSenderIDs == ["12195555358"])
        #expect(try ignored(event).reason == .identityChange)
    }

    @Test(arguments: [
        ("unsupported", #"{"from":"16505551234","id":"wamid.u1","timestamp":"1749416383","type":"unsupported","errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown","error_data":{"details":"Message type is currently not supported."}}],"unsupported":{"type":"edit"}}"#),
        ("order", #"{"from":"16505551234","id":"wamid.o1","timestamp":"1749416383","type":"order","order":{"catalog_id":"cat-1","text":"please","product_items":[{"product_retailer_id":"sku-1","quantity":1,"item_price":10000,"currency":"COP"}]}}"#),
        ("interactive:nfm_reply", #"{"from":"16505551234","id":"wamid.n1","timestamp":"1749416383","type":"interactive","interactive":{"type":"nfm_reply","nfm_reply":{"name":"flow","response_json":"{}"}}}"#),
        ("brand_new_type", #"{"from":"16505551234","id":"wamid.x1","timestamp":"1749416383","type":"brand_new_type","brand_new_type":{}}"#),
    ])
    func typesSandraCannotReadAreAnswered(_ label: String, _ item: String) throws {
        let event = try singleEvent(envelope(#""messages":[\#(item)]"#))
        #expect(event.isAnswerable, "\(label)")
        let unreadable = try message(of: event)
        #expect(unreadable.attachments.map(\.kind) == [.unsupported], "\(label)")
        #expect(unreadable.attachments.first?.platformType.hasPrefix(label.split(separator: ":").first.map(String.init) ?? label) == true, "\(label)")
        #expect(ReadableMessageStep.hasNothingReadable(UserMessage(text: unreadable.text ?? "", attachments: unreadable.attachments)), "\(label)")
    }

    @Test("button and list replies give the assistant the id as the payload beside the title")
    func interactiveRepliesCarryTheirID() throws {
        let list = try message(of: singleEvent(envelope(#""messages":[\#(messageItem(type: "interactive", #"{"type":"list_reply","list_reply":{"id":"slot-tue-10","title":"Tuesday","description":"10am"}}"#))]"#)))
        #expect(list.text == "Tuesday" && list.quickReplyPayload == "slot-tue-10")
        #expect(!ReadableMessageStep.hasNothingReadable(UserMessage(text: list.text ?? "", payload: list.quickReplyPayload)))
    }

    @Test("a delivery mixing an item the parser does not understand with a good one: the good one is accepted, the other recorded with its reason")
    func mixedDelivery() async throws {
        let channel = try makeChannel()
        let broken = #"{"id":"wamid.bad","timestamp":"1749416383","type":"text","text":{"body":"private words"}}"#
        let good = messageItem(id: "wamid.good", type: "text", #"{"body":"hello"}"#)
        let noMetadata = #"{"value":{"messaging_product":"whatsapp","messages":[\#(good)]},"field":"messages"}"#
        let body = #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[\#(noMetadata),{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"\#(TestSecrets.phoneNumberID)"},"messages":[\#(broken),\#(good)]},"field":"messages"}]},"not an entry"]}"#
        guard case .events(let all) = try channel.handle(signedDelivery(body), logger: testLogger) else {
            Issue.record("expected events")
            return
        }
        #expect(all.count == 4)
        let unreadable = all.compactMap { event -> IgnoredEvent? in
            if case .ignored(let ignored) = event.kind, ignored.reason == .malformed { return ignored }
            return nil
        }
        #expect(unreadable.count == 3, "the change without metadata, the message without a sender, the entry that is not an object")
        #expect(unreadable.allSatisfy { $0.detail?.contains("private words") == false })
        #expect(unreadable.contains { $0.detail?.contains("from is missing") == true })
        let answered = all.filter(\.isAnswerable)
        #expect(answered.map(\.platformMessageID) == ["wamid.good"])
        // Recorded ids are stable across Meta's retries of the same delivery.
        guard case .events(let again) = try channel.handle(signedDelivery(body), logger: testLogger) else { return }
        #expect(again.map(\.platformMessageID) == all.map(\.platformMessageID))
    }

    @Test("two different unreadable entries of one business account are two items, not one delivered twice")
    func unreadableEntriesKeepTheirOwnKeys() throws {
        let channel = try makeChannel()
        // An entry's id is the business account's, the same for every entry of the account.
        let body = #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":"first"},{"id":"1","changes":{"second":true}}]}"#
        guard case .events(let all) = try channel.handle(signedDelivery(body), logger: testLogger) else {
            Issue.record("expected events")
            return
        }
        #expect(all.count == 2)
        #expect(Set(all.map(\.platformMessageID)).count == 2, "\(all.map(\.platformMessageID))")
    }

    @Test("replies to a phone number use to; replies to a BSUID use recipient, as the Cloud API takes it")
    func sendBodies() async throws {
        let graph = FakeTransport(body: #"{"messaging_product":"whatsapp","contacts":[{"input":"US.13491208655302741918","user_id":"US.13491208655302741918"}],"messages":[{"id":"wamid.sent"}]}"#)
        let channel = try makeChannel(http: graph)
        _ = try await channel.send(OutboundMessage(text: "hello"), to: Recipient(accountID: TestSecrets.phoneNumberID, userID: Self.bsuid), logger: testLogger)
        _ = try await channel.send(OutboundMessage(text: "hello", quickReplies: [QuickReply(title: "Yes", payload: "Y")]),
                                   to: Recipient(accountID: TestSecrets.phoneNumberID, userID: Self.bsuid), logger: testLogger)
        _ = try await channel.send(OutboundMessage(text: "hello"), to: Recipient(accountID: TestSecrets.phoneNumberID, userID: Self.phone), logger: testLogger)
        let bodies = try graph.requests.map { try MetaJSON.decode($0.body ?? []) }
        #expect(bodies.count == 3)
        #expect(bodies[0]["recipient"]?.stringValue == Self.bsuid && bodies[0]["to"] == nil)
        #expect(bodies[1]["recipient"]?.stringValue == Self.bsuid && bodies[1]["type"]?.stringValue == "interactive")
        #expect(bodies[2]["to"]?.stringValue == Self.phone && bodies[2]["recipient"] == nil)
    }

    @Test("error 131062 (a BSUID cannot receive this message) is permanent, even with a 5xx status")
    func error131062() {
        let body = Array(#"{"error":{"message":"Business-scoped User ID recipients are not supported for this message.","type":"OAuthException","code":131062}}"#.utf8)
        for status in [HTTPResponse.Status.badRequest, .internalServerError] {
            let error = GraphAPIError.classify(status: status, headers: [:], body: body)
            #expect(error.code == .permanent && error.platformCode == 131062)
        }
    }
}
